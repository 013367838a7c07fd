"""`tinyq verify`: the generated C, built for the host, against TFLM's interpreter, bit for bit."""
from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Op
from tinyq.plan.compiled import Compiled
from tinyq.targets.host import build_host, run_host
from tinyq.targets.reference import LITERT, TFLM, run_golden, run_litert
from tinyq.workflows.compile import compile


@dataclass
class VerifyReport:
    model: str
    samples: int
    elements: int
    mismatches: int
    max_abs_diff: int | float
    arena_bytes: int = 0
    sanitized: bool = False
    first_bad_layer: dict | None = None
    layers: list[dict] = field(default_factory=list)
    reference: str = TFLM           # what the outputs were compared with (LiteRT's reference
    reference_note: str = ""        # kernels where TFLM cannot run the model: then why)
    # float models: LiteRT is the reference and `mismatches` counts elements beyond the tolerance
    tolerance: float | None = None
    max_rel_err: float | None = None
    top1_agreement: float | None = None

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.first_bad_layer is None

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.layers:
            d.pop("layers")
        if not self.reference_note:
            d.pop("reference_note")
        return d


MAX_SAMPLES = 100_000


def check_verify_args(samples: int, seed: int) -> None:
    """Refuse sample counts and seeds verify cannot use (before any work is done)."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 1 <= samples <= MAX_SAMPLES:
        raise TinyqError(f"samples must be between 1 and {MAX_SAMPLES:,}, not {samples}",
                         "with no samples nothing is compared, so nothing would be verified")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TinyqError(f"seed must be a non-negative integer, not {seed}", "e.g. --seed 0")


def check_output_dir(path: str | Path, what: str) -> Path:
    """A folder tinyq may write into: created now (before any work), or a clear error."""
    if str(path).strip() == "":
        raise TinyqError(f"{what}: the output folder name is empty", "give a folder, e.g. out/")
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TinyqError(f"{what}: cannot create the folder {p}: {exc.strerror or exc}",
                         "choose a path you can write to") from None
    if not p.is_dir() or not os.access(p, os.W_OK):
        raise TinyqError(f"{what}: {p} is not a writable folder", "choose a path you can write to")
    return p


def check_output_file(path: str | Path, what: str) -> Path:
    """A file tinyq may write (its folder created now, before any work), or a clear error."""
    if str(path).strip() == "":
        raise TinyqError(f"{what}: the output file name is empty", "give a file name")
    p = Path(path)
    if p.is_dir():
        raise TinyqError(f"{what}: {p} is a folder, not a file", "give a file name")
    check_output_dir(p.parent, what)
    existed = p.exists()
    try:
        with open(p, "ab"):
            pass
    except OSError as exc:
        raise TinyqError(f"{what}: cannot write {p}: {exc.strerror or exc}", "choose a path you can write to") from None
    if not existed:
        p.unlink()
    return p


def random_inputs(g: Graph, samples: int, seed: int) -> list[np.ndarray]:
    """Uniform random data over each input's whole integer range, with a leading sample axis."""
    rng = np.random.default_rng(seed)
    res = []
    for t in (g.t(i) for i in g.inputs):
        if t.dtype.startswith(("int", "uint")):
            info = np.iinfo(t.dtype)
            res.append(rng.integers(info.min, info.max + 1, size=(samples, *t.shape), dtype=t.dtype))
        else:
            res.append(rng.standard_normal(size=(samples, *t.shape)).astype(t.dtype))
    return res


def compare(want: np.ndarray, got: np.ndarray) -> tuple[int, int | float]:
    """(elements that differ, largest absolute difference). Floats must match bit for bit."""
    w, o = np.asarray(want).reshape(-1), np.asarray(got).reshape(-1)
    if w.size != o.size:   # shapes disagree (e.g. a layer TFLM sizes differently): all of it differs
        return max(w.size, o.size), float(np.finfo(np.float32).max) if w.dtype.kind == "f" else 2**31
    if w.dtype.kind == "f":
        bad = int(np.count_nonzero(w.view(f"u{w.itemsize}") != o.astype(w.dtype).view(f"u{w.itemsize}")))
        return bad, float(np.abs(w.astype(np.float64) - o.astype(np.float64)).max(initial=0.0))
    diff = np.abs(w.astype(np.int64) - o.astype(np.int64))
    return int(np.count_nonzero(diff)), int(diff.max(initial=0))


# Float models are compared with LiteRT within this tolerance, not bit for bit: the kernels sum
# in their own order and use their own exp(), so an element may differ from LiteRT's by rounding.
# An element passes when |tinyq - LiteRT| <= FLOAT_TOLERANCE * max(1, max |LiteRT| of that
# output tensor in that sample) (`max_rel_err` is the largest such ratio).
FLOAT_TOLERANCE = 1e-4
# Dynamic-range (hybrid) layers quantize their float input on the fly. An input element within
# float rounding of a quantization tie (the previous layer's float output differs from LiteRT's
# by rounding) may go to the neighbouring int8 step, which moves every output of its window by
# one step x weight x scale, and later layers carry that on: measured up to 3.2e-3 of the largest
# output on ResNet-8 (a 5x5 patch after one such input), 1.2e-4 on single layers.
HYBRID_TOLERANCE = 1e-2


def float_tolerance(gen: Compiled) -> float:
    """The tolerance a float model is checked with (HYBRID_TOLERANCE with a hybrid layer)."""
    hybrid = any(layer.variant.name.endswith("_hybrid") for layer in gen.lowered.layers)
    return HYBRID_TOLERANCE if hybrid else FLOAT_TOLERANCE


def is_float_model(gen: Compiled) -> bool:
    """True when a layer runs a float32 kernel (the model's activations are float)."""
    return any(layer.data.kernel_dtype == "float32" for layer in gen.lowered.layers)


def compare_float(want: np.ndarray, got: np.ndarray, tolerance: float = FLOAT_TOLERANCE) -> tuple[int, float, float]:
    """(elements beyond the tolerance, largest absolute difference, largest normalized one)."""
    w, o = np.asarray(want, np.float64).reshape(-1), np.asarray(got, np.float64).reshape(-1)
    if w.size != o.size:
        return max(w.size, o.size), float("inf"), float("inf")
    if w.dtype.kind != "f" or np.asarray(want).dtype.kind != "f":
        bad, diff = compare(want, got)
        return bad, float(diff), float(diff)
    diff = np.abs(w - o)
    diff[np.isnan(w) & np.isnan(o)] = 0.0
    diff[np.isnan(diff)] = np.inf
    norm = max(1.0, float(np.abs(w[np.isfinite(w)]).max(initial=0.0)))
    rel = diff / norm
    return int(np.count_nonzero(rel > tolerance)), float(diff.max(initial=0.0)), float(rel.max(initial=0.0))


def verify(model: str | Path, samples: int = 100, seed: int = 0, layers: bool = False,
           sanitize: bool = False, work_dir: str | Path | None = None,
           inputs: list[np.ndarray] | None = None,
           reference_model: str | Path | None = None, kernels: str = "dsp", flash: str = "auto",
           flash_budget: int | None = None, patch: str = "auto") -> VerifyReport:
    """Compile `model`, run it on the host and compare with TFLM running `reference_model`
    (default: the same file; a batch-1 twin for models TFLM cannot run itself). With `layers`
    every layer's whole output is compared, so patches are off (a band holds only a few rows)."""
    check_verify_args(samples if inputs is None else len(inputs[0]) if inputs else 0, seed)
    if work_dir is not None:
        work_dir = check_output_dir(work_dir, "--keep")
    gen = compile(model, kernels=kernels, flash=flash, flash_budget=flash_budget, patch="off" if layers else patch)
    g = gen.graph
    if inputs is not None and (len(inputs) != len(g.inputs) or any(
            tuple(x.shape[1:]) != tuple(g.t(t).shape) for x, t in zip(inputs, g.inputs))):
        raise TinyqError(f"inputs: {len(inputs)} array(s) of shapes {[list(x.shape) for x in inputs]}; the model "
                         f"takes {[[None, *g.t(t).shape] for t in g.inputs]} (leading sample axis)",
                         "pass one array per model input, samples first")
    with tempfile.TemporaryDirectory(prefix="tinyq-verify-") as tmp:
        out_dir = Path(work_dir) if work_dir else Path(tmp)
        gen.write(out_dir)
        exe = build_host(out_dir, sanitize=sanitize, profile=layers)
        xs = inputs if inputs is not None else random_inputs(g, samples, seed)
        n = len(xs[0])
        got, dumps = run_host(exe, g, xs, layers=layers)
    want_tensors = [op.outputs[0] for op in g.ops if _dumped(g, op)] if layers else None
    if is_float_model(gen):
        want, ref = run_litert(reference_model or model, xs, len(g.outputs), want_tensors)
        return _float_report(gen, n, got, want, dumps, ref, layers, sanitize)
    # (layer dumps: each op's first output; ops without one, ASSIGN_VARIABLE, dump nothing)
    golden = run_golden(reference_model or model, xs, len(g.outputs), want_tensors)
    want_all = golden.outputs
    ref_layers = [_spread(golden.layers[s], g) for s in range(n)] if layers else []
    elements = mismatches = 0
    max_diff: int | float = 0
    first_bad = None
    layer_stats: list[dict] = [{"index": op.index, "op": op.opcode,
                                "tensor": g.t(op.outputs[0]).name if op.outputs else "", "mismatches": 0}
                               for op in g.ops] if layers else []
    for s in range(n):
        for w, o in zip(want_all[s], got[s]):
            bad, diff = compare(w, o)
            elements += w.size
            mismatches += bad
            max_diff = max(max_diff, diff)
        for li, op in enumerate(g.ops if layers else []):
            if not _dumped(g, op):
                continue
            t = g.t(op.outputs[0])
            mine = np.frombuffer(dumps[s][li], dtype=t.dtype)
            bad = compare(ref_layers[s][li].astype(t.dtype), mine)[0]
            layer_stats[li]["mismatches"] += bad
            if bad and first_bad is None:
                first_bad = {"index": op.index, "op": op.opcode, "tensor": t.name, "sample": s,
                             "mismatches": bad, "elements": int(t.num_elements)}
    return VerifyReport(g.name, n, elements, mismatches, max_diff, gen.arena_bytes, sanitize,
                        first_bad, layer_stats, golden.reference, golden.tflm_error)


def _dumped(g: Graph, op: Op) -> bool:
    """Whether `--layers` compares this op's first output (ASSIGN_VARIABLE has none, a
    VAR_HANDLE's is a handle without memory)."""
    return bool(op.outputs) and g.t(op.outputs[0]).itemsize > 0


def _spread(dumps: list[np.ndarray], g: Graph) -> list[np.ndarray]:
    """Per op, its reference dump (an empty array for an op without one)."""
    it = iter(dumps)
    return [next(it) if _dumped(g, op) else np.zeros(0) for op in g.ops]


def _float_report(gen: Compiled, n: int, got: list[list[np.ndarray]], want: list[list[np.ndarray]],
                  dumps: list[list[bytes]], ref_layers: list[list[np.ndarray]], layers: bool,
                  sanitize: bool) -> VerifyReport:
    """A float model's outputs (and with `layers` every op's) against LiteRT's, within
    its tolerance (float_tolerance); top-1 agreement on the first output's last axis."""
    g = gen.graph
    tol = float_tolerance(gen)
    elements = bad = agree = 0
    max_abs = max_rel = 0.0
    for s in range(n):
        for w, o in zip(want[s], got[s]):
            b, d, r = compare_float(w, o, tol)
            elements, bad, max_abs, max_rel = elements + w.size, bad + b, max(max_abs, d), max(max_rel, r)
        w0, o0 = np.asarray(want[s][0]), np.asarray(got[s][0])
        agree += int(np.array_equal(w0.reshape(-1, w0.shape[-1] if w0.ndim else 1).argmax(-1),
                                    o0.reshape(-1, o0.shape[-1] if o0.ndim else 1).argmax(-1)))
    first_bad, stats = None, []
    for li, op in enumerate(g.ops if layers else []):
        t = g.t(op.outputs[0])
        count = 0
        for s in range(n):
            b = compare_float(ref_layers[s][li], np.frombuffer(dumps[s][li], dtype=t.dtype), tol)[0]
            count += b
            if b and first_bad is None:
                first_bad = {"index": op.index, "op": op.opcode, "tensor": t.name, "sample": s,
                             "mismatches": b, "elements": int(t.num_elements)}
        stats.append({"index": op.index, "op": op.opcode, "tensor": t.name, "mismatches": count})
    return VerifyReport(g.name, n, elements, bad, max_abs, gen.arena_bytes, sanitize, first_bad, stats,
                        reference=LITERT, tolerance=tol, max_rel_err=max_rel,
                        top1_agreement=agree / n if n else None)
