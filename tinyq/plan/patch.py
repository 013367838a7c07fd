"""Patch-based execution: a run of window ops (convolutions, depthwise, pools) computed a band of
rows at a time, so that the large activations inside the run never exist whole.

The idea is MCUNetV2's (Lin et al., NeurIPS 2021): the first stages of an image model hold the
largest activations, and each of their output rows depends on a few input rows only. Here the
patches are full-width bands of rows and the halo is cached rather than recomputed: every
intermediate tensor of the run (a *band*) keeps, in a small buffer, only the rows its consumers
still need, so each output row is computed exactly once (no extra MACs) and from the same inputs
as without patches (bit-exact). The tensors entering the run and those leaving it stay whole.

The schedule is a line-buffer dataflow worked out at generation time. In step k the run's first
ops (those reading only whole tensors) produce their next rows, and every later op produces all
the rows its input bands now allow (an output row o needs rows up to o * stride - pad + extent of
its windowed input, and row o of a residual). At the start of step k, a band whose buffer would
overflow is shifted: the rows still needed (from the lowest row any consumer reads next) move to
the top of its buffer. A band's buffer holds `rows` rows: the most it ever needs at once, plus
slack so that it shifts only every few steps (the copy is the only cost patches add, besides the
calls themselves).

Kernels are unchanged: each call gets a copy of the op's parameters whose `geo` (tq_window) says
how many output rows to compute, from how many input rows, with how much top padding left (see
tq_patch.h), and pointers into the bands; the window clipping of the kernel then falls exactly on
the image borders. Variants declare that they can run this way (`rows=True`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tinyq.ir import Graph
from tinyq.ops.lower import Lowered
from tinyq.ops.registry import Rows
from tinyq.plan.arena import ArenaPlan, Buffer, plan_arena

PATCH_MODES = ("auto", "off", "max")
DEFAULT_MAX_OVERHEAD = 10.0   # percent of the model's instructions, for auto
AUTO_MIN_SAVING = 0.30        # auto patches a model that fits anyway only to save this much RAM
CALL_COST = 150               # instructions per kernel call (setup, the geometry copy); measured
COPY_COST = 0.35              # instructions per byte shifted (word copy, 4 words a loop)
INSTR_PER_MAC = 1.0           # what a model costs without patches, for the overhead ratio
STEP_CHOICES = (1, 2, 4, 8)   # rows of the first ops' outputs per step
AROUND = 6                    # ops before and after the peak a stage inside a run may span


@dataclass(frozen=True)
class Band:
    """An intermediate tensor of the run, held `rows` rows at a time."""

    tensor: int
    producer: int              # position of its op in the stage; -1: a model input the application feeds
    row_bytes: int
    rows: int
    height: int
    # graph positions of its producer and last consumer where no row of it outlives a step (each
    # step's rows are read within that step: a depthwise output feeding a 1x1 convolution): its
    # bytes are then live only between those two ops of each step, and other such bands whose
    # ops do not overlap may share them. None: rows carry over to later steps (live all stage).
    within_step: tuple[int, int] | None = None

    @property
    def nbytes(self) -> int:
        return self.rows * self.row_bytes


@dataclass
class Stage:
    """A run of ops (graph positions first..last) executed band by band."""

    first: int
    last: int
    steps: int
    deps: list[Rows]                       # per op of the run
    bands: list[Band]
    hi: np.ndarray                         # [steps, ops]: output rows of each op done after step k
    base: np.ndarray                       # [steps, bands]: first row in each band's buffer in step k
    shifted_bytes: int = 0                 # bytes the shifts copy per inference
    calls: int = 0                         # kernel calls per inference (one per op without patches)
    # per input the stage consumes for good: bytes of it no longer read, before each step
    consumed: dict[int, np.ndarray] = field(default_factory=dict)
    # per model input streamed into a band (`--patch ...,stream`): its rows fed after each step
    fed: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def ops(self) -> range:
        return range(self.first, self.last + 1)

    def band_of(self, t: int) -> Band | None:
        return next((b for b in self.bands if b.tensor == t), None)

    def row_bytes(self, g: Graph, t: int) -> int:
        shape = g.t(t).shape
        return int(shape[2]) * int(shape[3]) * g.t(t).itemsize

    def extra_instructions(self) -> int:
        """What running patch by patch adds: the extra calls (the input reader's included) and
        the shifts. (A fed input's bytes are written once either way.)"""
        feeds = sum(int(np.count_nonzero(np.diff(f, prepend=0))) for f in self.fed.values())
        return int((self.calls - len(self.deps) + feeds) * CALL_COST + self.shifted_bytes * COPY_COST)


@dataclass
class PatchReport:
    """What the planner chose and why (for `tinyq plan` and the compile summary): the stages,
    in op order (none, one, or a few runs far apart)."""

    mode: str
    stages: list[Stage]
    arena_without: int
    arena_with: int
    model_macs: int
    reason: str
    stream_requested: bool = False     # `MODE,stream`: the model input may be fed by rows

    @property
    def stage(self) -> Stage | None:
        """The first stage (None without patches)."""
        return self.stages[0] if self.stages else None

    def stage_at(self, pos: int) -> Stage | None:
        return next((st for st in self.stages if st.first <= pos <= st.last), None)

    def band_of(self, t: int) -> Band | None:
        return next((b for st in self.stages for b in st.bands if b.tensor == t), None)

    @property
    def saved_bytes(self) -> int:
        return self.arena_without - self.arena_with if self.stages else 0

    @property
    def overhead_pct(self) -> float:
        if not self.stages or not self.model_macs:
            return 0.0
        return 100.0 * sum(st.extra_instructions() for st in self.stages) / (self.model_macs * INSTR_PER_MAC)

    @staticmethod
    def _stage_dict(st: Stage) -> dict:
        return {"ops": [st.first, st.last], "steps": st.steps, "calls": st.calls, "shifted_bytes": st.shifted_bytes,
                "bands": [{"tensor": b.tensor, "rows": b.rows, "of_rows": b.height, "bytes": b.nbytes,
                           "fed": b.producer < 0} for b in st.bands],
                "streamed_inputs": sorted(st.fed)}

    def to_dict(self) -> dict:
        st = self.stage
        return {
            "mode": self.mode, "patched": st is not None, "reason": self.reason,
            "arena_without_patches": self.arena_without, "arena": self.arena_with,
            "saved_bytes": self.saved_bytes, "extra_macs": 0,
            "estimated_overhead_pct": round(self.overhead_pct, 2),
            **(self._stage_dict(st) if st else {}),
            "stages": [self._stage_dict(x) for x in self.stages],
        }

    def text(self, g: Graph) -> str:
        unfed = ""
        if self.stream_requested and not any(st.fed for st in self.stages):
            unfed = ("\n  ,stream: no stage reads the model input by rows alone, so it stays a buffer "
                     "(tinyq_model_input)")
        if not self.stages:
            return f"patches: none ({self.reason}){unfed}"
        lines = [f"patches ({self.reason}): arena {self.arena_without:,} -> {self.arena_with:,} B "
                 f"({self.saved_bytes:,} B saved), 0 extra MACs (halo rows cached), "
                 f"~{self.overhead_pct:.1f}% more instructions"]
        for st in self.stages:
            names = ", ".join(f"{g.t(b.tensor).name[:40]} {b.rows}/{b.height} rows" for b in st.bands[:6])
            more = f" and {len(st.bands) - 6} more" if len(st.bands) > 6 else ""
            lines.append(f"  ops {st.first}..{st.last} run in {st.steps} bands of rows: {st.calls} kernel calls "
                         f"instead of {len(st.deps)}, {st.shifted_bytes:,} B shifted; bands: {names}{more}")
            for t in st.fed:
                b = st.band_of(t)
                assert b is not None
                lines.append(f"  input {g.t(t).name[:40]} is fed by the application {b.rows} of {b.height} rows at a time "
                             f"(tinyq_model_set_input_reader): {b.nbytes:,} B instead of {g.t(t).nbytes:,} B")
        return "\n".join(lines) + unfed


PATCH_HELP = ("patch-based execution of the first window layers, a band of rows at a time, so that their "
              "large activations never exist whole: auto (default: where the model would not fit the board "
              "otherwise, or it saves more than 30%% of the arena, within 10%% more instructions; with --flash small "
              "only where the model would not fit), off, max "
              "(the smallest arena), max-overhead=PCT; add ',stream' (e.g. max,stream) to have the application "
              "feed the model input row by row (tinyq_model_set_input_reader: a camera's lines, a decoder's "
              "output), so that not even the input exists whole")


def parse_mode(text: str) -> tuple[str, float]:
    """`auto`, `off`, `max` or `max-overhead=PCT` -> (mode, overhead bound in percent), after
    any ',stream' (see `streams`)."""
    from tinyq.errors import TinyqError
    base, _, extra = text.partition(",")
    if extra and extra != "stream":
        raise TinyqError(f"--patch {text!r} is not understood: {extra!r} after the comma",
                         "the only modifier is ',stream' (e.g. --patch max,stream)")
    text = base
    if text in PATCH_MODES:
        return text, DEFAULT_MAX_OVERHEAD if text == "auto" else math.inf
    if text.startswith("max-overhead="):
        try:
            pct = float(text.split("=", 1)[1].rstrip("%"))
        except ValueError:
            pct = -1.0
        if pct >= 0 and math.isfinite(pct):
            return "bound", pct
    raise TinyqError(f"--patch {text!r} is not understood",
                     "use --patch auto, off, max or max-overhead=PCT (e.g. max-overhead=15), optionally "
                     "followed by ',stream'")


def streams(text: str) -> bool:
    """Whether the patch mode asks for the model input fed row by row (`MODE,stream`)."""
    return text.partition(",")[2] == "stream"


def _deps(lowered: Lowered, pos: int) -> Rows | None:
    """The row dependence of the op at `pos` when its kernel can run on bands, else None."""
    layer = lowered.layers[pos]
    if not layer.variant.rows:
        return None
    g = lowered.graph
    d = layer.data.row_deps(g)
    if d is None:
        return None
    for t in (d.windowed, d.output, *d.same):
        shape = g.t(t).shape
        if len(shape) != 4 or shape[0] != 1 or t in lowered.emitter.aliases or g.t(t).is_variable:
            return None
    return d


def _ready(d: Rows, h_in: int) -> int:
    """Output rows computable once `h_in` rows of the windowed input exist."""
    if h_in >= d.in_h:
        return d.out_h
    return max(0, min(d.out_h, (h_in - d.extent + d.pad) // d.stride + 1))


def progress(lowered: Lowered, first: int, last: int, steps: int) -> tuple[list[Rows], np.ndarray] | None:
    """Rows of each op's output done after each step, for ops first..last ([steps', ops]); None
    if one of them cannot run on bands. The ops reading only whole tensors finish in `steps`
    steps; every op makes at most its share of rows per step (its height / `steps`), so that the
    ops behind do not catch up in one burst at the end (a burst needs more rows in every band),
    and the stage runs a few steps more instead. An op's progress depends only on the ops before
    it, so a shorter stage from the same first op is a prefix of this one."""
    g = lowered.graph
    deps = []
    for pos in range(first, last + 1):
        d = _deps(lowered, pos)
        if d is None:
            return None
        deps.append(d)
    produced = {d.output: i for i, d in enumerate(deps)}
    n = len(deps)
    rate = [max(1, -(-d.out_h // steps)) for d in deps]
    rows: list[list[int]] = []
    prev = [0] * n
    for k in range(4 * steps + 8):
        cur = [0] * n
        for i, d in enumerate(deps):
            srcs = (d.windowed, *d.same)
            if all(s not in produced for s in srcs):       # reads whole tensors only: paced
                h = min(d.out_h, -(-(k + 1) * d.out_h // steps))
            else:
                def have(t: int) -> int:
                    return cur[produced[t]] if t in produced else int(g.t(t).shape[1])
                h = _ready(d, have(d.windowed))
                for s in d.same:
                    h = min(h, have(s))
            cur[i] = max(min(h, prev[i] + rate[i]), prev[i])
        rows.append(cur)
        prev = cur
        if all(c == d.out_h for c, d in zip(cur, deps)):
            break
    else:
        return None   # (cannot happen: every op progresses once its inputs are complete)
    return deps, np.array(rows, np.int64)


def _late(deps: list[Rows], hi: np.ndarray, band_ts: set[int], cons: dict[int, list[int]], first: int) -> np.ndarray:
    """`hi` with every op whose band only row-aligned consumers read (`same`: an ADD, never a
    window) made as late as they allow: each step just the rows they read in it. A 1x1
    convolution or pool on a residual's side path, read row for row by an ADD that waits for the
    depthwise beside it, then keeps one row where, made early, it kept the depthwise's delay in
    rows. (Every op late would pull the whole stage into the step its last op starts.) Ops in
    reverse: a consumer's own late progress is what its producer must serve."""
    late = hi.copy()
    for i in range(len(deps) - 1, -1, -1):
        t = deps[i].output
        if t not in band_ts:
            continue
        readers = [pos - first for pos in cons[t]]     # (a band's consumers are all in the stage)
        if any(deps[c].windowed == t or t not in deps[c].same for c in readers):
            continue
        late[:, i] = np.minimum(hi[:, i], late[:, readers].max(axis=1))
    return late


def schedule(lowered: Lowered, first: int, last: int, steps: int, slack: float = 0.0,
             prog: tuple[list[Rows], np.ndarray] | None = None, stream: frozenset[int] = frozenset(),
             late: bool = False) -> Stage | None:
    """The band schedule of ops first..last in `steps` steps, or None where they cannot stream
    (an op that cannot run on bands, or nothing to gain: no intermediate tensor). `slack`: spare
    rows per band, as a fraction of what it needs, so that it shifts less often. `prog`: a
    `progress` of a stage from the same first op at least this long, to reuse. `stream`: model
    inputs the application may feed row by row; one read only by the stage's ops, by rows,
    becomes a band too (`fed`), filled before each step with the rows that step reads. `late`:
    ops making bands run as late as their consumers allow (`_late`), else as early as they can."""
    g = lowered.graph
    if prog is None:
        prog = progress(lowered, first, last, steps)
        if prog is None:
            return None
    n = last - first + 1
    deps, hi = prog[0][:n], prog[1][:, :n]
    finished = np.flatnonzero((hi == np.array([d.out_h for d in deps])).all(axis=1))
    if not len(finished):
        return None
    hi = hi[:finished[0] + 1]                   # (steps after this stage's last op is done)
    steps = len(hi)
    cons = g.consumers()
    produced = {d.output: i for i, d in enumerate(deps)}
    inside = set(range(first, last + 1))
    if any(t in produced for d in deps for t in d.whole):
        return None   # (a tensor read whole must exist before the stage starts)
    band_ts = [t for t in produced if t not in g.outputs and cons.get(t) and set(cons[t]) <= inside]
    if not band_ts:
        return None
    if late:
        lt = _late(deps, hi, set(band_ts), cons, first)
        if np.array_equal(lt, hi):
            return None     # (no op to delay: the early schedule is this one)
        hi = lt
    fed = _fed(g, deps, first, hi, stream, set(produced), cons)
    done = np.vstack([np.zeros((1, n), np.int64), hi[:-1]])      # rows done before step k

    def still_read(t: int) -> np.ndarray:
        """Per step, the lowest row of t a consumer in the stage still reads in that step or
        later (t's height once none does)."""
        low = np.full(steps, int(g.t(t).shape[1]), np.int64)
        for pos in cons[t]:
            c = pos - first
            if not 0 <= c < n:
                continue
            d = deps[c]
            busy = done[:, c] < d.out_h
            if d.windowed == t:
                low = np.where(busy, np.minimum(low, np.maximum(0, done[:, c] * d.stride - d.pad)), low)
            if t in d.same:
                low = np.where(busy, np.minimum(low, done[:, c]), low)
        return low

    bands: list[Band] = []
    base = np.zeros((steps, len(band_ts) + len(fed)), np.int64)
    shifted = 0
    for j, t in enumerate([*band_ts, *fed]):
        i = produced.get(t, -1)
        t_hi = hi[:, i] if i >= 0 else fed[t]                  # rows made (or fed) after step k
        t_done = np.concatenate([[0], t_hi[:-1]])             # ... and before it
        height = int(g.t(t).shape[1])
        read = still_read(t)
        low = np.minimum(read, t_done)                         # rows not yet made are not kept either
        need = int((t_hi - low).max())
        rows = min(height, max(1, need + int(math.ceil(need * slack))))
        rb = int(g.t(t).shape[2]) * int(g.t(t).shape[3]) * g.t(t).itemsize
        within = None
        if i >= 0 and bool((read >= t_done).all()):
            within = (first + i, max(pos for pos in cons[t] if pos in inside))
        b = 0
        for k in range(steps):
            if within is not None:      # each step's rows from the top: nothing to keep, no shift
                b = int(t_done[k])
            elif int(t_hi[k]) - b > rows:
                shifted += int(t_done[k] - low[k]) * rb
                b = int(low[k])
            base[k, j] = b
        bands.append(Band(t, i, rb, rows, height, within))
    calls = int(np.count_nonzero(hi - done))
    # Inputs the stage consumes for good: the bytes of their rows no consumer reads any more,
    # before each step, which the stage's own buffers may take over (`reuse`)
    consumed = {}
    read_whole = {t for d in deps for t in d.whole}
    for t in {s for d in deps for s in (d.windowed, *d.same)} - set(produced) - read_whole - set(fed):
        if t not in g.outputs and set(cons[t]) <= inside and not g.t(t).is_variable:
            consumed[t] = still_read(t) * (int(g.t(t).shape[2]) * int(g.t(t).shape[3]) * g.t(t).itemsize)
    return Stage(first, last, steps, deps, bands, hi.copy(), base, shifted, calls, consumed, fed)


def _fed(g: Graph, deps: list[Rows], first: int, hi: np.ndarray, stream: frozenset[int], produced: set[int],
         cons: dict[int, list[int]]) -> dict[int, np.ndarray]:
    """Per model input in `stream` that only this stage's ops read, and by rows (not whole): the
    rows of it the stage has read by the end of each step, which the application must have fed."""
    fed: dict[int, np.ndarray] = {}
    inside = set(range(first, first + len(deps)))
    whole = {t for d in deps for t in d.whole}
    for t in stream:
        if t in produced or t in whole or t not in g.inputs or not cons.get(t) or not set(cons[t]) <= inside:
            continue
        shape = g.t(t).shape
        if len(shape) != 4 or shape[0] != 1 or g.t(t).is_variable:
            continue
        need = np.zeros(len(hi), np.int64)
        for pos in cons[t]:
            c = pos - first
            d = deps[c]
            o = hi[:, c]
            if d.windowed == t:
                need = np.maximum(need, np.where(o > 0, np.clip((o - 1) * d.stride - d.pad + d.extent, 0, d.in_h), 0))
            if t in d.same:
                need = np.maximum(need, o)
        fed[t] = np.maximum.accumulate(need)
    return fed


def reuse(stage: Stage, g: Graph) -> dict[int, dict[int, int]]:
    """Per buffer the stage writes, the inputs it may overlap: buffer -> {input: d}, where it may
    start up to d bytes past the input's start. A band is written from its first step on, all
    over, so it must lie in the bytes already consumed by then; a whole output is written row by
    row, so each step's rows must lie in the bytes consumed before that step."""
    res: dict[int, dict[int, int]] = {}
    bands = {b.tensor: b for b in stage.bands}
    for i, d in enumerate(stage.deps):
        t = d.output
        started = np.flatnonzero(stage.hi[:, i] > 0)
        if not len(started):
            continue
        k0 = int(started[0])
        for u, dead in stage.consumed.items():
            if t in bands:
                delta = int(dead[k0]) - bands[t].nbytes
            else:
                rb = stage.row_bytes(g, t)
                delta = int((dead - stage.hi[:, i] * rb)[k0:].min())
            res.setdefault(t, {})[u] = delta
    return res


def check(stage: Stage, g: Graph) -> None:
    """Raise PlanError unless, in every step, each op reads only rows its inputs hold (made, and
    inside the band's buffer) and writes only inside its output's buffer: the invariant the
    generated loop relies on, checked on every stage before it is used."""
    from tinyq.plan.arena import PlanError
    col = {b.tensor: j for j, b in enumerate(stage.bands)}
    made = {d.output: i for i, d in enumerate(stage.deps)}
    for k in range(stage.steps):
        for t, f in stage.fed.items():
            a, z = (int(f[k - 1]) if k else 0), int(f[k])
            base = int(stage.base[k, col[t]])
            if z > a and (a < base or z - base > stage.bands[col[t]].rows):
                raise PlanError(f"patch step {k}: the rows [{a}, {z}) fed of input {t} fall outside its band, "
                                f"which holds [{base}, {base + stage.bands[col[t]].rows})")
        for i, d in enumerate(stage.deps):
            o0, o1 = (int(stage.hi[k - 1, i]) if k else 0), int(stage.hi[k, i])
            if o1 <= o0:
                continue
            y0 = o0 * d.stride - d.pad
            reads = [(d.windowed, max(0, y0), min(d.in_h, (o1 - 1) * d.stride - d.pad + d.extent))]
            reads += [(r, o0, o1) for r in d.same]
            for t, a, z in [*reads, (d.output, o0, o1)]:
                have = (int(stage.hi[k, made[t]]) if t in made else int(stage.fed[t][k]) if t in stage.fed
                        else int(g.t(t).shape[1]))
                if (t, a, z) != (d.output, o0, o1) and z > have:
                    raise PlanError(f"patch step {k}: op {stage.first + i} reads rows [{a}, {z}) of tensor {t}, "
                                    f"only {have} made")
                if t in col:
                    b = stage.bands[col[t]]
                    base = int(stage.base[k, col[t]])
                    if a < base or z - base > b.rows:
                        raise PlanError(f"patch step {k}: op {stage.first + i} touches rows [{a}, {z}) of band {t}, "
                                        f"which holds [{base}, {base + b.rows})")


def stage_buffers(bufs: list[Buffer], stage: Stage, g: Graph | None = None, merge: bool = True) -> list[Buffer]:
    """The arena's buffers with the stage applied: bands shrink to their rows and live through
    the whole stage (a band whose rows never outlive a step only from its producer to its last
    consumer: each step runs the stage's ops in order), the stage's other outputs live from its
    start, its inputs until its end.
    Overlaps claimed by the stage's ops no longer hold (their calls interleave) and are dropped;
    with `g`, the stage's buffers may take over the consumed rows of its inputs (`reuse`)."""
    over = reuse(stage, g) if g is not None else {}
    bands = {("t", b.tensor): b for b in stage.bands}
    produced = {("t", d.output) for d in stage.deps}
    read = {("t", t) for d in stage.deps for t in (d.windowed, *d.same, *d.whole)}
    out = []
    # the stage's ops' scratch buffers: one call at a time, so one region of the largest size
    # through the stage (expand_scratch gives each op its offset back); a dozen small buffers
    # of different sizes at single positions left the arena search 20% above its lower bound
    scratch = [b for b in bufs if merge and _stage_scratch(b, stage)]
    if scratch:
        out.append(Buffer(("S", stage.first, stage.last), max(b.size for b in scratch), stage.first, stage.last))
    for b in bufs:
        if merge and _stage_scratch(b, stage):
            continue
        nb = Buffer(b.key, b.size, b.first, b.last, list(b.inplace_of), dict(b.overlap_of))
        if b.key in bands:
            band = bands[b.key]
            nb.size, (nb.first, nb.last) = band.nbytes, band.within_step or (stage.first, stage.last)
        elif b.key in produced:
            nb.first = min(nb.first, stage.first)
        if b.key in read and b.key not in produced:
            nb.last = max(nb.last, stage.last)
        if b.key in produced:
            nb.overlap_of = {("t", u): dd for u, dd in over.get(b.key[1], {}).items()}
            nb.inplace_of = []
            nb.overlap_of.update(_kept_claims(b, stage, bands))
        out.append(nb)
    return out


def _kept_claims(b: Buffer, stage: Stage, bands: dict[object, Band]) -> dict[object, int]:
    """The overlap claims of an op's output that still hold inside the stage: where the output
    and the input claimed are both bands whose rows never outlive a step, the input dies at the
    op, and the op maps rows one to one (extent 1, stride 1, no padding: a 1x1 convolution, an
    element-wise op). Each call then reads its rows from the top of the input's band and writes
    them from the top of the output's, the whole-tensor layout cut to fewer rows, for which the
    whole tensor's d is conservative (trailing_delta only grows as rows are left out)."""
    out = bands.get(b.key)
    if out is None or out.within_step is None:
        return {}
    d = stage.deps[out.within_step[0] - stage.first]
    kept: dict[object, int] = {}
    for k, dd in b.allowed().items():
        src = bands.get(k)
        if src is None or src.within_step is None or src.within_step[1] != out.within_step[0]:
            continue
        if k[1] in d.same or (k[1] == d.windowed and d.extent == 1 and d.stride == 1 and d.pad == 0):
            kept[k] = dd
    return kept


def _stage_scratch(b: Buffer, stage: Stage) -> bool:
    k = b.key
    return isinstance(k, tuple) and len(k) == 2 and k[0] == "s" and stage.first <= k[1] <= stage.last


def expand_scratch(plan: ArenaPlan, original: list[Buffer]) -> ArenaPlan:
    """The plan with each stage's merged scratch region (stage_buffers) given back as the ops' own
    scratch buffers, all at the region's offset (their calls never overlap in time)."""
    merged = [b for b in plan.buffers if isinstance(b.key, tuple) and b.key[0] == "S"]
    if not merged:
        return plan
    offsets = dict(plan.offsets)
    bufs = [b for b in plan.buffers if b not in merged]
    for m in merged:
        _, first, last = m.key
        off = offsets.pop(m.key)
        for b in original:
            k = b.key
            if isinstance(k, tuple) and len(k) == 2 and k[0] == "s" and first <= k[1] <= last and b.size > 0:
                offsets[k] = off
                bufs.append(b)
    return ArenaPlan(offsets, plan.arena_bytes, bufs, plan.lower_bound, plan.strategy)


def _runs(lowered: Lowered, taken: set[int] = frozenset()) -> list[tuple[int, int]]:  # type: ignore[assignment]
    """Maximal runs of consecutive ops that can run on bands (outside the positions `taken`)."""
    runs, start = [], None
    for pos in range(len(lowered.layers) + 1):
        ok = pos < len(lowered.layers) and pos not in taken and _deps(lowered, pos) is not None
        if ok and start is None:
            start = pos
        elif not ok and start is not None:
            runs.append((start, pos - 1))
            start = None
    return runs


def _starts(lowered: Lowered, taken: set[int], around: int | None,
            reach: int = AROUND) -> list[tuple[int, list[int]]]:
    """Where stages may start, with the last ops each may end at: every run's first op, to any
    later op of the run; and, in the run holding `around` (the peak), every op up to `reach`
    before it, to an op from the peak to `reach` after it. A peak deep in a run (a block at a
    lower resolution, past a stage already taken) is then covered by a stage of its own
    neighbours, not only by one from the run's start."""
    out: list[tuple[int, list[int]]] = []
    for first, end in _runs(lowered, taken):
        if end > first:
            out.append((first, list(range(first + 1, end + 1))))
        if around is not None and first <= around <= end:
            for f in range(max(first + 1, around - reach), around + 1):
                lasts = list(range(max(f + 1, around), min(end, around + reach) + 1))
                if lasts:
                    out.append((f, lasts))
    return out


def shortlist(cands: list[tuple[int, Stage]], lowered: Lowered, taken: set[int], n: int = 4) -> list[Stage]:
    """The stages to place with the full search: the best `n` of `cands` (best first), and the
    best `n` of those starting at a run's first op, so that the starts around the peak never
    push out what the search found without them."""
    return _best_and_run_starts([st for _, st in cands], lowered, taken, n)


def _best_and_run_starts(stages: list[Stage], lowered: Lowered, taken: set[int], n: int) -> list[Stage]:
    """The first `n` of `stages` (ranked best first) and the first `n` of those starting at a
    run's first op, each once, in that order."""
    run_starts = {f for f, _ in _runs(lowered, taken)}
    picked = stages[:n] + [st for st in stages if st.first in run_starts][:n]
    return list({id(st): st for st in picked}.values())


def _live_peak(bufs: list[Buffer], span: tuple[int, int] | None = None) -> int:
    """About the most bytes live at one op (of those in `span`, first..last, if given): the sizes
    live there, less what overlap claims may share (a buffer over another one, up to that one's
    size): a cheap way to rank stages before placing the best ones."""
    if not bufs:
        return 0
    lo = min(b.first for b in bufs)
    hi = max(b.last for b in bufs)
    acc = np.zeros(hi - lo + 2, np.int64)
    size = {b.key: b.size for b in bufs}
    shared: dict[object, int] = {}
    for b in bufs:
        eff = b.size
        for k, d in b.overlap_of.items():
            if k in size:
                room = size[k] - shared.get(k, 0)
                take = max(0, min(room, b.size - max(0, -d)))
                shared[k] = shared.get(k, 0) + take
                eff -= take
                break
        acc[b.first - lo] += eff
        acc[b.last - lo + 1] -= eff
    live = np.cumsum(acc)
    if span is not None:
        live = live[max(0, span[0] - lo):max(0, span[1] - lo + 1)]
    return int(live.max()) if len(live) else 0


def stage_peak(bufs: list[Buffer], stage: Stage) -> int:
    """The live peak within a stage's own ops (bufs: with the stage applied): what decides
    between stages that leave the same arena, its peak elsewhere, which a later stage may lower."""
    return _live_peak(bufs, (stage.first, stage.last))


def best_stages(lowered: Lowered, bufs: list[Buffer], max_overhead_pct: float,
                macs: int, keep: int = 6, taken: set[int] = frozenset(),  # type: ignore[assignment]
                spent: float = 0.0, around: int | None = None,
                stream: frozenset[int] = frozenset()) -> list[tuple[int, Stage]]:
    """The stages within the overhead bound that make the arena smallest: ranked by the live
    peak, the best `keep` then placed by the quick greedy planner; (its arena, stage), best
    first (among equals, the one with the least overhead). `taken`: positions already in a
    stage; `spent`: instructions those stages add (the bound is for all of them); `around`: the
    op where the arena peaks, which stages starting inside a run must cover (`_starts`);
    `stream`: model inputs the application may feed row by row (`schedule`)."""
    budget = max_overhead_pct / 100.0 * max(macs, 1) * INSTR_PER_MAC - spent
    ranked: list[tuple[int, float, int, Stage]] = []
    seen: set[tuple] = set()     # (a slack or a late schedule may change nothing: each stage once)
    for first, last_of in _starts(lowered, taken, around):
        d0 = _deps(lowered, first)
        assert d0 is not None
        end = max(last_of)
        for rows_per_step in STEP_CHOICES:
            steps = max(1, -(-d0.out_h // rows_per_step))
            prog = progress(lowered, first, end, steps)
            if prog is None:
                continue
            for last in last_of:
                for slack, late in ((0.0, False), (0.5, False), (0.0, True)):
                    st = schedule(lowered, first, last, steps, slack, prog, stream, late)
                    if st is None:
                        continue
                    sig = (first, last, st.hi.tobytes(), tuple(b.rows for b in st.bands))
                    if sig in seen:
                        continue
                    seen.add(sig)
                    extra = st.extra_instructions()
                    if extra <= budget:
                        ranked.append((_live_peak(stage_buffers(bufs, st, lowered.graph)), float(extra), len(ranked), st))
    ranked.sort(key=lambda r: r[:3])
    # the best `keep` of all, and of those from a run's first op (the stages ranked before the
    # starts around the peak were added: those never drop out of the placement); among equal
    # arenas the stage whose own ops hold the least (the arena may peak elsewhere, where a later
    # stage can still go)
    placed = []
    for st in _best_and_run_starts([r[3] for r in ranked], lowered, taken, keep):
        nb = stage_buffers(bufs, st, lowered.graph)
        placed.append((plan_arena(nb, search=False).arena_bytes, stage_peak(nb, st),
                       float(st.extra_instructions()), st))
    placed.sort(key=lambda r: r[:3])
    return [(arena, st) for arena, _, _, st in placed]
