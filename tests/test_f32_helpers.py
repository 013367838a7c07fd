"""The float32 kernels' helpers in firmware/kernels/tq_f32.h, built for the host: float16 -> float32
for every one of the 65,536 halves (exact), and tq_expf's error over the float range."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tinyq.resources import firmware_dir
from tinyq.targets.host import CFLAGS, find_cc

HARNESS = r"""
#include <stdio.h>
#include <string.h>
#include "tq_f32.h"
int main(void)
{
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = tq_h2f((uint16_t)h);
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        fwrite(&bits, 4, 1, stdout);
    }
    float x;
    while (fread(&x, 4, 1, stdin) == 1) {
        const float y = tq_expf(x);
        fwrite(&y, 4, 1, stdout);
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    d = tmp_path_factory.mktemp("f32h")
    (d / "h.c").write_text(HARNESS)
    exe = d / "h"
    subprocess.run([find_cc(), *CFLAGS, "-I", str(firmware_dir() / "kernels"), str(d / "h.c"), "-o", str(exe)],
                   check=True)
    return exe


def _run(exe, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = subprocess.run([str(exe)], input=xs.astype(np.float32).tobytes(), capture_output=True, check=True).stdout
    halves = np.frombuffer(out[:65536 * 4], np.uint32)
    return halves, np.frombuffer(out[65536 * 4:], np.float32)


def test_half_to_float_is_exact_for_every_half(harness) -> None:
    halves, _ = _run(harness, np.zeros(0, np.float32))
    want = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32)
    nan = np.isnan(want)
    assert np.array_equal(halves[~nan], want[~nan].view(np.uint32))      # zeros, subnormals, normals, infs
    assert np.all(np.isnan(halves[nan].view(np.float32)))


def test_expf_relative_error(harness) -> None:
    xs = np.concatenate([np.linspace(-87, 88.5, 200_001, dtype=np.float32), np.float32([0, -0.0, 1e-8, -1e-8])])
    _, got = _run(harness, xs)
    want = np.exp(xs.astype(np.float64))
    assert float(np.max(np.abs(got - want) / want)) < 2e-7
    _, edge = _run(harness, np.float32([-100, 100, np.inf, -np.inf, np.nan]))
    assert edge[0] == 0 and np.isinf(edge[1]) and np.isinf(edge[2]) and edge[3] == 0 and np.isnan(edge[4])
