"""Static arena planning: an offset for every buffer so that buffers live at the same time never
overlap. The search tries several orderings of TFLM's greedy-by-size idea and keeps the smallest."""
from __future__ import annotations

from dataclasses import dataclass, field

ALIGN = 16


def align_up(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


@dataclass
class Buffer:
    """A region needed from op position `first` through `last` (inclusive)."""
    key: object
    size: int
    first: int
    last: int
    # keys of buffers whose memory this one may take over at the same offset, when that buffer
    # dies at `first` (the producing op reads each element before writing the same element)
    inplace_of: list[object] = field(default_factory=list)


@dataclass
class ArenaPlan:
    offsets: dict[object, int]
    arena_bytes: int
    buffers: list[Buffer]

    def live_at(self, pos: int) -> list[Buffer]:
        return [b for b in self.buffers if b.first <= pos <= b.last]


def _overlap_time(a: Buffer, b: Buffer) -> bool:
    return a.first <= b.last and b.first <= a.last


def _place(order: list[Buffer], align: int) -> tuple[dict[object, int], int]:
    placed: list[tuple[Buffer, int]] = []
    offsets: dict[object, int] = {}
    by_key = {b.key: b for b in order}
    for buf in order:
        size = align_up(buf.size, align)
        # in place: take a dying input's offset if nothing else live there is in the way
        chosen = None
        for k in buf.inplace_of:
            if k in offsets and by_key[k].last == buf.first and by_key[k].size >= buf.size:
                off = offsets[k]
                if all(not _overlap_time(buf, o) or o.key == k or off + size <= oo or oo + align_up(o.size, align) <= off
                       for o, oo in placed):
                    chosen = off
                    break
        if chosen is None:
            gaps = sorted((oo, oo + align_up(o.size, align)) for o, oo in placed if _overlap_time(buf, o))
            off = 0
            for start, end in gaps:
                if off + size <= start:
                    break
                off = max(off, end)
            chosen = off
        offsets[buf.key] = chosen
        placed.append((buf, chosen))
    total = max((off + align_up(b.size, align) for b, off in placed), default=0)
    return offsets, total


def plan_arena(buffers: list[Buffer], align: int = ALIGN) -> ArenaPlan:
    """Try a few orderings and keep the smallest arena."""
    buffers = [b for b in buffers if b.size > 0]
    orderings = [
        sorted(buffers, key=lambda b: (-b.size, b.first)),
        sorted(buffers, key=lambda b: (b.first, -b.size)),
        sorted(buffers, key=lambda b: (-(b.last - b.first + 1) * b.size, b.first)),
        sorted(buffers, key=lambda b: (-(b.last - b.first), -b.size)),
    ]
    best: tuple[dict[object, int], int] | None = None
    for order in orderings:
        offsets, total = _place(order, align)
        if best is None or total < best[1]:
            best = (offsets, total)
    assert best is not None
    return ArenaPlan(best[0], best[1], buffers)
