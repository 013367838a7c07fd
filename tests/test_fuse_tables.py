"""x * f(x) fused into one table (tinyq/passes/fuse_tables.py): swish / SiLU and x * tanh(x)
become their LOGISTIC / TANH op with the MUL as epilogue, one table made at generation time from
both ops' arithmetic, bit-exact with TFLM; a product of two different tensors (squeeze-and-excite) stays."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.tf


def _body(x):
    import tensorflow as tf
    L = tf.keras.layers
    h = L.Conv2D(8, 3, padding="same", activation="swish")(x)                  # conv -> LOGISTIC -> MUL
    t = L.Conv2D(8, 1)(h)
    h = L.Lambda(lambda v: v * tf.tanh(v))(t)                                 # TANH -> MUL(tanh, x)
    se = L.GlobalAveragePooling2D(keepdims=True)(h)
    se = L.Conv2D(8, 1, activation="sigmoid")(se)
    h = L.Multiply()([h, se])                                                 # sigmoid of another tensor
    return L.Dense(4)(L.Flatten()(h))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model
    return convert_int8(keras_model([(8, 8, 3)], _body, seed=21), tmp_path_factory.mktemp("ft") / "swish.tflite",
                        [(8, 8, 3)])


def test_products_of_a_tensor_and_its_own_function_fuse(model) -> None:
    from tinyq.frontend.tflite_reader import read_tflite
    from tinyq.passes.pipeline import load
    raw = [o.opcode for o in read_tflite(model).ops]
    assert raw.count("MUL") == 3 and raw.count("LOGISTIC") == 2 and raw.count("TANH") == 1
    g = load(model)
    labels = [o.label for o in g.ops]
    assert labels.count("LOGISTIC+MUL") == 1 and labels.count("TANH+MUL") == 1
    assert labels.count("MUL") == 1 and labels.count("LOGISTIC") == 1        # the excite product stays


@pytest.mark.parametrize("kernels", ["dsp", "portable"])
def test_fused_tables_bit_exact(model, kernels) -> None:
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify
    gen = compile(model, kernels=kernels)
    code = gen.files["model.c"]
    assert code.count("tq_lut_s8(") >= 2 and "_ready" not in code
    assert code.count("tq_mul_s8(") + code.count("tq_mul_dsp_s8(") == 1   # the excite product alone
    rep = verify(model, samples=30, seed=2, sanitize=True, kernels=kernels)
    assert rep.elements == 120 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.slow
def test_fused_tables_bit_exact_in_the_emulator(model, tmp_path) -> None:
    from tinyq.workflows.bench import run_emulated_bench
    rep = run_emulated_bench(model, "nrf52840", samples=5, seed=7, out=tmp_path)
    assert rep["samples"] == 5 and rep["bit_exact"], rep.get("mismatches")
