"""The dynamic-range DSP kernels (firmware/kernels/hybrid_dsp.c) against the portable ones
(hybrid_f32.c, themselves checked against LiteRT's hybrid kernels in test_f32_tf.py): the same
int32 sums, so the very same float outputs, on random geometries (borders, strides, dilations,
channel and depth tails, depth multipliers, batches), built with ASan + UBSan on the host; and
on the emulated Cortex-M4F, where the SMLAD/SXTB16 asm runs, the same outputs in fewer
instructions."""
from __future__ import annotations

import shutil
import struct
import subprocess

import numpy as np
import pytest

from tinyq.ops.fully_connected import dsp8_weights
from tinyq.targets.firmware import C_WARNINGS

from conftest import ROOT, mlperf_path

KERNELS = ROOT / "firmware" / "kernels"

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "hybrid_dsp.h"
/* stdin: int32 op (0 FC, 1 CONV, 2 DEPTHWISE), 17 int32 geometry fields, float act_min act_max,
 * then the input, raw weights, dsp8 weights, bias, wscale, wsum; stdout: the portable kernel's
 * outputs, then the DSP kernel's. */
static void *take(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p || fread(p, 1, n, stdin) != n) {
        exit(2);
    }
    return p;
}
int main(void)
{
    int32_t *h = take(18 * 4);
    float *act = take(8);
    tq_window g = {(int16_t)h[1], (int16_t)h[2], (int16_t)h[3], (int16_t)h[4], (int16_t)h[5], (int16_t)h[6],
                   (int16_t)h[7], (int16_t)h[8], (int16_t)h[9], (int16_t)h[10], (int16_t)h[11], (int16_t)h[12],
                   (int16_t)h[13], (int16_t)h[14], (int16_t)h[15]};
    const int32_t mult = h[16], asym = h[17];
    const size_t in_n = (size_t)g.batches * g.in_h * g.in_w * g.in_c;
    const size_t out_n = (size_t)g.batches * g.out_h * g.out_w * g.out_c;
    const size_t w_n = h[0] == 0 ? (size_t)g.in_c * g.out_c
                     : h[0] == 1 ? (size_t)g.out_c * g.k_h * g.k_w * g.in_c : (size_t)g.k_h * g.k_w * g.out_c;
    const size_t scratch_n = (size_t)g.in_h * g.in_w * g.in_c + (size_t)g.k_h * g.k_w * g.in_c;
    float *in = take(in_n * 4);
    int8_t *w = take(w_n), *w8 = take(w_n);
    float *bias = take((size_t)g.out_c * 4), *wscale = take((size_t)g.out_c * 4);
    int32_t *wsum = take((size_t)g.out_c * 4);
    float *out = malloc(out_n * 4 * 2);
    int8_t *scratch = malloc(scratch_n);
    if (!out || !scratch) {
        return 2;
    }
    if (h[0] == 0) {
        const tq_fc_hybrid_params p = {g.batches, g.in_c, g.out_c, asym, act[0], act[1], bias, wscale, wsum};
        tq_fully_connected_hybrid(&p, in, w, out, scratch);
        tq_fully_connected_dsp_hybrid(&p, in, w8, out + out_n, scratch);
    } else {
        const tq_conv_hybrid_params p = {g, mult, asym, act[0], act[1], bias, wscale};
        if (h[0] == 1) {
            tq_conv_2d_hybrid(&p, in, w, out, scratch);
            tq_conv_2d_dsp_hybrid(&p, wsum, in, w8, out + out_n, scratch);
        } else {
            tq_depthwise_conv_2d_hybrid(&p, in, w, out, scratch);
            tq_depthwise_conv_2d_dsp_hybrid(&p, in, w, out + out_n, scratch);
        }
    }
    fwrite(out, 4, out_n * 2, stdout);
    return 0;
}
"""


def _case(rng: np.random.Generator, op: int) -> tuple[bytes, int]:
    """One random layer: (the harness's stdin, output elements)."""
    batches = int(rng.integers(1, 3))
    if op == 0:
        in_c, out_c = int(rng.integers(1, 70)), int(rng.integers(1, 19))
        geo = [batches, 1, 1, in_c, 1, 1, out_c, 1, 1, 1, 1, 1, 1, 0, 0]
        mult, w = 1, rng.integers(-127, 128, (out_c, in_c)).astype(np.int8)
        rows = w
    else:
        in_h, in_w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        k_h, k_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s_h, s_w, d_h, d_w = (int(v) for v in rng.integers(1, 3, 4))
        in_c = int(rng.integers(1, 12))
        mult = 1 if op == 1 or rng.random() < 0.6 else int(rng.integers(2, 4))
        out_c = int(rng.integers(1, 20)) if op == 1 else in_c * mult
        same = rng.random() < 0.6
        eff_h, eff_w = (k_h - 1) * d_h + 1, (k_w - 1) * d_w + 1
        if same:
            out_h, out_w = -(-in_h // s_h), -(-in_w // s_w)
            pad_h = max(0, ((out_h - 1) * s_h + eff_h - in_h) // 2)
            pad_w = max(0, ((out_w - 1) * s_w + eff_w - in_w) // 2)
        else:
            out_h, out_w, pad_h, pad_w = (in_h - eff_h) // s_h + 1, (in_w - eff_w) // s_w + 1, 0, 0
            if out_h < 1 or out_w < 1:
                return _case(rng, op)
        geo = [batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, s_h, s_w, d_h, d_w, pad_h, pad_w]
        if op == 1:
            w = rng.integers(-127, 128, (out_c, k_h, k_w, in_c)).astype(np.int8)
            rows = w.reshape(out_c, -1)
        else:
            w = rng.integers(-127, 128, (1, k_h, k_w, out_c)).astype(np.int8)
            rows = w.reshape(-1, out_c).T
    asym = int(rng.random() < 0.7)
    in_n = batches * geo[1] * geo[2] * geo[3]
    # inputs of one sign now and then: the zero point then sits at an end of the int8 range
    x = rng.standard_normal(in_n).astype(np.float32) * np.float32(rng.uniform(0.1, 4))
    if rng.random() < 0.3:
        x = np.abs(x) + np.float32(rng.uniform(0, 2))
    act = (-np.inf, np.inf) if rng.random() < 0.5 else (0.0, 6.0)
    w8 = dsp8_weights(rows) if op < 2 else w.reshape(-1)
    out_c = geo[6]
    body = (struct.pack("<18i", op, *geo, mult, asym) + struct.pack("<2f", *act) + x.tobytes()
            + w.tobytes() + w8.tobytes() + rng.standard_normal(out_c).astype(np.float32).tobytes()
            + rng.uniform(1e-3, 2e-2, out_c).astype(np.float32).tobytes()
            + rows.astype(np.int64).sum(axis=1).astype(np.int32).tobytes())
    return body, batches * geo[4] * geo[5] * out_c


@pytest.mark.skipif(not shutil.which("gcc"), reason="gcc not installed")
def test_dsp_hybrid_kernels_equal_the_portable_ones(tmp_path) -> None:
    src, exe = tmp_path / "hybrid.c", tmp_path / "hybrid"
    src.write_text(HARNESS)
    subprocess.run(["gcc", "-std=c99", "-O1", "-g", *C_WARNINGS, "-ffp-contract=off", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", f"-I{KERNELS}", str(src), str(KERNELS / "hybrid_f32.c"),
                    str(KERNELS / "hybrid_dsp.c"), "-o", str(exe)], check=True, capture_output=True, text=True)
    rng = np.random.default_rng(16)
    for i in range(120):
        op = i % 3
        stdin, n = _case(rng, op)
        res = subprocess.run([str(exe)], input=stdin, capture_output=True, timeout=60,
                             env={"ASAN_OPTIONS": "detect_leaks=0"})   # the harness never frees
        assert res.returncode == 0, res.stderr.decode()[-2000:]
        out = np.frombuffer(res.stdout, np.float32)
        assert out.size == 2 * n and np.isfinite(out).all()
        assert out[:n].tobytes() == out[n:].tobytes(), f"case {i} (op {op}) differs"


@pytest.mark.slow
def test_emulated_m4f_hybrid_dsp_same_outputs_fewer_instructions(tmp_path) -> None:
    """kws_ref_model_float32 holds int8 convolution weights: dynamic-range layers."""
    from tinyq.workflows.bench import run_emulated_bench

    model = mlperf_path("kws_ref_model_float32")
    port = run_emulated_bench(model, samples=2, seed=5, kernels="portable", out=tmp_path / "p")
    dsp = run_emulated_bench(model, samples=2, seed=5, kernels="dsp", out=tmp_path / "d")
    assert port.bit_exact and dsp.bit_exact and dsp.reference == "LiteRT"   # within the hybrid tolerance
    for a, b in zip(port.outputs, dsp.outputs):
        assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b))
    hybrid = [i for i, (p, d) in enumerate(zip(port.layers, dsp.layers)) if p.op == "CONV_2D"]
    assert hybrid and all(dsp.layers[i].count < port.layers[i].count for i in hybrid)
    assert dsp.median < port.median
