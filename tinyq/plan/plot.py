"""Draw an arena plan: every buffer a rectangle over (op index x byte offset), the peak marked."""
from __future__ import annotations

from pathlib import Path

from tinyq.plan.compiled import Compiled


def _label(gen: Compiled, key: object) -> str:
    kind, idx = key  # type: ignore[misc]
    return gen.graph.t(idx).name[-28:] if kind == "t" else f"scratch op {idx}"


def plot_arena(gen: Compiled, path: str | Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    plan = gen.plan
    n = len(gen.graph.ops)
    fig, ax = plt.subplots(figsize=(11, 5.5))
    peak_pos, peak_top = plan.peak()
    at_peak = {b.key for b in plan.live_at(peak_pos)}
    for b in plan.buffers:
        off = plan.offsets[b.key]
        kind = b.key[0]  # type: ignore[index]
        color = "tab:orange" if kind == "s" else ("tab:red" if b.key in at_peak else "tab:blue")
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
    ax.set_xlim(-1.5, n + 0.5)
    ax.set_ylim(0, max(peak_top, plan.arena_bytes) * 1.08 + 1)
    ax.set_xlabel("op index (-1: model input, %d: model output)" % n)
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"{gen.graph.name}: arena plan, {len(plan.buffers)} buffers "
                 f"(blue: tensors, orange: kernel scratch)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
