"""tinyq compare: the digits example in every mode, deployed to the emulated nRF52840."""
from __future__ import annotations

import json

import pytest

from tinyq.cli import main


def test_unknown_mode_is_refused_before_any_work(tmp_path, capsys) -> None:
    code = main(["compare", str(tmp_path / "none.keras"), "--calib", "c.npz", "--eval", "e.npz", "--emulate",
                 "--modes", "int8,int4"])
    err = capsys.readouterr().err
    assert code == 2 and "int4" in err and "Traceback" not in err


@pytest.mark.tf
@pytest.mark.slow
def test_digits_every_mode_side_by_side(tmp_path, capsys) -> None:
    pytest.importorskip("tensorflow")
    from tinyq.workflows.example import example_model

    build = tmp_path / "digits"
    build.mkdir()
    example_model(build)
    report = tmp_path / "report"
    capsys.readouterr()
    assert main(["compare", str(build / "digits.keras"), "--calib", str(build / "calib.npz"), "--eval",
                 str(build / "eval.npz"), "--emulate", "--samples", "30", "--json", "--report", str(report),
                 "--out", str(tmp_path / "out")]) == 0
    rep = json.loads(capsys.readouterr().out)
    rows = {r["mode"]: r for r in rep["modes"]}
    assert rep["board"] == "nrf52840" and list(rows) == ["float32", "float16", "dynamic", "int16x8", "int8"]
    f32 = rows["float32"]["file_bytes"]
    # the seeds' size claims, checked on the files written
    assert 0.45 < rows["float16"]["file_bytes"] / f32 < 0.6
    for mode in ("dynamic", "int8"):
        assert 0.2 < rows[mode]["file_bytes"] / f32 <= 0.32
    ran = [m for m, r in rows.items() if r["instructions"]]
    assert {"float32", "float16", "int16x8", "int8"} <= set(ran)
    # float16 weights stay half-size in the firmware too
    assert rows["float16"]["flash_bytes"] < 0.6 * rows["float32"]["flash_bytes"]
    for m in ran:
        r = rows[m]
        assert r["fits"] and r["exact"] and r["flash_bytes"] > 0 and r["ram_bytes"] > 0
        assert r["device_top1"] >= 0.9 and r["agreement"] >= 0.9
        assert sum(map(sum, r["confusion"])) == 30
    for m in set(rows) - set(ran):
        assert rows[m]["note"].startswith("not on device yet")
    # measured, not assumed: the int8 kernels run the same network in fewer instructions
    assert rows["int8"]["instructions"] < rows["float32"]["instructions"]
    # and dynamic range, on the DSP hybrid kernels (hybrid_dsp.c), beats float32 on the M4F
    assert rows["dynamic"]["instructions"] < rows["float32"]["instructions"]
    assert (report / "compare.md").read_text().count("| int8 |") == 1 and (report / "compare.png").stat().st_size > 0


@pytest.mark.tf
@pytest.mark.slow
def test_deploy_eval_reports_device_top1_and_confusion(tmp_path, capsys) -> None:
    pytest.importorskip("tensorflow")
    from pathlib import Path

    from tinyq.workflows.example import example_model

    model = example_model()     # the committed int8 example
    ev = Path(model).parent / "eval.npz"
    assert main(["deploy", "--model", str(model), "--emulate", "--eval", str(ev), "--samples", "25",
                 "--out", str(tmp_path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    e = rep["eval"]
    assert rep["samples"] == e["samples"] == 25 and rep["bit_exact"]
    assert e["device_top1"] >= 0.9 and e["agreement"] == 1.0     # int8 on the device = LiteRT's int8 classes
    assert sum(map(sum, e["confusion"])) == 25 and sum(e["confusion"][i][i] for i in range(len(e["confusion"]))) \
        == round(25 * e["device_top1"])
