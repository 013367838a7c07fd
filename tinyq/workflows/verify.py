"""`tinyq verify`: the generated C, built for the host, against TFLM's interpreter, bit for bit."""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tinyq.ir import Graph
from tinyq.targets.host import build_host, run_host
from tinyq.targets.reference import run_reference
from tinyq.workflows.compile import compile


@dataclass
class VerifyReport:
    model: str
    samples: int
    elements: int
    mismatches: int
    max_abs_diff: int | float
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


def compare(want: np.ndarray, got: np.ndarray) -> tuple[int, int | float]:
    """(elements that differ, largest absolute difference). Floats must match bit for bit."""
    w, o = np.asarray(want).reshape(-1), np.asarray(got).reshape(-1)
    if w.dtype.kind == "f":
        bad = int(np.count_nonzero(w.view(f"u{w.itemsize}") != o.astype(w.dtype).view(f"u{w.itemsize}")))
        return bad, float(np.abs(w.astype(np.float64) - o.astype(np.float64)).max(initial=0.0))
    diff = np.abs(w.astype(np.int64) - o.astype(np.int64))
    return int(np.count_nonzero(diff)), int(diff.max(initial=0))


def verify(model: str | Path, samples: int = 100, seed: int = 0, layers: bool = False,
           sanitize: bool = False, work_dir: str | Path | None = None,
           inputs: list[np.ndarray] | None = None,
           reference_model: str | Path | None = None, kernels: str = "dsp") -> VerifyReport:
    """Compile `model`, run it on the host and compare with TFLM running `reference_model`
    (default: the same file; a batch-1 twin for models TFLM cannot run itself)."""
    gen = compile(model, kernels=kernels)
    g = gen.graph
    with tempfile.TemporaryDirectory(prefix="tinyq-verify-") as tmp:
        out_dir = Path(work_dir) if work_dir else Path(tmp)
        gen.write(out_dir)
        exe = build_host(out_dir, sanitize=sanitize, profile=layers)
        xs = inputs if inputs is not None else random_inputs(g, samples, seed)
        n = len(xs[0])
        got, dumps = run_host(exe, g, xs, layers=layers)
    want_all, ref_layers = run_reference(reference_model or model, xs, len(g.outputs),
                                         [op.outputs[0] for op in g.ops] if layers else None)
    elements = mismatches = 0
    max_diff: int | float = 0
    first_bad = None
    layer_stats: list[dict] = [{"index": op.index, "op": op.opcode, "tensor": g.t(op.outputs[0]).name,
                                "mismatches": 0} for op in g.ops] if layers else []
    for s in range(n):
        for w, o in zip(want_all[s], got[s]):
            bad, diff = compare(w, o)
            elements += w.size
            mismatches += bad
            max_diff = max(max_diff, diff)
        for li, op in enumerate(g.ops if layers else []):
            t = g.t(op.outputs[0])
            mine = np.frombuffer(dumps[s][li], dtype=t.dtype)
            bad = compare(ref_layers[s][li].astype(t.dtype), mine)[0]
            layer_stats[li]["mismatches"] += bad
            if bad and first_bad is None:
                first_bad = {"index": op.index, "op": op.opcode, "tensor": t.name, "sample": s,
                             "mismatches": bad, "elements": int(t.num_elements)}
    return VerifyReport(g.name, n, elements, mismatches, max_diff, gen.arena_bytes, sanitize,
                        first_bad, layer_stats)
