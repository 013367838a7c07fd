"""TFLM's own per-layer integration suite (SEANet, 127 int16-activation models): tinyq's C, built for
the host, must give exactly the golden outputs stored beside each model for its stored inputs.
Op families tinyq does not compile yet must be refused cleanly, naming the op."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tinyq.errors import UnsupportedOpError

from conftest import ROOT

SEANET = Path(os.environ.get("TINYQ_SEANET_DIR", ROOT.parent / "shared" / "models" / "tflm_integration" / "seanet"))
MODELS = sorted(SEANET.glob("*/*.tflite"))
# Folders (= op families) of the suite that tinyq refuses today; shrink this as kernels land.
NOT_YET: set[str] = set()


def _csv(path: Path) -> np.ndarray:
    dtype = path.stem.rsplit("_", 1)[1]           # ..._int16.csv / ..._int32.csv
    return np.array([int(v) for v in path.read_text().replace("\n", ",").split(",") if v.strip()], dtype=dtype)


def _case(model: Path) -> tuple[list[np.ndarray], np.ndarray]:
    ins = sorted(model.parent.glob(f"{model.stem}_input*_*.csv"),
                 key=lambda p: int(p.stem[len(model.stem) + len("_input"):].split("_")[0]))
    golden = next(model.parent.glob(f"{model.stem}_golden_*.csv"))
    return [_csv(p) for p in ins], _csv(golden)


def test_the_suite_is_there() -> None:
    if not SEANET.is_dir():
        pytest.skip(f"the SEANet suite is not in {SEANET} (it lives in ../shared; set TINYQ_SEANET_DIR)")
    assert len(MODELS) == 127, f"expected TFLM's 127 SEANet models, found {len(MODELS)}"
    for m in MODELS:
        ins, golden = _case(m)
        assert ins and golden.size, m


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_seanet_model_matches_its_golden_output(model: Path, tmp_path: Path) -> None:
    from tinyq.targets.host import build_host, run_host
    from tinyq.workflows.compile import compile

    family = model.parent.name
    if family in NOT_YET:
        with pytest.raises(UnsupportedOpError) as info:
            compile(model)
        msg = str(info.value)
        # the refusal names the op and says why: the int16/int32 type, or no kernel at all
        assert "unsupported operators: op 0 " in msg and any(w in msg for w in ("int16", "int32", "no kernel")), msg
        return
    c = compile(model)
    g = c.graph
    inputs, golden = _case(model)
    assert len(inputs) == len(g.inputs), (len(inputs), len(g.inputs))
    xs = []
    for arr, t in zip(inputs, g.inputs):
        tensor = g.t(t)
        assert arr.dtype == np.dtype(tensor.dtype) and arr.size == tensor.num_elements, (arr.dtype, tensor)
        xs.append(arr.reshape((1, *tensor.shape)))
    c.write(tmp_path)
    outs, _ = run_host(build_host(tmp_path), g, xs)
    got = outs[0][0].reshape(-1)
    assert got.dtype == golden.dtype and got.size == golden.size
    bad = int(np.count_nonzero(got != golden))
    assert bad == 0, f"{bad} of {golden.size} outputs differ from TFLM's golden values"
