"""Operator order for memory: in a branchy graph (inception blocks, FPNs, concatenated heads) the
order the file lists its ops in decides how many branch results are held at once. An
interpreter runs the file's order; a compiler may run any order the data flow allows.

`reordered(g)` proposes the best of a few topological orders by the most activation bytes live
at one op (no overlaps, no scratch: the planner's figure without its tricks); the caller plans
both and keeps the smaller arena (tinyq/workflows/compile.py), so no plan gets worse.

Ops with state keep their order among themselves: resource variables (VAR_HANDLE, READ_VARIABLE,
ASSIGN_VARIABLE, CALL_ONCE) and the ops holding a state across invocations (SVDF, LSTM)."""
from __future__ import annotations

from dataclasses import replace

from tinyq.ir import Graph, Op

STATEFUL = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "SVDF",
            "UNIDIRECTIONAL_SEQUENCE_LSTM"}
MIN_GAIN = 0.05     # propose an order only when it lowers the live peak this much


def _deps(g: Graph) -> list[set[int]]:
    """Per op position, the positions that must run before it."""
    prod = g.producers()
    deps: list[set[int]] = []
    last_stateful = -1
    for i, op in enumerate(g.ops):
        d = {prod[t] for t in op.reads if t >= 0 and t in prod}
        if op.opcode in STATEFUL or any(g.t(t).is_variable for t in op.reads + op.outputs if t >= 0):
            if last_stateful >= 0:
                d.add(last_stateful)
            last_stateful = i
        deps.append(d)
    return deps


def _planned(g: Graph, t: int) -> int:
    x = g.t(t)
    return 0 if t < 0 or x.is_const or x.is_variable or not x.itemsize else x.nbytes


def live_peak(g: Graph, order: list[int]) -> int:
    """The most activation bytes live at one op when the ops run in `order` (positions)."""
    pos = {p: k for k, p in enumerate(order)}
    n = len(order)
    first: dict[int, int] = {t: -1 for t in g.inputs}
    last: dict[int, int] = {t: n for t in g.outputs}
    for p, op in enumerate(g.ops):
        k = pos[p]
        for t in op.outputs:
            first.setdefault(t, k)
            first[t] = min(first[t], k)
        for t in op.reads + op.outputs:
            if t >= 0:
                last[t] = max(last.get(t, k), k)
    acc = [0] * (n + 3)
    for t, a in first.items():
        size = _planned(g, t)
        z = last.get(t, a)
        acc[a + 1] += size
        acc[z + 2] -= size
    peak = run = 0
    for v in acc:
        run += v
        peak = max(peak, run)
    return peak


def _greedy(g: Graph, deps: list[set[int]]) -> list[int]:
    """List scheduling: of the ops ready, the one that adds the fewest live bytes (its outputs
    less the inputs it is the last reader of); ties in file order."""
    cons = g.consumers()
    users = [set() for _ in g.ops]
    for i, d in enumerate(deps):
        for j in d:
            users[j].add(i)
    waiting = [len(d) for d in deps]
    left = {t: len(set(c)) for t, c in cons.items()}
    done: set[int] = set()

    def cost(i: int) -> int:
        op = g.ops[i]
        freed = sum(_planned(g, t) for t in set(op.reads) if t >= 0 and left.get(t) == 1 and t not in g.outputs)
        return sum(_planned(g, t) for t in op.outputs) - freed

    ready = [i for i, w in enumerate(waiting) if w == 0]
    order: list[int] = []
    while ready:
        i = min(ready, key=lambda r: (cost(r), r))
        ready.remove(i)
        order.append(i)
        done.add(i)
        for t in set(g.ops[i].reads):
            if t in left:
                left[t] -= 1
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    return order


def _branch_first(g: Graph, deps: list[set[int]]) -> list[int]:
    """Depth first from the outputs, each op's inputs scheduled largest subgraph peak first
    (Sethi-Ullman's order for expression trees): a branch is finished before the next starts."""
    peak: dict[int, int] = {}

    def subtree_peak(i: int) -> int:
        if i not in peak:
            peak[i] = 0   # (guards a revisit while computing)
            own = sum(_planned(g, t) for t in g.ops[i].outputs)
            peak[i] = max([own, *(subtree_peak(j) for j in deps[i])])
        return peak[i]

    order: list[int] = []
    seen: set[int] = set()
    prod = g.producers()
    # iterative DFS (deep graphs would overflow the recursion limit)
    roots = [prod[t] for t in g.outputs if t in prod]
    roots += [i for i in range(len(g.ops)) if i not in set(roots)]   # ops without a path to an output
    for r in roots:
        stack: list[tuple[int, bool]] = [(r, False)]
        while stack:
            i, expanded = stack.pop()
            if i in seen:
                continue
            if expanded:
                seen.add(i)
                order.append(i)
                continue
            stack.append((i, True))
            kids = sorted((j for j in deps[i] if j not in seen), key=lambda j: (subtree_peak(j), -j))
            stack.extend((j, False) for j in kids)   # the largest popped first
    return order


def _valid(order: list[int], deps: list[set[int]]) -> bool:
    pos = {p: k for k, p in enumerate(order)}
    return len(pos) == len(deps) and all(pos[j] < pos[i] for i, d in enumerate(deps) for j in d)


def reordered(g: Graph) -> Graph | None:
    """A copy of `g` with its ops in the order of least live peak, or None when the file's
    order is within MIN_GAIN of the best found (or the graph has no choice to make)."""
    if len(g.ops) < 3:
        return None
    deps = _deps(g)
    base = live_peak(g, list(range(len(g.ops))))
    best, best_peak = None, base
    for order in (_greedy(g, deps), _branch_first(g, deps)):
        if order == list(range(len(g.ops))) or not _valid(order, deps):
            continue
        p = live_peak(g, order)
        if p < best_peak:
            best, best_peak = order, p
    if best is None or best_peak > (1 - MIN_GAIN) * base:
        return None
    ops: list[Op] = [replace(g.ops[i]) for i in best]
    out = replace(g, ops=ops)
    out.renumber()
    return out

