"""`tinyq verify`: the generated C, built for the host, against TFLM's interpreter, bit for bit."""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tinyq.backend.generate import generate
from tinyq.ir import Graph
from tinyq.passes.pipeline import load
from tinyq.reference import TflmReference
from tinyq.targets.host import build_host, run_host


@dataclass
class VerifyReport:
    model: str
    samples: int
    elements: int
    mismatches: int
    max_abs_diff: int
    arena_bytes: int = 0
    sanitized: bool = False
    first_bad_layer: dict | None = None
    layers: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.first_bad_layer is None

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.layers:
            d.pop("layers")
        return d


def random_inputs(g: Graph, samples: int, seed: int) -> list[np.ndarray]:
    """Uniform random data over each input's whole integer range, with a leading sample axis."""
    rng = np.random.default_rng(seed)
    res = []
    for t in (g.t(i) for i in g.inputs):
        if t.dtype.startswith(("int", "uint")):
            info = np.iinfo(t.dtype)
            res.append(rng.integers(info.min, info.max + 1, size=(samples, *t.shape), dtype=t.dtype))
        else:
            res.append(rng.standard_normal(size=(samples, *t.shape)).astype(t.dtype))
    return res


def verify(model: str | Path, samples: int = 100, seed: int = 0, layers: bool = False,
           sanitize: bool = False, work_dir: str | Path | None = None,
           inputs: list[np.ndarray] | None = None,
           reference_model: str | Path | None = None) -> VerifyReport:
    """Compile `model`, run it on the host and compare with TFLM running `reference_model`
    (default: the same file; a batch-1 twin for models TFLM cannot run itself)."""
    g = load(model)
    gen = generate(g, source=Path(model).name)
    with tempfile.TemporaryDirectory(prefix="tinyq-verify-") as tmp:
        out_dir = Path(work_dir) if work_dir else Path(tmp)
        gen.write(out_dir)
        exe = build_host(out_dir, sanitize=sanitize, profile=layers)
        xs = inputs if inputs is not None else random_inputs(g, samples, seed)
        n = len(xs[0])
        got, dumps = run_host(exe, g, xs, layers=layers)
    ref = TflmReference(reference_model or model, preserve_all=layers)
    elements = mismatches = max_diff = 0
    first_bad = None
    layer_stats: list[dict] = []
    for s in range(n):
        want = ref.run([x[s] for x in xs], len(g.outputs))
        for w, o in zip(want, got[s]):
            diff = np.abs(w.astype(np.int64).reshape(-1) - o.astype(np.int64).reshape(-1))
            elements += diff.size
            mismatches += int(np.count_nonzero(diff))
            max_diff = max(max_diff, int(diff.max(initial=0)))
        if layers:
            for li, op in enumerate(g.ops):
                t = g.t(op.outputs[0])
                mine = np.frombuffer(dumps[s][li], dtype=t.dtype)
                theirs = ref.tensor(op.outputs[0]).astype(t.dtype).reshape(-1)
                bad = int(np.count_nonzero(mine != theirs))
                if s == 0:
                    layer_stats.append({"index": op.index, "op": op.opcode, "tensor": t.name, "mismatches": 0})
                layer_stats[li]["mismatches"] += bad
                if bad and first_bad is None:
                    first_bad = {"index": op.index, "op": op.opcode, "tensor": t.name, "sample": s,
                                 "mismatches": bad, "elements": int(t.num_elements)}
    return VerifyReport(g.name, n, elements, mismatches, max_diff, gen.arena_bytes, sanitize,
                        first_bad, layer_stats)
