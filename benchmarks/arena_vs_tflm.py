#!/usr/bin/env python
"""tinyq's arena and RAM next to TFLM's, per model, as a table with ratios.

TFLM figures: the `tflite-micro` Python interpreter's `print_allocations()` (head = non-persistent
arena: activations and scratch; total = head + persistent tail, 64-bit host build), parsed from its
output in a child process; and, when the shared baseline file is there, TFLM's `arena_used_bytes()`
measured on an emulated Cortex-M4 (../shared/baselines/tflm_emulated_m4.md, reference kernels).

tinyq figures: the arena (without patches), the patch plan's arena (`--patch max`; and with the model input fed row by row by the
application, `--patch max,stream`), what each
planner trick contributes (TFLM-like greedy by size, + in place
over a dying input, + window ops trailing their input, + the wider search), and the RAM without
the stack: the budget's estimate, or with --build the .data + .bss of the real firmware ELF.

    python benchmarks/arena_vs_tflm.py [MODEL.tflite ...] [--board mps2_an386] [--build] [--json]
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MLPERF = SHARED / "models" / "mlperf_tiny"
DEFAULT_MODELS = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]
BASELINE = SHARED / "baselines" / "tflm_emulated_m4.md"

_TFLM_CHILD = """
import sys
from tflite_micro import runtime
it = runtime.Interpreter.from_file(sys.argv[1], arena_size=16 << 20)
sys.stdout.flush()
it.print_allocations()
"""


def tflm_allocations(model: Path) -> dict[str, int]:
    """Parse `print_allocations()`: {'head': ..., 'tail': ..., 'total': ...} in bytes."""
    res = subprocess.run([sys.executable, "-c", _TFLM_CHILD, str(model)], capture_output=True,
                         text=True, timeout=600)
    text = res.stdout + res.stderr
    found = {k: int(v) for k, v in re.findall(r"Arena allocation (head|tail|total) (\d+) bytes", text)}
    if "head" not in found:   # TFLM aborts on some models (a failed TFLITE_CHECK): say so, go on
        print(f"note: TFLM gave no allocation report for {model.name} (exit {res.returncode})", file=sys.stderr)
    return found


def tflm_m4_arena(path: Path = BASELINE) -> dict[str, int]:
    """arena_used_bytes of the reference-kernel TFLM build per model, from the baseline table."""
    if not path.is_file():
        return {}
    res = {}
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 3 and cells[1] == "ref" and re.fullmatch(r"[\d,]+", cells[2]):
            res[cells[0]] = int(cells[2].replace(",", ""))
    return res


def trick_arenas(gen) -> dict[str, int]:
    """The arena with each planner trick added in turn (same buffers, same scratch sizes)."""
    from tinyq.plan.arena import plan_arena
    from tinyq.plan.liveness import buffers

    bufs = buffers(gen.lowered)
    plain = [replace(b, inplace_of=[], overlap_of={}) for b in bufs]
    inplace = [replace(b, inplace_of=[], overlap_of={k: d for k, d in b.overlap_of.items() if d == 0})
               for b in bufs]
    return {
        "greedy": plan_arena(plain, search=False).arena_bytes,                  # TFLM's idea
        "search": plan_arena(plain).arena_bytes,                                # + orderings/local search
        "inplace": plan_arena(inplace).arena_bytes,                             # + dying input reused
        "window": plan_arena(bufs).arena_bytes,                                 # + trailing outputs
        "liveness_bound": plan_arena(plain, search=False).lower_bound,          # no overlaps at all
    }


def built_ram(gen, board) -> int:
    """.data + .bss of the benchmark firmware built with this model (stack excluded)."""
    from tinyq.targets.firmware import build_spec
    from tinyq.targets.gcc_build import build
    with tempfile.TemporaryDirectory(prefix="tinyq-arena-") as tmp:
        model_dir = Path(tmp) / "model"
        gen.write(model_dir)
        image = build(build_spec(board), model_dir, Path(tmp) / "build")
        return image.data + image.bss


def measure(model: Path, board_name: str, do_build: bool, m4: dict[str, int]) -> dict:
    from tinyq.boards import load_board
    from tinyq.plan.budget import budget
    from tinyq.workflows.compile import compile

    board = load_board(board_name)
    gen = compile(model, source=model.name, patch="off")
    patched = compile(model, source=model.name, patch="max")
    streamed = compile(model, source=model.name, patch="max,stream")
    b = budget(gen, board)
    ram = built_ram(gen, board) if do_build else b.ram_bytes - b.stack_bytes
    tflm = tflm_allocations(model)
    row = {"model": model.stem, "arena_bytes": gen.arena_bytes, "tricks": trick_arenas(gen),
           "patch_arena_bytes": patched.arena_bytes, "stream_arena_bytes": streamed.arena_bytes,
           "patch": patched.patches.to_dict() if patched.patches else None,
           "ram_excluding_stack": ram, "ram_measured": do_build,
           "tflm_head": tflm.get("head"), "tflm_total_host": tflm.get("total"),
           "tflm_m4_arena_used": m4.get(model.stem)}
    row["arena_vs_head"] = gen.arena_bytes / tflm["head"] if tflm.get("head") else None
    row["ram_vs_m4_arena"] = ram / row["tflm_m4_arena_used"] if row["tflm_m4_arena_used"] else None
    row["arena_le_head"] = tflm.get("head") is not None and gen.arena_bytes <= tflm["head"]
    row["ram_le_0_8x_m4"] = row["ram_vs_m4_arena"] is not None and row["ram_vs_m4_arena"] <= 0.8
    return row


def table(rows: list[dict]) -> str:
    f = lambda v: f"{v:,}" if isinstance(v, int) else ("n/a" if v is None else str(v))  # noqa: E731
    r = lambda v: "n/a" if v is None else f"{v:.2f}x"  # noqa: E731
    out = ["| model | tinyq arena | patch plan | patch/arena | + input streamed | TFLM head | arena/head "
           "| tinyq RAM excl. stack | TFLM M4 arena_used | RAM/arena_used | <= 0.8x | TFLM host total |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---:|"]
    for x in rows:
        pa = x["patch_arena_bytes"]
        out.append(f"| {x['model']} | {f(x['arena_bytes'])} | {f(pa)} | {r(pa / x['arena_bytes'])} "
                   f"| {f(x['stream_arena_bytes'])} | {f(x['tflm_head'])} | {r(x['arena_vs_head'])} "
                   f"| {f(x['ram_excluding_stack'])}{'' if x['ram_measured'] else ' (est.)'} "
                   f"| {f(x['tflm_m4_arena_used'])} | {r(x['ram_vs_m4_arena'])} "
                   f"| {'n/a' if x['ram_vs_m4_arena'] is None else 'yes' if x['ram_le_0_8x_m4'] else 'no'} "
                   f"| {f(x['tflm_total_host'])} |")
    out += ["", "Arena per planner trick (bytes), each added to the previous: greedy by size, no overlaps "
            "(TFLM's idea) -> wider search (orderings, best fit, exhaustive/local search) -> + output in "
            "place over a dying input (element-wise, fused residual ADD) -> + window ops trailing their input",
            "", "| model | liveness bound | greedy | + search | + in place | + window overlap |",
            "|---|---:|---:|---:|---:|---:|"]
    for x in rows:
        t = x["tricks"]
        out.append(f"| {x['model']} | {f(t['liveness_bound'])} | {f(t['greedy'])} "
                   f"| {f(t['search'])} | {f(t['inplace'])} | {f(t['window'])} |")
    out += ["", "Patch plan: `--patch max` (tinyq/plan/patch.py): the first run of window ops a band of rows at "
            "a time; the same as the arena where no run gains (it never picks a larger plan).", "",
            "| model | patched ops | bands of rows | calls | bytes shifted | est. overhead |", "|---|---|---:|---:|---:|---:|"]
    for x in rows:
        pd = x["patch"] or {}
        if pd.get("patched"):
            out.append(f"| {x['model']} | {pd['ops'][0]}..{pd['ops'][1]} | {pd['steps']} | {pd['calls']} "
                       f"| {f(pd['shifted_bytes'])} | {pd['estimated_overhead_pct']}% |")
        else:
            out.append(f"| {x['model']} | none ({pd.get('reason', '')}) | | | | |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help=f"int8 .tflite files (default: the MLPerf Tiny models in {MLPERF})")
    ap.add_argument("--board", default="mps2_an386", help="board for the RAM figure (default mps2_an386)")
    ap.add_argument("--build", action="store_true", help="measure RAM from the built firmware ELF")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    models = [Path(m) for m in args.models] or [MLPERF / f"{m}.tflite" for m in DEFAULT_MODELS]
    missing = [str(m) for m in models if not m.is_file()]
    if missing:
        print("model not found: " + ", ".join(missing), file=sys.stderr)
        return 2
    m4 = tflm_m4_arena()
    rows = [measure(m, args.board, args.build, m4) for m in models]
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
