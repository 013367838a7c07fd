"""tinyq quantize: the example's size/accuracy trade-off, the MLPerf sources, and bad inputs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tinyq.cli import main
from tinyq.workflows.verify import verify

from conftest import MLPERF_DIR, mlperf_path

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tinyq.workflows.example import example_model
    build = tmp_path_factory.mktemp("digits")
    return example_model(build), build


def test_example_compare_report_meets_targets(digits, tmp_path, capsys) -> None:
    _, build = digits
    rep = tmp_path / "rep"
    assert main(["quantize", str(build / "digits.keras"), "--calib", str(build / "calib.npz"), "--compare",
                 "--eval", str(build / "eval.npz"), "--report", str(rep)]) == 0
    res = {r["mode"]: r for r in json.loads((rep / "report.json").read_text())}
    assert set(res) == {"float32", "float16", "dynamic", "int16x8", "int8"}
    assert res["int8"]["ratio_to_float32"] <= 0.3
    assert res["int16x8"]["ratio_to_float32"] <= 0.4 and res["int16x8"]["error"] is None
    assert res["float32"]["top1"] - res["int16x8"]["top1"] <= 0.01
    assert res["float16"]["ratio_to_float32"] <= 0.55
    assert res["float32"]["top1"] > 0.9
    assert res["float32"]["top1"] - res["int8"]["top1"] <= 0.01
    md = (rep / "report.md").read_text()
    assert (rep / "report.png").stat().st_size > 1000 and "| int8 |" in md and "| int16x8 |" in md


def test_example_int16x8_is_bit_exact_and_int16_io(digits, tmp_path, capsys) -> None:
    model8, build = digits
    out = tmp_path / "m16.tflite"
    assert main(["quantize", str(build / "digits.keras"), "--calib", str(build / "calib.npz"), "--mode", "int16x8",
                 "-o", str(out)]) == 0
    assert "int16 activations, int16 input/output" in capsys.readouterr().out
    from tinyq.frontend.tflite_reader import read_tflite
    g = read_tflite(out)
    assert g.t(g.inputs[0]).dtype == g.t(g.outputs[0]).dtype == "int16"
    rep = verify(out, samples=20, seed=3)
    assert rep.mismatches == 0 and rep.elements == 200
    # the plan counts 2-byte activations and 8-byte biases (both without patches: --patch auto
    # may run the int8 model's first layers by bands and not the int16 one's)
    from tinyq.workflows.compile import compile
    c16, c8 = compile(out, patch="off"), compile(model8, patch="off")
    assert c16.arena_bytes >= 1.9 * c8.arena_bytes
    biases = [t for t in c16.graph.tensors if t.dtype == "int64" and t.is_const]
    assert biases and all(t.nbytes == 8 * t.num_elements for t in biases)


def test_int16x8_with_int8_io_is_refused_before_converting(digits, capsys) -> None:
    _, build = digits
    assert main(["quantize", str(build / "digits.keras"), "--calib", str(build / "calib.npz"), "--mode", "int16x8",
                 "--io", "int8", "-o", "x.tflite"]) == 2
    err = capsys.readouterr().err
    assert "--io int8 is not possible with --mode int16x8" in err and "--io int16" in err


def test_example_int8_is_bit_exact(digits) -> None:
    model, _ = digits
    rep = verify(model, samples=50, seed=3)
    assert rep.mismatches == 0 and rep.elements == 500


def test_single_mode_writes_file_and_counts_samples(digits, tmp_path, capsys) -> None:
    _, build = digits
    out = tmp_path / "m.tflite"
    assert main(["quantize", str(build / "digits.keras"), "--calib", str(build / "calib.npz"), "-o", str(out)]) == 0
    assert out.read_bytes()[4:8] == b"TFL3"
    assert "calibration: 200 samples" in capsys.readouterr().err


@pytest.mark.parametrize("problem", ["missing", "corrupt", "wrong_shape", "empty", "text_dtype", "no_calib"])
def test_bad_inputs_are_clear_errors(problem, digits, tmp_path, capsys) -> None:
    _, build = digits
    model, calib = build / "digits.keras", build / "calib.npz"
    if problem == "missing":
        model = tmp_path / "nope.keras"
    elif problem == "corrupt":
        model = tmp_path / "bad.keras"
        model.write_bytes(b"not a zip file at all")
    elif problem == "wrong_shape":
        calib = tmp_path / "c.npy"
        np.save(calib, np.zeros((10, 8, 8, 1), np.float32))
    elif problem == "empty":
        calib = tmp_path / "c.npy"
        np.save(calib, np.zeros((0, 16, 16, 1), np.float32))
    elif problem == "text_dtype":
        calib = tmp_path / "c.npy"
        np.save(calib, np.array([["a"] * 16] * 16))
    args = ["quantize", str(model), "-o", str(tmp_path / "o.tflite")]
    if problem != "no_calib":
        args += ["--calib", str(calib)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    expected = {"missing": "not found", "corrupt": "cannot load", "wrong_shape": "expects (16, 16, 1)",
                "empty": "empty", "text_dtype": "numeric", "no_calib": "calibration data"}[problem]
    assert expected in err


def _keras_model(path, body, shape=(8,)):
    keras = pytest.importorskip("keras")
    inp = keras.Input(shape)
    keras.Model(inp, body(keras, inp)).save(path)
    return path


def test_layer_without_int8_kernel_is_named(tmp_path, capsys) -> None:
    keras = pytest.importorskip("keras")

    @keras.saving.register_keras_serializable(package="tinyq_test")
    class Cos(keras.layers.Layer):
        def call(self, x):
            return keras.ops.cos(x)

    # TensorFlow's converter leaves COS in float (DEQUANTIZE/COS/QUANTIZE) without complaint
    model = _keras_model(tmp_path / "cos.keras", lambda k, x: k.layers.Dense(4)(Cos()(k.layers.Dense(8)(x))))
    calib = tmp_path / "c.npy"
    np.save(calib, np.random.default_rng(0).random((16, 8), np.float32))
    assert main(["quantize", str(model), "--calib", str(calib), "-o", str(tmp_path / "o.tflite")]) == 2
    err = capsys.readouterr().err
    assert "cannot be fully integer-quantized: COS" in err and "Traceback" not in err
    assert "warning: only 16 calibration samples" in err
    # the same model in dynamic-range mode keeps COS in float and converts
    assert main(["quantize", str(model), "--mode", "dynamic", "-o", str(tmp_path / "d.tflite")]) == 0


def test_unknown_input_size_is_a_clear_error(tmp_path, capsys) -> None:
    model = _keras_model(tmp_path / "any.keras", lambda k, x: k.layers.Conv2D(2, 3)(x), shape=(None, None, 1))
    assert main(["quantize", str(model), "--calib", str(tmp_path / "c.npy"), "-o", str(tmp_path / "o.tflite")]) == 2
    assert "unknown dimensions" in capsys.readouterr().err


def test_image_folder_calibration_and_compare_without_labels(tmp_path, capsys) -> None:
    Image = pytest.importorskip("PIL.Image", reason="image folders need pillow (the quantize extra)")
    model = _keras_model(tmp_path / "img.keras", lambda k, x: k.layers.Dense(3, activation="softmax")(
        k.layers.Flatten()(k.layers.Conv2D(4, 3, activation="relu")(x))), shape=(12, 12, 3))
    rng = np.random.default_rng(1)
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for i in range(5):          # other sizes than the model's: resized on load
        Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).save(imgs / f"{i}.png")
    rep = tmp_path / "rep"
    assert main(["quantize", str(model), "--calib", str(imgs), "--compare", "--report", str(rep)]) == 0
    assert "calibration: 5 samples" in capsys.readouterr().err
    res = {r["mode"]: r for r in json.loads((rep / "report.json").read_text())}
    assert all(r["top1"] is None for r in res.values())          # no labels: agreement and error only
    assert res["float32"]["agreement"] == 1.0 and res["float32"]["mae"] == 0.0
    assert 0 < res["int8"]["mae"] < 0.2
    md = (rep / "report.md").read_text()
    assert "n/a (no labels)" in md and "agrees with float32" in md
    (imgs / "broken.png").write_bytes(b"not a png")
    assert main(["quantize", str(model), "--calib", str(imgs), "-o", str(tmp_path / "o.tflite")]) == 2
    assert "cannot read the image" in capsys.readouterr().err


def test_plain_savedmodel_signature(tmp_path, capsys) -> None:
    tf = pytest.importorskip("tensorflow")

    class Net(tf.Module):
        def __init__(self):
            self.w = tf.Variable(np.random.default_rng(2).standard_normal((6, 4)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec((None, 6), tf.float32)])
        def __call__(self, x):
            return {"y": tf.nn.relu(tf.matmul(x, self.w))}

    net = Net()
    tf.saved_model.save(net, str(tmp_path / "sm"), signatures=net.__call__)
    calib = tmp_path / "c.npz"
    np.savez(calib, x=np.random.default_rng(3).standard_normal((120, 6)).astype(np.float32))
    out = tmp_path / "sm.tflite"
    assert main(["quantize", str(tmp_path / "sm"), "--calib", str(calib), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "calibration: 120 samples" in err and "warning: only" not in err
    from tinyq.workflows.quantize.tflite_ops import list_ops
    assert [o.name for o in list_ops(out.read_bytes())] == ["FULLY_CONNECTED"]   # batch 1: no shape ops
    assert verify(out, samples=5, seed=0).mismatches == 0


def test_committed_example_model_is_full_int8_and_small() -> None:
    from tinyq.workflows.example import EXAMPLE
    from tinyq.workflows.quantize.tflite_ops import float_ops, list_ops, uncompilable_ops
    blob = (EXAMPLE / "digits_int8.tflite").read_bytes()
    ops = {o.name for o in list_ops(blob)}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MAX_POOL_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED",
            "SOFTMAX"} <= ops
    assert not float_ops(blob) and not uncompilable_ops(blob) and len(blob) < 80_000


MLPERF_SOURCES = {"ad01.h5": (640,), "pretrainedResnet.h5": (32, 32, 3), "vww_96.h5": (96, 96, 3),
                  "kws_ref_model_savedmodel": (49, 10, 1)}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["int8", "int16x8"])
@pytest.mark.parametrize("name", sorted(MLPERF_SOURCES))
def test_mlperf_sources_quantize_and_verify(name, mode, tmp_path) -> None:
    if not (MLPERF_DIR / name).exists():
        pytest.skip(f"{name} not in {MLPERF_DIR}")
    src = MLPERF_DIR / name
    rng = np.random.default_rng(0)
    calib = tmp_path / "calib.npy"
    np.save(calib, rng.standard_normal((24, *MLPERF_SOURCES[name])).astype(np.float32))   # user-supplied data stand-in
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(src), "--calib", str(calib), "--mode", mode, "-o", str(out)]) == 0
    rep = verify(out, samples=20 if mode == "int16x8" else 10, seed=1)
    assert rep.mismatches == 0, rep.to_dict()
    if mode == "int16x8":
        # and on the emulated Cortex-M4 with the 16x8 DSP kernels
        from tinyq.workflows.deploy import DeployOptions, deploy
        dep = deploy(DeployOptions(model=out, emulate=True, samples=5, out=tmp_path / "dep", quiet=True))
        assert dep["bit_exact"] and dep["samples"] == 5, dep


def test_mlperf_path_helper_skips_cleanly() -> None:
    # mlperf_path() is what every MLPerf test uses to skip with a message when ../shared is absent
    assert mlperf_path("ad01_int8").name == "ad01_int8.tflite"


def test_lambda_layer_is_a_clear_error(tmp_path, capsys) -> None:
    model = _keras_model(tmp_path / "lam.keras", lambda k, x: k.layers.Lambda(lambda t: t * 2.0)(x))
    assert main(["quantize", str(model), "--mode", "float32", "-o", str(tmp_path / "o.tflite")]) == 2
    err = capsys.readouterr().err
    assert "cannot load" in err and "Lambda" in err and "Traceback" not in err
