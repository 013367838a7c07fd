"""The "dsp8" FULLY_CONNECTED kernel (firmware/kernels/fully_connected_dsp8.c): int8 weights in
flash, widened at run time by SXTB16, bit-exact with TFLM on the host (portable C for the DSP
instructions) and on the emulated Cortex-M4 (the asm loop and the real SXTB16/SMLAD/SMMLAR)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import mlperf_path

MODELS = Path(__file__).resolve().parent / "models"
# in_depth % 4 tails (10, 12), out_depth % 4 leftovers (7, 5), batches, no bias, FC after conv
COMMITTED = ["fc_in10_out7", "fc_in64_out16", "fc_in64_out16_nobias", "fc_batch3_in12_out5",
             "mixed_conv_dw_pool_fc_softmax"]


def test_weights_are_a_permutation_in_the_order_the_kernel_reads() -> None:
    from tinyq.ops.fully_connected import dsp8_weights
    w = np.arange(7 * 10).reshape(7, 10).astype(np.int8)   # out_depth 7, in_depth 10
    got = dsp8_weights(w)
    assert got.dtype == np.int8 and sorted(got.tolist()) == sorted(w.reshape(-1).tolist())
    block = w[:4]
    want = [block[c, 4 * g:4 * g + 4] for g in range(2) for c in range(4)]   # groups, channel-major
    want += [block[c, 8:] for c in range(4)]                                  # the tails
    want += [w[4], w[5], w[6]]                                                # leftover rows
    assert got.tolist() == np.concatenate(want).tolist()


@pytest.mark.parametrize("shape", [(2, 256), (3, 10), (1, 1)])
def test_fewer_than_four_output_channels_are_all_leftover_rows(shape) -> None:
    """VWW's 2-class head: no whole block of 4 channels, the rows stay as they are."""
    from tinyq.ops.fully_connected import dsp8_weights
    w = (np.arange(shape[0] * shape[1]) % 251 - 125).reshape(shape).astype(np.int8)
    assert dsp8_weights(w).tolist() == w.reshape(-1).tolist()


@pytest.mark.parametrize("name", COMMITTED)
def test_bit_exact_on_the_host(name) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    path = MODELS / f"{name}.tflite"
    assert "tq_fully_connected_dsp8_s8" in compile(path, kernels="dsp8").files["model.c"]
    rep = verify(path, samples=50, seed=1, kernels="dsp8")
    assert rep.mismatches == 0 and rep.ok, rep


def test_mlperf_ad01_bit_exact_on_the_host() -> None:
    from tinyq.workflows.verify import verify
    rep = verify(mlperf_path("ad01_int8"), samples=50, seed=1, kernels="dsp8")
    assert rep.mismatches == 0 and rep.ok, rep


def test_mlperf_ad01_keeps_the_weights_int8() -> None:
    """The dsp8 build stores each weight in one byte: about half the dsp build's constants (the
    rest is per-channel bias and requantization rows), with its own kernel and not the dsp one."""
    from tinyq.workflows.compile import compile
    path = mlperf_path("ad01_int8")
    d8, d16 = compile(path, kernels="dsp8"), compile(path, kernels="dsp", flash="fast")
    assert 0.45 < d8.const_bytes / d16.const_bytes < 0.56, (d8.const_bytes, d16.const_bytes)
    assert "tq_fully_connected_dsp8_s8" in d8.files["model.c"]
    assert "tq_fully_connected_dsp_s8" not in d8.files["model.c"]
    sources = [Path(str(s)).name for s in d8.sources]
    assert "fully_connected_dsp8.c" in sources and "fully_connected_dsp.c" not in sources


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fc_in10_out7", "fc_batch3_in12_out5", "fc_in64_out16"])
def test_bit_exact_in_the_emulator(name, tmp_path) -> None:
    """On the emulated Cortex-M4 the inner loop is asm: tails, leftover channels and batches."""
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(MODELS / f"{name}.tflite", "nrf52840", samples=10, seed=4, out=tmp_path,
                             kernels="dsp8")
    assert rep["samples"] == 10 and rep["bit_exact"], rep.get("mismatches")


@pytest.mark.slow
def test_mlperf_ad01_bit_exact_in_the_emulator(tmp_path) -> None:
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(mlperf_path("ad01_int8"), "nrf52840", samples=5, seed=6, out=tmp_path,
                             kernels="dsp8")
    assert rep["samples"] == 5 and rep["bit_exact"], rep.get("mismatches")
