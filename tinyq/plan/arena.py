"""Static arena planning: an offset for every buffer so that buffers live at the same time never
overlap, except where a kernel is known to tolerate it.

Placement is TFLM's idea (greedy: each buffer goes into the lowest gap left by the buffers already
placed that are live at the same time), and the search around it is what makes the arena smaller:
several orderings, a best-fit variant, every ordering of small graphs, then a seeded local search
that moves buffers earlier in the order, stopping early when the liveness lower bound is reached.
A move re-places only the buffers from the first position it changes, and a placement stops as
soon as it passes the best arena so far: the same plans, about 5x sooner (a compile re-plans
each candidate patch stage and kernel choice, up to 50 plans for one model).

Overlap: `Buffer.overlap_of[k] = d` says this buffer (an op's output) may start at any offset
`<= offset(k) + d` even though it overlaps buffer k (that op's input, dying at the op): the kernel
reads what it needs of k before it writes over it. A claim holds only for a buffer born while k
is live (at k's last op, for an op's output; earlier, for a patch stage's buffers over the rows of
its input already consumed, tinyq/plan/patch.py). Element-wise kernels have d = 0 (`inplace_of`);
a convolution that walks its output in raster order has a negative d (its output trails its input
by about one image row, see tinyq/plan/overlap.py).
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

ALIGN = 16
EXHAUSTIVE_MAX = 6         # try every ordering of at most this many buffers (6! = 720)
LOCAL_SEARCH_STEPS = 1500  # placements tried by the local search on larger graphs...
LOCAL_SEARCH_WORK = 60_000  # ...fewer on big ones (steps x buffers), deterministic either way
LOCAL_SEARCH_RESTARTS = 3   # walks (seeds seed, seed + 1, ...) while the arena is above the bound


class PlanError(AssertionError):
    """An arena plan broke its own invariant (a planner bug, never a user error)."""


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
    # key -> d: may start at offset(key) + d or lower while overlapping it (see module docstring)
    overlap_of: dict[object, int] = field(default_factory=dict)

    def allowed(self) -> dict[object, int]:
        """Every overlap this buffer may have, element-wise in-place ones as d = 0 (when both are
        declared, the tighter one, which satisfies both)."""
        d = dict(self.overlap_of)
        for k in self.inplace_of:
            d[k] = min(d.get(k, 0), 0)
        return d


@dataclass
class ArenaPlan:
    offsets: dict[object, int]
    arena_bytes: int
    buffers: list[Buffer]
    lower_bound: int = 0          # liveness lower bound (no plan can be smaller)
    strategy: str = ""            # which search found it

    def live_at(self, pos: int) -> list[Buffer]:
        return [b for b in self.buffers if b.first <= pos <= b.last]

    def peak(self) -> tuple[int, int]:
        """(op position, highest byte in use there) where the live buffers cover the most bytes."""
        best, best_pos, best_top = (-1, -1), 0, 0
        for pos in sorted({p for b in self.buffers for p in (b.first, b.last)}):
            spans = sorted((self.offsets[b.key], self.offsets[b.key] + b.size) for b in self.live_at(pos))
            covered, reach = 0, 0
            for lo, hi in spans:            # length of the union of the live intervals
                covered += max(0, hi - max(lo, reach))
                reach = max(reach, hi)
            if (covered, reach) > best:
                best, best_pos, best_top = (covered, reach), pos, reach
        return best_pos, best_top


def _overlap_time(a: Buffer, b: Buffer) -> bool:
    return a.first <= b.last and b.first <= a.last


class _Problem:
    """Buffers, who conflicts with whom, and the relaxed pairs, prepared once for many placements."""

    def __init__(self, buffers: list[Buffer], align: int):
        self.bufs = buffers
        self.align = align
        self.index = {b.key: i for i, b in enumerate(buffers)}
        # rel[(i, j)] = d: buffer i may start at offset(j) + d or lower over buffer j
        self.rel: dict[tuple[int, int], int] = {}
        for i, b in enumerate(buffers):
            for k, d in b.allowed().items():
                j = self.index.get(k)
                if j is not None and j != i and buffers[j].first <= b.first <= buffers[j].last:
                    self.rel[(i, j)] = d
        self.conflicts: list[list[int]] = [[] for _ in buffers]
        for i, j in itertools.combinations(range(len(buffers)), 2):
            if _overlap_time(buffers[i], buffers[j]):
                self.conflicts[i].append(j)
                self.conflicts[j].append(i)
        # per buffer i and conflict j, the forbidden interval's ends relative to offset(j) and the
        # start an allowed overlap offers (None: none): `forbidden` worked out once, since
        # `place` runs thousands of times per plan
        self.near: list[list[tuple[int, int, int, int | None]]] = [
            [(j, *self._shifts(i, j)) for j in self.conflicts[i]] for i in range(len(buffers))]

    def _shifts(self, i: int, j: int) -> tuple[int, int, int | None]:
        lo, hi = self.forbidden(i, j, 0)
        return lo, hi, self.rel.get((i, j))

    def forbidden(self, i: int, j: int, oj: int) -> tuple[int, int]:
        """The open interval of start offsets buffer i cannot take while j sits at oj."""
        si, sj = self.bufs[i].size, self.bufs[j].size
        if (i, j) in self.rel:          # i over j: start(i) - oj <= d or i entirely above j
            return oj + max(self.rel[(i, j)], -si), oj + sj
        if (j, i) in self.rel:          # j over i: oj - start(i) <= d or i entirely below j
            return oj - si, oj - max(self.rel[(j, i)], -sj)
        return oj - si, oj + sj

    def place(self, order: list[int], best_fit: bool = False) -> tuple[list[int], int]:
        """Offsets for buffers placed one by one in `order`; returns (offsets by index, arena)."""
        got = self.place_from(order, 0, [-1] * len(self.bufs), 0, best_fit=best_fit)
        assert got is not None
        return got[0], got[1]

    def place_from(self, order: list[int], start: int, offs: list[int], top: int, best_fit: bool = False,
                   limit: int | None = None) -> tuple[list[int], int, list[int]] | None:
        """Place order[start:] given `offs` (by index; -1 where not placed yet, filled in place)
        holding order[:start] with highest byte `top`. Returns (offsets, arena, the top after each
        placement from `start` on), or None as soon as the top passes `limit` (the caller keeps
        only arenas within it: a placement never lowers the top)."""
        a = self.align
        sizes, near = [b.size for b in self.bufs], self.near
        tops: list[int] = []
        for i in order[start:]:
            size = sizes[i]
            ivs: list[tuple[int, int]] = []
            # candidate starts: 0, the aligned end of every forbidden interval, and where an
            # allowed overlap lets the buffer sit over one already placed (as high as it may)
            cands = {0}
            for j, lo_s, hi_s, over in near[i]:
                oj = offs[j]
                if oj < 0:
                    continue
                hi = oj + hi_s
                ivs.append((oj + lo_s, hi))
                cands.add(-(-max(hi, 0) // a) * a)
                if over is not None and oj + over >= 0:
                    cands.add((oj + over) // a * a)
            chosen = None
            if not ivs:
                chosen = 0
            elif not best_fit:
                for c in sorted(cands):
                    for lo, hi in ivs:
                        if lo < c < hi:
                            break
                    else:
                        chosen = c
                        break
            else:
                best_slack = None
                for c in sorted(cands):
                    if any(lo < c < hi for lo, hi in ivs):
                        continue
                    # best fit: the feasible start whose gap above is tightest; beyond the
                    # current top, the lowest one
                    nxt = min((lo for lo, _ in ivs if lo >= c), default=None)
                    slack = (nxt - c - size) if nxt is not None else None
                    if c + size > top:
                        slack = None
                    if chosen is None:
                        chosen, best_slack = c, slack
                    elif slack is not None and (best_slack is None or slack < best_slack):
                        chosen, best_slack = c, slack
            assert chosen is not None
            offs[i] = chosen
            if chosen + size > top:
                top = chosen + size
                if limit is not None and top > limit:
                    return None
            tops.append(top)
        return offs, align_up(top, a), tops

    def lower_bound(self) -> int:
        """Largest sum of sizes live at one op, less the most each allowed overlap could share
        there (the union of intervals is at least the sum less the pairwise intersections)."""
        lb = 0
        for pos in sorted({b.first for b in self.bufs} | {b.last for b in self.bufs}):
            live = [i for i, b in enumerate(self.bufs) if b.first <= pos <= b.last]
            total = sum(self.bufs[i].size for i in live)
            for (i, j), d in self.rel.items():
                if self.bufs[i].first <= pos <= min(self.bufs[i].last, self.bufs[j].last):
                    si, sj = self.bufs[i].size, self.bufs[j].size
                    # the most i and j can share: i at offset(j) + d, or at offset(j) if d > 0
                    d = min(max(d, -si), 0)
                    union = max(sj, d + si) - min(0, d)
                    total -= max(0, si + sj - union)
            lb = max(lb, total)
        return align_up(max(lb, max((b.size for b in self.bufs), default=0)), self.align)


def _heuristic_orders(bufs: list[Buffer]) -> dict[str, list[int]]:
    idx = range(len(bufs))
    keys = {
        "size": lambda i: (-bufs[i].size, bufs[i].first),
        "size-late-first": lambda i: (-bufs[i].size, -bufs[i].first),
        "birth": lambda i: (bufs[i].first, -bufs[i].size),
        "death-desc": lambda i: (-bufs[i].last, -bufs[i].size),
        "area": lambda i: (-(bufs[i].last - bufs[i].first + 1) * bufs[i].size, bufs[i].first),
        "lifetime": lambda i: (-(bufs[i].last - bufs[i].first), -bufs[i].size),
        "size-lifetime": lambda i: (-bufs[i].size, -(bufs[i].last - bufs[i].first), bufs[i].first),
    }
    return {name: sorted(idx, key=k) for name, k in keys.items()}


def plan_arena(buffers: list[Buffer], align: int = ALIGN, search: bool = True, seed: int = 0) -> ArenaPlan:
    """The smallest arena found for `buffers`. search=False: TFLM's greedy-by-size only."""
    buffers = [b for b in buffers if b.size > 0]
    prob = _Problem(buffers, align)
    lb = prob.lower_bound()
    if not buffers:
        return ArenaPlan({}, 0, buffers, 0, "empty")
    orders = _heuristic_orders(buffers)
    if not search:
        orders = {"size": orders["size"]}
    best_offs: list[int] = []
    best_total, best_name, best_order = None, "", []
    for name, order in orders.items():
        for bf in ((False, True) if search else (False,)):
            offs, total = prob.place(order, best_fit=bf)
            if best_total is None or total < best_total:
                best_offs, best_total, best_name, best_order = offs, total, name + ("/best-fit" if bf else ""), order
    assert best_total is not None
    if search and best_total > lb and len(buffers) <= EXHAUSTIVE_MAX:
        for perm in itertools.permutations(range(len(buffers))):
            offs, total = prob.place(list(perm))
            if total < best_total:
                best_offs, best_total, best_name, best_order = offs, total, "exhaustive", list(perm)
                if total <= lb:
                    break
    elif search and best_total > lb:
        # local search: move one buffer (often one at the peak) earlier in the order; restarted
        # with the next seeds while above the lower bound (one walk can stall: VWW's arena came
        # out 25% above its bound with seed 0 alone once its first layer's scratch grew)
        order = list(best_order)
        n = len(order)
        for restart in range(LOCAL_SEARCH_RESTARTS):
            if best_total <= lb:
                break
            rng = random.Random(seed + restart)
            # the current order's placement, kept to place only what a move changes: the buffers
            # before the first moved position keep their offsets (first fit is deterministic)
            cur = prob.place_from(order, 0, [-1] * n, 0)
            assert cur is not None
            cur_offs, cur_tops = cur[0], cur[2]
            for _ in range(min(LOCAL_SEARCH_STEPS, LOCAL_SEARCH_WORK // n)):
                cand = list(order)
                i = rng.randrange(n)
                j = rng.randrange(n)
                cand.insert(j, cand.pop(i))
                m = min(i, j)
                offs = list(cur_offs)
                for k in cand[m:]:
                    offs[k] = -1
                got = prob.place_from(cand, m, offs, cur_tops[m - 1] if m else 0, limit=best_total)
                if got is None or got[1] > best_total:
                    continue
                offs, total, tops = got
                if total < best_total:
                    best_name = "local-search"
                best_offs, best_total, order = offs, total, cand
                cur_offs, cur_tops = offs, cur_tops[:m] + tops
                if total <= lb:
                    break
    plan = ArenaPlan({b.key: best_offs[i] for i, b in enumerate(buffers)}, best_total, buffers, lb, best_name)
    validate(plan, align)
    return plan


def validate(plan: ArenaPlan, align: int = ALIGN) -> None:
    """Raise PlanError unless every offset is aligned and inside the arena, and any two buffers
    live at the same time are disjoint or overlap only as one of them allows."""
    bufs = plan.buffers
    for b in bufs:
        off = plan.offsets.get(b.key)
        if off is None:
            raise PlanError(f"buffer {b.key} has no offset")
        if off % align or off < 0 or off + b.size > plan.arena_bytes:
            raise PlanError(f"buffer {b.key} at {off} (+{b.size}) is misaligned or outside the "
                            f"{plan.arena_bytes}-byte arena")
    for a, b in itertools.combinations(bufs, 2):
        if not _overlap_time(a, b):
            continue
        oa, ob = plan.offsets[a.key], plan.offsets[b.key]
        if oa + a.size <= ob or ob + b.size <= oa:
            continue
        for x, y, ox, oy in ((a, b, oa, ob), (b, a, ob, oa)):
            d = x.allowed().get(y.key)
            if d is not None and y.first <= x.first <= y.last and ox - oy <= d:
                break
        else:
            raise PlanError(f"buffers {a.key} [{oa}, {oa + a.size}) ops {a.first}..{a.last} and "
                            f"{b.key} [{ob}, {ob + b.size}) ops {b.first}..{b.last} overlap while both live")
