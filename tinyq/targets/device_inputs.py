"""The bench inputs the firmware generates from a seed ('G' requests, firmware/common/tq_gen_inputs.h),
computed identically on the host so its reference runs the very same inputs.

Counter-based: element c of a sample (counted over all inputs in order) is
mix(key + (c + 1) * STEP) with key = mix(seed ^ mix(sample + STEP)) and mix() MurmurHash3's
32-bit finaliser, so a whole sample is a few numpy operations on uint32 arrays (wrapping, as C's
uint32_t arithmetic). Integer inputs take the top bits of each value (the type's whole range);
float32 inputs are uniform in [-1, 1) in steps of 2^-23, computed exactly."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STEP = np.uint32(0x9E3779B9)
# Element types the device generates (the firmware's tq_gen_supported); others go over the link.
GEN_DTYPES = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "float32")


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def supported(dtypes: Sequence[str]) -> bool:
    """Whether the device can generate inputs of all these element types."""
    return all(str(d) in GEN_DTYPES for d in dtypes)


def sample_key(seed: int, sample: int) -> np.uint32:
    """The counter sample `sample` of the seed's sequence starts from."""
    inner = _mix(np.array([sample & 0xFFFFFFFF], np.uint32) + STEP)
    return _mix(np.array([seed & 0xFFFFFFFF], np.uint32) ^ inner)[0]


def generate(specs: Sequence[tuple[str, Sequence[int]]], seed: int, samples: int) -> list[np.ndarray]:
    """Inputs `samples` x each (dtype, shape) in `specs`, as the device generates them for samples
    0..samples-1 of `seed`: one array per input with a leading sample axis."""
    if not supported([d for d, _ in specs]):
        raise ValueError(f"the device generates only {', '.join(GEN_DTYPES)} inputs")
    sizes = [int(np.prod(shape, dtype=np.int64)) for _, shape in specs]
    total = sum(sizes)
    steps = (np.arange(1, total + 1, dtype=np.uint64) * int(STEP)).astype(np.uint32)   # (c + 1) * STEP mod 2^32
    out = [np.empty((samples, *shape), np.dtype(d)) for d, shape in specs]
    with np.errstate(over="ignore"):
        for s in range(samples):
            v = _mix(steps + sample_key(seed, s))
            pos = 0
            for (dtype, _), n, arr in zip(specs, sizes, out):
                arr[s] = _element(v[pos:pos + n], np.dtype(dtype)).reshape(arr.shape[1:])
                pos += n
    return out


def _element(v: np.ndarray, dt: np.dtype) -> np.ndarray:
    if dt.kind == "f":
        return ((v >> np.uint32(8)).astype(np.float32) - np.float32(8388608.0)) * np.float32(1.0 / 8388608.0)
    shift = np.uint32(32 - 8 * dt.itemsize)
    return (v >> shift).astype(f"u{dt.itemsize}").view(dt)
