"""Liveness: one buffer per planned tensor and per kernel scratch, with the ops that need it and
the overlaps its kernels allow (declared by each op's prepared record, `Prepared.overlaps`)."""
from __future__ import annotations

from tinyq.ir import Graph
from tinyq.ops.lower import Lowered
from tinyq.plan.arena import Buffer


def root(lowered: Lowered, t: int) -> int:
    """The tensor whose memory `t` is (itself, or what a chain of views like RESHAPE points at)."""
    aliases = lowered.emitter.aliases
    while t in aliases:
        t = aliases[t][0]
    return t


def byte_offset(lowered: Lowered, t: int) -> int:
    """Offset of `t` inside its root's buffer."""
    aliases, extra = lowered.emitter.aliases, 0
    while t in aliases:
        t, off = aliases[t]
        extra += off
    return extra


def _whole(lowered: Lowered, g: Graph, t: int) -> bool:
    """The tensor is all of its root buffer (a view at offset 0 of the same size)."""
    return byte_offset(lowered, t) == 0 and g.t(t).nbytes == g.t(root(lowered, t)).nbytes


def buffers(lowered: Lowered) -> list[Buffer]:
    """Every buffer the arena must hold, with first/last op positions (graph inputs live from -1,
    outputs until len(ops)) and the overlaps allowed with an input dying at its producer."""
    g = lowered.graph
    n = len(g.ops)
    first: dict[int, int] = {}
    last: dict[int, int] = {}

    def touch(t: int, pos: int) -> None:
        if t < 0 or g.t(t).is_const or not g.t(t).itemsize or g.t(t).is_variable:
            return   # (a resource handle has no memory; a variable tensor lives in static RAM)
        r = root(lowered, t)
        first[r] = min(first.get(r, pos), pos)
        last[r] = max(last.get(r, pos), pos)

    for t in g.inputs:
        touch(t, -1)
    for pos, op in enumerate(g.ops):
        for t in op.reads + op.outputs:
            touch(t, pos)
    for t in g.outputs:
        touch(t, n)

    overlap: dict[int, dict[int, int]] = {}
    for pos, layer in enumerate(lowered.layers):
        # claims per (input root, output root): the tensors claimed and the tightest delta. An
        # input read through several tensors (y = conv(x) + x) must be claimed through all of
        # them, and one read without a claim forbids any overlap with it.
        claims: dict[tuple[int, int], tuple[set[int], int]] = {}
        for ov in layer.data.overlaps():
            t_in, t_out = ov.input, ov.output
            if (t_in < 0 or g.t(t_in).is_const or not _whole(lowered, g, t_in)
                    or not _whole(lowered, g, t_out) or root(lowered, t_in) == root(lowered, t_out)):
                continue
            key = (root(lowered, t_in), root(lowered, t_out))
            seen, d = claims.get(key, (set(), ov.delta))
            claims[key] = (seen | {t_in}, min(d, ov.delta))
        for (r_in, r_out), (seen, d) in claims.items():
            reads = {t for t in layer.op.reads if t >= 0 and root(lowered, t) == r_in}
            if not reads <= seen:
                continue
            if last.get(r_in) == pos and first.get(r_out) == pos:
                prev = overlap.setdefault(r_out, {}).get(r_in)
                overlap[r_out][r_in] = d if prev is None else min(prev, d)
    bufs = [Buffer(("t", t), g.t(t).nbytes, first[t], last[t],
                   overlap_of={("t", s): d for s, d in overlap.get(t, {}).items()}) for t in first]
    for pos, layer in enumerate(lowered.layers):
        if layer.scratch_bytes:
            bufs.append(Buffer(("s", layer.op.index), layer.scratch_bytes, pos, pos))
    return bufs
