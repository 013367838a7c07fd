"""Every committed corner-case model (tests/models/*.tflite), with both kernel families, compiled
to C, built for the host and compared with TFLM bit for bit. Needs no TensorFlow: the models
are generated once by scripts/make_test_models.py and committed.

Most of the time goes into the host C compiler, so the selected (model, family) pairs are
verified on a thread pool (one worker per core; TINYQ_TEST_JOBS overrides) started by the first
test that needs a result; each test then checks its own pair's report."""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

MODELS_DIR = Path(__file__).resolve().parent / "models"
MODELS = sorted(MODELS_DIR.glob("*.tflite"))
FAMILIES = ["dsp", "portable"]
SAMPLES = 20
MAX_BYTES = 64 * 1024


def test_committed_models_exist_and_are_small() -> None:
    assert MODELS, f"no .tflite models in {MODELS_DIR} (run scripts/make_test_models.py)"
    big = {p.name: p.stat().st_size for p in MODELS if p.stat().st_size >= MAX_BYTES}
    assert not big, f"committed test models must stay under {MAX_BYTES} bytes: {big}"


def _verify(model: Path, family: str):
    from tinyq.workflows.verify import verify
    return verify(model, samples=SAMPLES, seed=0, kernels=family)


@pytest.fixture(scope="module")
def reports(request: pytest.FixtureRequest):
    """(model name, family) -> Future of its VerifyReport, for every pair selected in this run."""
    pairs = [(item.callspec.params["model"], item.callspec.params["family"])
             for item in request.session.items
             if getattr(item, "originalname", None) == "test_committed_model_matches_tflm"]
    jobs = int(os.environ.get("TINYQ_TEST_JOBS", 0)) or os.cpu_count() or 1
    pool = ThreadPoolExecutor(max_workers=jobs)
    futures: dict[tuple[str, str], Future] = {(m.name, f): pool.submit(_verify, m, f) for m, f in pairs}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("model", MODELS, ids=[p.stem for p in MODELS])
def test_committed_model_matches_tflm(model: Path, family: str, reports) -> None:
    rep = reports[(model.name, family)].result()
    assert rep.elements > 0, f"{model.name}: no output elements compared"
    assert rep.mismatches == 0, (f"{model.name} [{family}]: {rep.mismatches} of {rep.elements} "
                                 f"output elements differ from TFLM (max |diff| {rep.max_abs_diff})")
