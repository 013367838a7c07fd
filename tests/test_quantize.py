"""tinyq quantize: the example's size/accuracy trade-off, the MLPerf sources, and bad inputs."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import MLPERF_DIR, mlperf_path

from tinyq.cli import main
from tinyq.verify import verify

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from tinyq.example import example_model
    build = tmp_path_factory.mktemp("digits")
    return example_model(build), build


def test_example_compare_report_meets_targets(digits, tmp_path, capsys) -> None:
    _, build = digits
    rep = tmp_path / "rep"
    assert main(["quantize", str(build / "digits.keras"), "--calib", str(build / "calib.npz"), "--compare",
                 "--eval", str(build / "eval.npz"), "--report", str(rep)]) == 0
    res = {r["mode"]: r for r in json.loads((rep / "report.json").read_text())}
    assert set(res) == {"float32", "float16", "dynamic", "int8"}
    assert res["int8"]["ratio_to_float32"] <= 0.3
    assert res["float16"]["ratio_to_float32"] <= 0.55
    assert res["float32"]["top1"] > 0.9
    assert res["float32"]["top1"] - res["int8"]["top1"] <= 0.01
    assert (rep / "report.png").stat().st_size > 1000 and "| int8 |" in (rep / "report.md").read_text()


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


MLPERF_SOURCES = {"ad01.h5": (640,), "pretrainedResnet.h5": (32, 32, 3), "vww_96.h5": (96, 96, 3),
                  "kws_ref_model_savedmodel": (49, 10, 1)}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MLPERF_SOURCES))
def test_mlperf_sources_quantize_and_verify(name, tmp_path) -> None:
    if not (MLPERF_DIR / name).exists():
        pytest.skip(f"{name} not in {MLPERF_DIR}")
    src = MLPERF_DIR / name
    rng = np.random.default_rng(0)
    calib = tmp_path / "calib.npy"
    np.save(calib, rng.standard_normal((24, *MLPERF_SOURCES[name])).astype(np.float32))   # user-supplied data stand-in
    out = tmp_path / "q.tflite"
    assert main(["quantize", str(src), "--calib", str(calib), "-o", str(out)]) == 0
    rep = verify(out, samples=10, seed=1)
    assert rep.mismatches == 0, rep.to_dict()


def test_mlperf_path_helper_skips_cleanly() -> None:
    # mlperf_path() is what every MLPerf test uses to skip with a message when ../shared is absent
    assert mlperf_path("ad01_int8").name == "ad01_int8.tflite"
