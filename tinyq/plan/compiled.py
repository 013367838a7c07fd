"""`Compiled`: a lowered model with its arena plan and, once rendered, its C files. What budget,
plot, verify, bench and deploy read."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tinyq.ir import Graph
from tinyq.ops.lower import Lowered
from tinyq.plan.arena import ArenaPlan, plan_arena, validate
from tinyq.plan.liveness import buffers, byte_offset, root
from tinyq.plan.patch import (
    AUTO_MIN_SAVING,
    PatchReport,
    best_stages,
    check,
    expand_scratch,
    parse_mode,
    shortlist,
    stage_buffers,
    stage_peak,
    streams,
)
from tinyq.resources import kernels_dir


def plan(lowered: Lowered, patch: str = "off", arena_limit: int | None = None) -> ArenaPlan:
    """Place every buffer; refuse (PlanError) a plan that breaks its own invariant."""
    return plan_with_patches(lowered, patch, arena_limit)[0]


MAX_STAGES = 3   # runs patched in one model at most (each further one searched after the last)


def plan_with_patches(lowered: Lowered, patch: str = "auto",
                      arena_limit: int | None = None) -> tuple[ArenaPlan, PatchReport]:
    """The arena plan, with a patch stage where `patch` asks for one (tinyq/plan/patch.py):
    "off"; "max" (the smallest arena, whatever it costs); "max-overhead=PCT" (the smallest
    arena within PCT% more instructions); "auto" (within 10%, and only when the model does not
    fit `arena_limit` without it or it saves more than 30% of the arena); any of them with
    ",stream", the model input fed row by row where a stage reads it."""
    plan, rep = _plan_with_patches(lowered, patch, arena_limit)
    rep.stream_requested = streams(patch)
    return plan, rep


def _plan_with_patches(lowered: Lowered, patch: str, arena_limit: int | None) -> tuple[ArenaPlan, PatchReport]:
    mode, bound = parse_mode(patch)
    stream = frozenset(lowered.graph.inputs) if streams(patch) else frozenset()
    bufs = buffers(lowered)
    p = plan_arena(bufs)
    validate(p)   # no two buffers live at once overlap, unless a kernel allows it
    macs = sum(lowered.layer_macs)
    if mode == "off":
        return p, PatchReport(mode, [], p.arena_bytes, p.arena_bytes, macs, "--patch off")
    stages: list = []
    cur_bufs, pp = bufs, p
    for _ in range(MAX_STAGES):
        # the best two of the next stage placed with the full search; another stage only where
        # the arena's peak is outside the stages so far, and only if it makes the arena smaller
        taken = {pos for st in stages for pos in st.ops}
        if stages and pp.peak()[0] in taken:
            break
        spent = float(sum(st.extra_instructions() for st in stages))
        found = None
        cands = best_stages(lowered, cur_bufs, bound, macs, taken=taken, spent=spent, around=pp.peak()[0],
                            stream=stream)
        for st in shortlist(cands, lowered, taken):
            check(st, lowered.graph)
            nb = stage_buffers(cur_bufs, st, lowered.graph)
            cand = plan_arena(nb)
            validate(cand)
            rank = (cand.arena_bytes, stage_peak(nb, st))   # (ties: the leaner stage, best_stages)
            if cand.arena_bytes < pp.arena_bytes and (found is None or rank < found[0]):
                found = (rank, cand, st, nb)
        if found is None:
            break
        _, pp, st, cur_bufs = found
        stages.append(st)
    if not stages:
        return p, PatchReport(mode, [], p.arena_bytes, p.arena_bytes, macs,
                              "no run of window ops whose patches make the arena smaller")
    stages.sort(key=lambda st: st.first)
    pp = expand_scratch(pp, bufs)
    # the same stages with each op's scratch on its own: sometimes the search packs that tighter
    alt_bufs = bufs
    for st in stages:
        alt_bufs = stage_buffers(alt_bufs, st, lowered.graph, merge=False)
    alt = plan_arena(alt_bufs)
    if alt.arena_bytes < pp.arena_bytes:
        pp = alt
    validate(pp)
    saving = 1 - pp.arena_bytes / max(p.arena_bytes, 1)
    if mode == "auto":
        fits = arena_limit is None or p.arena_bytes <= arena_limit
        if fits and saving <= AUTO_MIN_SAVING:
            return p, PatchReport(mode, [], p.arena_bytes, p.arena_bytes, macs,
                                  f"the model fits without them and they would save only {100 * saving:.0f}% "
                                  f"of the arena (auto patches for more than {100 * AUTO_MIN_SAVING:.0f}%)")
        if fits and lowered.flash is not None and lowered.flash.policy == "small":
            # the patch loop's tables and its per-op calls cost flash (ResNet: about 2 KB)
            return p, PatchReport(mode, [], p.arena_bytes, p.arena_bytes, macs,
                                  f"the model fits without them and --flash small puts flash first (they would "
                                  f"save {100 * saving:.0f}% of the arena for their loop's code and tables)")
        why = "the model does not fit without them" if not fits else f"they save {100 * saving:.0f}% of the arena"
    else:
        why = f"--patch {patch}"
    return pp, PatchReport(mode, stages, p.arena_bytes, pp.arena_bytes, macs, why)


@dataclass
class Compiled:
    lowered: Lowered
    plan: ArenaPlan
    source: str = ""                                      # the model file's name
    patches: PatchReport | None = None
    files: dict[str, str] = field(default_factory=dict)   # rendered file name -> text

    @property
    def graph(self) -> Graph:
        return self.lowered.graph

    @property
    def kernels(self) -> str:
        return self.lowered.family

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def const_bytes(self) -> int:
        return self.lowered.const_bytes

    @property
    def variable_bytes(self) -> int:
        """Static RAM of the resource variables (outside the arena, kept across invocations)."""
        return self.lowered.static_bytes

    @property
    def layer_macs(self) -> list[int]:
        return self.lowered.layer_macs

    @property
    def macs(self) -> int:
        return sum(self.layer_macs)

    @property
    def sources(self) -> list[str]:
        extra = ["tq_patch.h"] if self.patches is not None and self.patches.stages else []
        return sorted({*self.lowered.sources, *extra})

    @property
    def labels(self) -> list[str]:
        return [layer.code.label for layer in self.lowered.layers]

    def tensor_bytes(self, t: int) -> int:
        """Bytes the arena holds of a planned tensor (a band holds only some rows)."""
        band = self.patches.band_of(t) if self.patches else None
        return band.nbytes if band else self.graph.t(t).nbytes

    def tensor_offset(self, t: int) -> int:
        """Byte offset of a planned tensor in the arena."""
        return self.plan.offsets[("t", root(self.lowered, t))] + byte_offset(self.lowered, t)

    def write(self, out_dir: str | Path) -> list[Path]:
        """The rendered files and the kernel sources the model's variants use."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files.items():
            (out / name).write_text(text)
            written.append(out / name)
        for src in self.sources:
            shutil.copyfile(kernels_dir() / src, out / src)
            written.append(out / src)
        return written
