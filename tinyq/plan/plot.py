"""Draw an arena plan: every buffer a rectangle over (op index x byte offset), the peak marked."""
from __future__ import annotations

from pathlib import Path

from tinyq.backend.generate import Generated


def plot_arena(gen: Generated, path: str | Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    plan = gen.plan
    fig, ax = plt.subplots(figsize=(10, 5))
    peak = 0
    for b in plan.buffers:
        off = plan.offsets[b.key]
        kind, idx = b.key
        ax.add_patch(Rectangle((b.first - 0.45, off), b.last - b.first + 0.9, b.size,
                               facecolor="tab:orange" if kind == "s" else "tab:blue", alpha=0.6, edgecolor="k", lw=0.5))
        peak = max(peak, off + b.size)
    ax.axhline(plan.arena_bytes, color="r", ls="--", lw=1, label=f"arena {plan.arena_bytes:,} B")
    ax.set_xlim(-1.5, len(gen.graph.ops) + 0.5)
    ax.set_ylim(0, max(peak, plan.arena_bytes) * 1.05 + 1)
    ax.set_xlabel("op index")
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"{gen.graph.name}: arena plan (blue: tensors, orange: scratch)")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
