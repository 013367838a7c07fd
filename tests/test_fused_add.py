"""The residual ADD fused into the DSP convolutions (tinyq/ops/_fused_add.py, the epilogue in
firmware/kernels/conv_2d_dsp_window.h): sum tables equal to TFLM's Add in all 65,536 cases, and
residual blocks bit-exact against TFLM on the host and on the emulated Cortex-M4 (the asm loops)
in every table form, with a fused RELU whose range clamps and an odd channel count."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.ops import _fused_add as fa
from tinyq.ops.constants import TQ_ADD_FORM_EXACT, TQ_ADD_FORM_SUM16, TQ_ADD_FORM_SUM32
from tinyq.quant import quantize_multiplier_smaller_than_one_exp, tflm_requantize


def _add_params(sa: float, sb: float, so: float, za: int, zb: int, zo: int) -> dict:
    """TFLM's int8 Add parameters (tinyq/ops/add.py) for these scales and zero points."""
    twice = 2 * max(sa, sb)
    m1, s1 = quantize_multiplier_smaller_than_one_exp(sa / twice)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(sb / twice)
    mo, so_ = quantize_multiplier_smaller_than_one_exp(twice / ((1 << 20) * so))
    return {"in1_offset": -za, "in2_offset": -zb, "in1_mult": m1, "in1_shift": s1, "in2_mult": m2, "in2_shift": s2,
            "out_mult": mo, "out_shift": so_, "out_offset": zo, "left_shift": 20}


def _tflm_add(f: dict, a: int, b: int) -> int:
    s1 = tflm_requantize((a + f["in1_offset"]) << 20, f["in1_mult"], f["in1_shift"])
    s2 = tflm_requantize((b + f["in2_offset"]) << 20, f["in2_mult"], f["in2_shift"])
    return max(-128, min(127, tflm_requantize(s1 + s2, f["out_mult"], f["out_shift"]) + f["out_offset"]))


def test_vector_requantize_equals_tflm() -> None:
    rng = np.random.default_rng(0)
    acc = np.concatenate([rng.integers(-2**31, 2**31, 3000), [0, 1, -1, 2**31 - 1, -2**31]])
    for mult, shift in ((1518500250, -3), (1073741824, 0), (2**31 - 1, -31), (1932735283, 2)):
        want = [tflm_requantize(int(a), mult, shift) for a in acc]
        assert fa.tflm_requantize_np(acc, mult, shift).tolist() == want


# (scales a, b, out; zero points): int16 tables (the output no finer than the inputs; a fused
# RELU's sum, about 1.4 times finer), int32 ones (twice and more finer).
CASES = [(0.02, 0.03, 0.05, 3, -7, -2), (0.05, 0.04, 0.035, 10, -3, -128), (0.04, 0.05, 0.025, -128, 4, -128),
         (0.05, 0.01, 0.006, 17, -4, -128), (0.01, 0.02, 0.004, -5, 9, 20)]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("conv_first", [True, False])
def test_sum_tables_reproduce_tflm_add(case, conv_first) -> None:
    f = _add_params(*case)
    form, conv, res = fa.fused_add_tables(f, conv_first)
    assert form in (TQ_ADD_FORM_SUM16, TQ_ADD_FORM_SUM32)
    assert conv.dtype == (np.int16 if form == TQ_ADD_FORM_SUM16 else np.int32) and len(conv) == len(res) == 256
    shift = {TQ_ADD_FORM_SUM16: 7, TQ_ADD_FORM_SUM32: 8}[form]
    rng = np.random.default_rng(2)
    pairs = [*rng.integers(-128, 128, (1500, 2)).tolist(), [-128, -128], [127, 127], [-128, 127], [127, -128], [0, 0]]
    for v, r in pairs:
        want = _tflm_add(f, v, r) if conv_first else _tflm_add(f, r, v)
        got = max(-128, min(127, (int(conv[v & 255]) + int(res[r & 255])) >> shift))
        assert got == want, (v, r)


def test_forms_follow_the_scales() -> None:
    forms = [fa.fused_add_tables(_add_params(*c), True)[0] for c in CASES]
    assert forms == [TQ_ADD_FORM_SUM16] * 2 + [TQ_ADD_FORM_SUM32] * 3


def test_unsolvable_tables_keep_tflm_arithmetic(monkeypatch) -> None:
    f = _add_params(*CASES[0])
    monkeypatch.setattr(fa, "SUM_FORMS", ())
    form, conv, res = fa.fused_add_tables(f, True)
    assert form == TQ_ADD_FORM_EXACT and conv.dtype == np.int32
    assert conv[5] == tflm_requantize((5 + f["in1_offset"]) << 20, f["in1_mult"], f["in1_shift"])
    assert res[255] == tflm_requantize((-1 + f["in2_offset"]) << 20, f["in2_mult"], f["in2_shift"])


def test_sum_tables_report_an_impossible_system() -> None:
    t = np.array([[0, 1], [1, 0]])     # a0 + b0 < a0 + b1, a1 + b1 < a1 + b0: contradiction
    assert fa.sum_tables(t, 8, 2**15) is None
    a, b = fa.sum_tables(np.array([[0, 1], [1, 2]]), 8, 2**15)
    assert ((a[:, None] + b[None, :]) >> 8).tolist() == [[0, 1], [1, 2]]


# ---- residual blocks against TFLM ----

# A ResNet-like pair of blocks: 3x3 convolutions over 7 channels (odd: the kernels' tail path and
# n % 4 elements in the ADD loop) with the sum through RELU (fused into the ADD), then a stride-2
# block of 12 channels whose shortcut is a 1x1 stride-2 convolution (read in place) fused with its
# ADD, as MLPerf's ResNet has it.
def _blocks(x):
    import tensorflow as tf
    L = tf.keras.layers
    h = L.Conv2D(7, 3, padding="same", activation="relu")(x)
    b = L.Conv2D(7, 3, padding="same")(L.Conv2D(7, 3, padding="same", activation="relu")(h))
    h = L.ReLU()(L.Add()([h, b]))
    b = L.Conv2D(12, 3, padding="same")(L.Conv2D(12, 3, strides=2, padding="same", activation="relu")(h))
    h = L.ReLU()(L.Add()([b, L.Conv2D(12, 1, strides=2)(h)]))
    return L.Dense(5)(L.Flatten()(h))


def _clamped(src: Path, dst: Path) -> Path:
    """A copy whose ADDs' outputs carry a zero point above -128: their fused RELU then clamps
    (act_min = zero point), which converter-made models rarely show."""
    from tensorflow.lite.tools import flatbuffer_utils as fbu
    m = fbu.read_model(str(src))
    sub = m.subgraphs[0]
    add = [i for i, c in enumerate(m.operatorCodes) if max(c.builtinCode, c.deprecatedBuiltinCode) == 0]
    for op in sub.operators:
        if op.opcodeIndex in add:
            q = sub.tensors[op.outputs[0]].quantization
            q.zeroPoint = [-100]
            op.builtinOptions.fusedActivationFunction = 1     # RELU
    fbu.write_model(m, str(dst))
    return dst


@pytest.fixture(scope="module")
def block_models(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    out = tmp_path_factory.mktemp("fused_add")
    plain = convert_int8(keras_model([(10, 10, 3)], _blocks, seed=31), out / "blocks.tflite", [(10, 10, 3)])
    return {"plain": plain, "clamped": _clamped(plain, out / "blocks_clamped.tflite")}


# which table forms are offered: the solver's own choice, int32 tables only, none (TFLM's arithmetic)
FORCED = {"solved": None, "sum32": fa.SUM_FORMS[1:], "exact": ()}


def _force(monkeypatch, forced: str) -> None:
    if FORCED[forced] is not None:
        monkeypatch.setattr(fa, "SUM_FORMS", FORCED[forced])


def _fused_fields(gen) -> list[tuple[str, str, str]]:
    import re
    """(add_form, add_zp, add_min) of each convolution with a fused ADD."""
    return re.findall(r"\.add_conv_lut = tq_\w+,[^;]*?\.add_form = (\d+),\s*\.add_zp = (-?\d+),\s*\.add_min = (-?\d+)",
                      gen.files["model.c"])


@pytest.mark.tf
@pytest.mark.parametrize("kernels", ["dsp", "dsp8"])
@pytest.mark.parametrize("model", ["plain", "clamped"])
@pytest.mark.parametrize("forced", list(FORCED))
def test_blocks_bit_exact_on_the_host(block_models, model, kernels, forced, monkeypatch) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    _force(monkeypatch, forced)
    gen = compile(block_models[model], kernels=kernels, flash="fast" if kernels == "dsp" else "small")
    assert [e.opcode for o in gen.graph.ops for e in o.epilogue] == ["ADD", "ADD"]
    fields = _fused_fields(gen)
    assert len(fields) == 2
    want = {"solved": None, "sum32": {str(TQ_ADD_FORM_SUM32)}, "exact": {str(TQ_ADD_FORM_EXACT)}}[forced]
    assert want is None or {f[0] for f in fields} == want
    assert all((int(lo) > -128) == (model == "clamped") for _, _, lo in fields)
    rep = verify(block_models[model], samples=40, seed=3, sanitize=True, kernels=kernels,
                 flash="fast" if kernels == "dsp" else "small")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("forced", ["solved", "sum32"])
def test_blocks_bit_exact_in_the_emulator(block_models, forced, tmp_path, monkeypatch) -> None:
    """The asm loops (int16 and int32 tables) and the clamping C path on the emulated Cortex-M4,
    with both convolution kernels (TFLM's arithmetic, plain C, runs on the host above: CI time)."""
    from tinyq.workflows.bench import run_emulated_bench
    _force(monkeypatch, forced)
    for name, path in block_models.items():
        for kernels in ("dsp", "dsp8"):
            rep = run_emulated_bench(path, "nrf52840", samples=6, seed=5, out=tmp_path / f"{name}_{kernels}",
                                     kernels=kernels)
            assert rep["samples"] == 6 and rep["bit_exact"], (name, kernels, rep.get("mismatches"))


def _blaze_shortcuts(x):
    """BlazeFace's blocks: the shortcut max-pooled at stride 2 and its channels zero-padded, which
    the converter orders between the block's last convolution and its ADD."""
    import tensorflow as tf
    L = tf.keras.layers
    y = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    for c, s in ((8, 1), (12, 1), (16, 2)):
        z = L.Conv2D(c, 1)(L.DepthwiseConv2D(5, strides=s, padding="same")(y))
        sc = L.MaxPooling2D(2)(y) if s == 2 else y
        if c > sc.shape[-1]:
            sc = L.Lambda(lambda t, p=c - sc.shape[-1]: tf.pad(t, [[0, 0], [0, 0], [0, 0], [0, p]]))(sc)
        y = L.ReLU()(L.Add()([z, sc]))
    return L.Flatten()(L.Conv2D(4, 1)(y))


@pytest.mark.tf
def test_shortcut_ops_between_move_before_the_fused_convolution(tmp_path) -> None:
    pytest.importorskip("tensorflow")
    from tinyq.frontend.tflite_reader import read_tflite
    from tinyq.passes.pipeline import load
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model
    path = convert_int8(keras_model([(16, 16, 3)], _blaze_shortcuts, seed=4), tmp_path / "blaze.tflite", [(16, 16, 3)])
    raw = [o.opcode for o in read_tflite(path).ops]
    assert "CONV_2D,PAD,ADD" in ",".join(raw) and "CONV_2D,MAX_POOL_2D,PAD,ADD" in ",".join(raw)
    labels = [o.label for o in load(path).ops]
    assert "ADD" not in labels and labels.count("CONV_2D+ADD") == 3, labels
    assert "MAX_POOL_2D,PAD,CONV_2D+ADD" in ",".join(labels)
    for kernels in ("dsp", "dsp8", "portable"):
        rep = verify(path, samples=10, seed=5, sanitize=True, kernels=kernels)
        assert rep.elements > 0 and rep.mismatches == 0, (kernels, rep.to_dict())
