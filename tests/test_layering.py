"""The package's tree is its pipeline: no module imports from a later stage."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "tinyq"

# Stages in the order data flows; a module may import its own stage and earlier ones only.
STAGES: list[tuple[str, ...]] = [
    ("tinyq", "tinyq.ir", "tinyq.errors", "tinyq.quant", "tinyq.resources", "tinyq.boards"),
    ("tinyq.frontend",),
    ("tinyq.passes",),
    ("tinyq.ops",),
    ("tinyq.plan",),
    ("tinyq.render",),
    ("tinyq.targets",),
    ("tinyq.workflows",),
    ("tinyq.commands", "tinyq.cli"),
]


def stage_of(module: str) -> int:
    best, depth = -1, -1
    for i, prefixes in enumerate(STAGES):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and p.count(".") > depth:
                best, depth = i, p.count(".")
    return best


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every tinyq import in the file, at any depth (functions, TYPE_CHECKING)."""
    res = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            # `from tinyq.ops import lower` names a module; `from tinyq.ir import Graph` a symbol
            res.append((node.lineno, next((n for n in names[1:] if (PKG.parent / (n.replace(".", "/") + ".py")).exists()),
                                          node.module)))
        elif isinstance(node, ast.Import):
            res.extend((node.lineno, a.name) for a in node.names)
    return [(line, m) for line, m in res if m == "tinyq" or m.startswith("tinyq.")]


def violations() -> list[str]:
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        mod = module_name(path)
        if mod == "tinyq":          # the API facade: lazy imports of the workflows on top of it all
            continue
        here = stage_of(mod)
        assert here >= 0, f"{mod} is in no stage: add it to STAGES"
        for line, target in imports(path):
            there = stage_of(target)
            if there > here:
                bad.append(f"{path.relative_to(PKG.parent)}:{line} ({STAGES[here][0]}) imports {target} "
                           f"({STAGES[there][0]}, a later stage)")
    return bad


def test_no_module_imports_from_a_later_stage() -> None:
    bad = violations()
    assert not bad, "\n".join(bad)


def test_the_check_sees_a_backward_import(tmp_path, monkeypatch) -> None:
    """The check itself fails on an import against the flow (a test that can't fail is none)."""
    assert stage_of("tinyq.ops.conv_2d") < stage_of("tinyq.workflows.verify")
    fake = tmp_path / "tinyq" / "ops"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from tinyq.workflows.verify import verify\n")
    monkeypatch.setattr(__import__(__name__), "PKG", tmp_path / "tinyq")
    found = violations()
    assert len(found) == 1 and "imports tinyq.workflows.verify" in found[0]


def test_shared_constants_header_is_current() -> None:
    """firmware/kernels/tq_constants.h is generated from tinyq/ops/constants.py and committed."""
    from tinyq.ops.constants import header
    committed = (PKG.parent / "firmware" / "kernels" / "tq_constants.h").read_text()
    assert committed == header(), "regenerate: python -m tinyq.ops.constants > firmware/kernels/tq_constants.h"
