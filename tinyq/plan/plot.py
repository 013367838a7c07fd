"""Draw an arena plan: every buffer a rectangle over (op index x byte offset), the peak marked."""
from __future__ import annotations

from pathlib import Path

from tinyq.plan.compiled import Compiled


def _label(gen: Compiled, key: object) -> str:
    kind, idx = key  # type: ignore[misc]
    return gen.graph.t(idx).name[-28:] if kind == "t" else f"scratch op {idx}"


def _plot_stage(gen: Compiled, ax) -> None:
    """The patch schedule: for each op of the stage, the share of its output rows done after
    each step (the ops behind trail the first by their windows' halos)."""
    import numpy as np
    assert gen.patches is not None
    shown = 0
    for st in gen.patches.stages:
        steps = np.arange(1, st.steps + 1)
        for i, d in enumerate(st.deps):
            ax.plot(steps, st.hi[:, i] / max(d.out_h, 1), lw=1, label=f"op {st.first + i}" if shown < 16 else None)
            shown += 1
    calls = sum(st.calls for st in gen.patches.stages)
    shifted = sum(st.shifted_bytes for st in gen.patches.stages)
    ax.set_xlabel("step of its stage (one band of rows of the stage's first ops each)")
    ax.set_ylabel("output rows done (share)")
    ax.set_title(f"patch schedule ({len(gen.patches.stages)} stage(s)): {calls} kernel calls, {shifted:,} B of rows "
                 "shifted, 0 extra MACs")
    ax.legend(loc="lower right", fontsize=7, ncol=4)


def plot_arena(gen: Compiled, path: str | Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    plan = gen.plan
    n = len(gen.graph.ops)
    stages = gen.patches.stages if gen.patches is not None else []
    stage = stages[0] if stages else None
    if stage is None:
        fig, ax = plt.subplots(figsize=(11, 5.5))
    else:
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(11, 9), gridspec_kw={"height_ratios": [3, 2]})
    bands = {("t", b.tensor) for st in stages for b in st.bands}
    peak_pos, peak_top = plan.peak()
    at_peak = {b.key for b in plan.live_at(peak_pos)}
    for b in plan.buffers:
        off = plan.offsets[b.key]
        kind = b.key[0]  # type: ignore[index]
        color = "tab:orange" if kind == "s" else ("tab:red" if b.key in at_peak else
                                                  "tab:green" if b.key in bands else "tab:blue")
        # graph inputs live from -1, outputs until n: draw them over the ops that touch them
        x0, x1 = max(b.first, -1), min(b.last, n)
        ax.add_patch(Rectangle((x0 - 0.45, off), x1 - x0 + 0.9, b.size, facecolor=color, alpha=0.55,
                               edgecolor="k", lw=0.5))
        if b.key in at_peak and b.size >= plan.arena_bytes * 0.06:
            ax.text(peak_pos, off + b.size / 2, _label(gen, b.key), ha="center", va="center", fontsize=7)
    ax.axhline(plan.arena_bytes, color="r", ls="--", lw=1, label=f"arena {plan.arena_bytes:,} B")
    ax.axvline(peak_pos, color="k", ls=":", lw=1,
               label=f"peak at op {peak_pos}: {peak_top:,} B (red: live there)")
    if plan.lower_bound:
        ax.axhline(plan.lower_bound, color="gray", ls="-.", lw=0.8,
                   label=f"lower bound {plan.lower_bound:,} B")
    for k, st in enumerate(stages):
        ax.axvspan(st.first - 0.5, st.last + 0.5, color="tab:green", alpha=0.08,
                   label=f"patch stage: ops {st.first}..{st.last} in {st.steps} bands of rows "
                         f"(green: tensors held {min(b.rows for b in st.bands)}-{max(b.rows for b in st.bands)} "
                         f"rows at a time)" if k < 3 else None)
    if stages:
        _plot_stage(gen, ax2)
    ax.set_xlim(-1.5, n + 0.5)
    ax.set_ylim(0, max(peak_top, plan.arena_bytes) * 1.08 + 1)
    ax.set_xlabel("op index (-1: model input, %d: model output)" % n)
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"{gen.graph.name}: arena plan, {len(plan.buffers)} buffers "
                 f"(blue: tensors, orange: kernel scratch)" +
                 (f"; without patches {gen.patches.arena_without:,} B" if stage is not None and gen.patches else ""))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
