"""The compiler's CLI: inspect, generate, verify, and how unsupported models are refused."""
from __future__ import annotations

import json

import pytest

from tinyq.cli import main

from conftest import mlperf_path


def test_inspect_json(capsys) -> None:
    assert main(["inspect", str(mlperf_path("ad01_int8")), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["total_macs"] == 264192
    assert len(info["ops"]) == 10 and all(op["supported"] for op in info["ops"])
    assert info["inputs"][0]["shape"] == [1, 640]


def test_verify_json_and_exit_status(capsys) -> None:
    assert main(["verify", str(mlperf_path("ad01_int8")), "--samples", "5", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert {"model", "samples", "elements", "mismatches", "max_abs_diff"} <= set(rep)
    assert rep["samples"] == 5 and rep["elements"] == 5 * 640 and rep["mismatches"] == 0


def test_bad_model_is_a_clear_error(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x00" * 64)
    assert main(["inspect", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a TFLite flatbuffer" in err and "Traceback" not in err


@pytest.mark.tf
def test_unsupported_op_stops_generation_naming_it(tmp_path, capsys) -> None:
    tf = pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model

    # (the converter leaves SIN in float, DEQUANTIZE -> SIN -> QUANTIZE: TFLM's SIN is float32 only,
    # and tinyq compiles integer models; see the op table in docs/ARCHITECTURE.md)
    model = keras_model([(4, 4, 8)], lambda x: tf.keras.layers.Lambda(
        lambda y: tf.math.sin(y))(tf.keras.layers.Conv2D(4, 1)(x)))
    path = convert_int8(model, tmp_path / "sin.tflite", [(4, 4, 8)])
    out = tmp_path / "gen"
    code = main(["generate", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    assert code != 0
    assert "SIN (no kernel (float32 only in TFLM" in err and "op 2" in err and "supported:" in err
    assert not out.exists() or not any(out.iterdir()), "no code may be written for an unsupported model"
