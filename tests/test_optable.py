"""The op table (docs/ARCHITECTURE.md) is what tinyq/ops/optable.py generates from the registry."""
from __future__ import annotations

from tinyq.ops.optable import TFLM_OPS, TINYQ, WHY_NOT, markdown, missing
from tinyq.ops.registry import load_all

from conftest import ROOT


def test_architecture_op_table_is_current() -> None:
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    table = doc.split("<!-- optable:begin -->\n", 1)[1].split("\n<!-- optable:end -->", 1)[0]
    assert table == markdown(), "regenerate it: python -m tinyq.ops.optable --write docs/ARCHITECTURE.md"


def test_every_compiled_op_says_what_it_compiles() -> None:
    registry = load_all()
    assert sorted(op for op in registry if op not in TINYQ) == []
    # an op is either compiled, or says why not, or is listed as missing
    for op in TFLM_OPS:
        assert (op in registry) or (op in WHY_NOT) or (op in missing())
    assert not set(missing()) & set(registry)
