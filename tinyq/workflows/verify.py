"""`tinyq verify`: the generated C, built for the host, against TFLM's interpreter, bit for bit."""
from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Op
from tinyq.targets.host import build_host, run_host
from tinyq.targets.reference import TFLM, run_golden
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
    reference: str = TFLM           # what the outputs were compared with (LiteRT's reference
    reference_note: str = ""        # kernels where TFLM cannot run the model: then why)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.first_bad_layer is None

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.layers:
            d.pop("layers")
        if not self.reference_note:
            d.pop("reference_note")
        return d


MAX_SAMPLES = 100_000


def check_verify_args(samples: int, seed: int) -> None:
    """Refuse sample counts and seeds verify cannot use (before any work is done)."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 1 <= samples <= MAX_SAMPLES:
        raise TinyqError(f"samples must be between 1 and {MAX_SAMPLES:,}, not {samples}",
                         "with no samples nothing is compared, so nothing would be verified")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TinyqError(f"seed must be a non-negative integer, not {seed}", "e.g. --seed 0")


def check_output_dir(path: str | Path, what: str) -> Path:
    """A folder tinyq may write into: created now (before any work), or a clear error."""
    if str(path).strip() == "":
        raise TinyqError(f"{what}: the output folder name is empty", "give a folder, e.g. out/")
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TinyqError(f"{what}: cannot create the folder {p}: {exc.strerror or exc}",
                         "choose a path you can write to") from None
    if not p.is_dir() or not os.access(p, os.W_OK):
        raise TinyqError(f"{what}: {p} is not a writable folder", "choose a path you can write to")
    return p


def check_output_file(path: str | Path, what: str) -> Path:
    """A file tinyq may write (its folder created now, before any work), or a clear error."""
    if str(path).strip() == "":
        raise TinyqError(f"{what}: the output file name is empty", "give a file name")
    p = Path(path)
    if p.is_dir():
        raise TinyqError(f"{what}: {p} is a folder, not a file", "give a file name")
    check_output_dir(p.parent, what)
    existed = p.exists()
    try:
        with open(p, "ab"):
            pass
    except OSError as exc:
        raise TinyqError(f"{what}: cannot write {p}: {exc.strerror or exc}", "choose a path you can write to") from None
    if not existed:
        p.unlink()
    return p


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
    if w.size != o.size:   # shapes disagree (e.g. a layer TFLM sizes differently): all of it differs
        return max(w.size, o.size), float(np.finfo(np.float32).max) if w.dtype.kind == "f" else 2**31
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
    check_verify_args(samples if inputs is None else len(inputs[0]) if inputs else 0, seed)
    if work_dir is not None:
        work_dir = check_output_dir(work_dir, "--keep")
    gen = compile(model, kernels=kernels)
    g = gen.graph
    if inputs is not None and (len(inputs) != len(g.inputs) or any(
            tuple(x.shape[1:]) != tuple(g.t(t).shape) for x, t in zip(inputs, g.inputs))):
        raise TinyqError(f"inputs: {len(inputs)} array(s) of shapes {[list(x.shape) for x in inputs]}; the model "
                         f"takes {[[None, *g.t(t).shape] for t in g.inputs]} (leading sample axis)",
                         "pass one array per model input, samples first")
    with tempfile.TemporaryDirectory(prefix="tinyq-verify-") as tmp:
        out_dir = Path(work_dir) if work_dir else Path(tmp)
        gen.write(out_dir)
        exe = build_host(out_dir, sanitize=sanitize, profile=layers)
        xs = inputs if inputs is not None else random_inputs(g, samples, seed)
        n = len(xs[0])
        got, dumps = run_host(exe, g, xs, layers=layers)
    # (layer dumps: each op's first output; ops without one, ASSIGN_VARIABLE, dump nothing)
    golden = run_golden(reference_model or model, xs, len(g.outputs),
                        [op.outputs[0] for op in g.ops if _dumped(g, op)] if layers else None)
    want_all = golden.outputs
    ref_layers = [_spread(golden.layers[s], g) for s in range(n)] if layers else []
    elements = mismatches = 0
    max_diff: int | float = 0
    first_bad = None
    layer_stats: list[dict] = [{"index": op.index, "op": op.opcode,
                                "tensor": g.t(op.outputs[0]).name if op.outputs else "", "mismatches": 0}
                               for op in g.ops] if layers else []
    for s in range(n):
        for w, o in zip(want_all[s], got[s]):
            bad, diff = compare(w, o)
            elements += w.size
            mismatches += bad
            max_diff = max(max_diff, diff)
        for li, op in enumerate(g.ops if layers else []):
            if not _dumped(g, op):
                continue
            t = g.t(op.outputs[0])
            mine = np.frombuffer(dumps[s][li], dtype=t.dtype)
            bad = compare(ref_layers[s][li].astype(t.dtype), mine)[0]
            layer_stats[li]["mismatches"] += bad
            if bad and first_bad is None:
                first_bad = {"index": op.index, "op": op.opcode, "tensor": t.name, "sample": s,
                             "mismatches": bad, "elements": int(t.num_elements)}
    return VerifyReport(g.name, n, elements, mismatches, max_diff, gen.arena_bytes, sanitize,
                        first_bad, layer_stats, golden.reference, golden.tflm_error)


def _dumped(g: Graph, op: Op) -> bool:
    """Whether `--layers` compares this op's first output (ASSIGN_VARIABLE has none, a
    VAR_HANDLE's is a handle without memory)."""
    return bool(op.outputs) and g.t(op.outputs[0]).itemsize > 0


def _spread(dumps: list[np.ndarray], g: Graph) -> list[np.ndarray]:
    """Per op, its reference dump (an empty array for an op without one)."""
    it = iter(dumps)
    return [next(it) if _dumped(g, op) else np.zeros(0) for op in g.ops]
