"""`tinyq.compile`: a `.tflite` (or an IR graph) through every stage to a `Compiled` model."""
from __future__ import annotations

from pathlib import Path

from tinyq.boards import Board, load_board
from tinyq.ir import Graph
from tinyq.ops.flash import FlashOptions
from tinyq.ops.lower import Lowered, lower, resolve_family
from tinyq.ops.registry import ROOMY
from tinyq.passes.pipeline import load
from tinyq.passes.reorder import reordered
from tinyq.plan.arena import ArenaPlan
from tinyq.plan.budget import arena_limit
from tinyq.plan.compiled import Compiled, plan_with_patches
from tinyq.plan.patch import PatchReport
from tinyq.render.render import render


def compile(model: str | Path | Graph, board: str | Board | None = None, kernels: str = "auto",
            source: str | None = None, flash: str = "auto", flash_budget: int | None = None,
            patch: str = "auto") -> Compiled:
    """Read, optimize, lower, plan and render a model.

    board: a board name or `Board` (decides the kernel family with kernels="auto": the DSP
    kernels where the board has the DSP extension); None compiles for the host check.
    kernels: "auto", "dsp", "dsp8", "mve" or "portable" (auto: mve on a Helium core, dsp where the
    board has the DSP extension, else portable). A `Graph` must already have gone through the passes.
    flash, flash_budget: the DSP family's per-layer choice between int16-widened and int8 weights
    (tinyq/ops/flash.py: "auto" fits the board, then widens the layers that save the most
    instructions per byte within flash_budget, by default the .tflite's size + 48 KiB; "small"
    never widens; "fast" widens every layer that fits the board)."""
    b = load_board(board) if isinstance(board, str) else board
    family = resolve_family(kernels, None if b is None else b.dsp)
    if kernels == "auto" and b is not None and b.mve:
        family = "mve"     # Helium where the layer has an MVE kernel, else the DSP one
    if isinstance(model, Graph):
        graph, name = model, source or model.name
    else:
        graph, name = load(model), source or Path(model).name
    opts = FlashOptions(flash, flash_budget, None if b is None else b.flash_budget,
                        Path(model).stat().st_size if not isinstance(model, Graph) else graph.param_bytes)
    best = None
    # the file's order, and where the data flow allows a better one, that order too: the
    # smaller plan wins (tinyq/passes/reorder.py)
    for g in (graph, reordered(graph)):
        if g is None:
            continue
        lowered = lower(g, family, opts)
        arena, patches = plan_with_patches(lowered, patch, arena_limit(lowered, b) if b is not None else None)
        if best is None or arena.arena_bytes < best[1].arena_bytes:
            best = (lowered, arena, patches)
    assert best is not None
    best, room = _weigh_scratch(best, family, opts, patch, b)
    best = _lean_peak(best, family, opts, patch, b, room)
    return render(best[0], best[1], name, best[2])


def _same_variants(a: Lowered, b: Lowered) -> bool:
    """Both lowerings chose the same kernel for every layer (nothing to plan again)."""
    return [layer.variant.name for layer in a.layers] == [layer.variant.name for layer in b.layers]


RAM_FOR_SPEED = 0.15   # arena a faster kernel's scratch may add (not where patches were needed)


def _weigh_scratch(best: tuple, family: str, opts: FlashOptions, patch: str,
                   b: Board | None) -> tuple[tuple, int | None]:
    """The plan again with the other choice for the kernels whose scratch a prepare-time RAM
    estimate decides (the depthwise ring): where patch stages were needed, without them, kept if
    the arena is smaller (that estimate does not see patches); elsewhere with them wherever
    they apply, kept if the arena is at most RAM_FOR_SPEED larger and still fits the board.
    Returns the choice and the room it was lowered with (None: the estimate's)."""
    lowered, arena, patches = best
    patched = patches is not None and bool(patches.stages)
    room = -ROOMY if patched else ROOMY
    other = lower(lowered.graph, family, opts, room=room)
    if _same_variants(other, lowered):
        return best, None
    limit = arena_limit(other, b) if b is not None else None
    o_arena, o_patches = plan_with_patches(other, patch, limit)
    if patched:
        return ((other, o_arena, o_patches), room) if o_arena.arena_bytes < arena.arena_bytes else (best, None)
    fits = limit is None or o_arena.arena_bytes <= limit
    if fits and o_arena.arena_bytes <= (1 + RAM_FOR_SPEED) * arena.arena_bytes and not o_patches.stages:
        return (other, o_arena, o_patches), room
    return best, None


LEAN_ROUNDS = 3        # peaks whose scratch a patched plan tries to shrink, one after another
LEAN_MIN_SCRATCH = 64  # bytes: smaller scratch is not worth a re-plan


def _lean_peak(best: tuple, family: str, opts: FlashOptions, patch: str, b: Board | None,
               room: int | None) -> tuple:
    """Where RAM comes first (`--patch max` or max-overhead, or auto on a model that does not fit
    without patches) and a patch stage was taken: the ops whose scratch is live at the arena's
    peak, or sets the shared scratch region of a stage across it, take their variant of least
    scratch (possibly int16 weights: flash for RAM), peak after peak while the arena shrinks."""
    lowered, arena, patches = best
    if patches is None or not patches.stages:
        return best
    limit = arena_limit(lowered, b) if b is not None else None
    if patches.mode == "auto" and (limit is None or patches.arena_without <= limit):
        return best     # (auto patched a model that fits anyway: speed stays first)
    lean: frozenset[int] = frozenset()
    for _ in range(LEAN_ROUNDS):
        more = _peak_scratch_ops(lowered, arena, patches) - lean
        if not more:
            break
        other = lower(lowered.graph, family, opts, room=room, lean=lean | more)
        if _same_variants(other, lowered):
            break
        o_arena, o_patches = plan_with_patches(other, patch, arena_limit(other, b) if b is not None else None)
        if o_arena.arena_bytes >= arena.arena_bytes:
            break
        lowered, arena, patches, lean = other, o_arena, o_patches, lean | more
    return lowered, arena, patches


def _peak_scratch_ops(lowered: Lowered, arena: ArenaPlan, patches: PatchReport) -> frozenset[int]:
    """Op indices whose scratch the arena holds at its peak: live there, or the largest of a stage
    spanning it (a stage's ops share one region of that size)."""
    pos = arena.peak()[0]
    ops = {k[1] for b in arena.live_at(pos) for k in [b.key]
           if isinstance(k, tuple) and len(k) == 2 and k[0] == "s" and b.size >= LEAN_MIN_SCRATCH}
    st = patches.stage_at(pos)
    if st is not None:
        top = max(st.ops, key=lambda i: lowered.layers[i].scratch_bytes)
        if lowered.layers[top].scratch_bytes >= LEAN_MIN_SCRATCH:
            ops.add(top)
    return frozenset(lowered.layers[i].op.index for i in ops)
