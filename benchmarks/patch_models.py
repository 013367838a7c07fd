#!/usr/bin/env python
"""Patch-based execution on image models: arena without and with patches, what fits a board, and
(with --emulate) instructions per inference both ways on the emulated Cortex-M4, bit-exact; and
the plan with the model input streamed too (`--patch max,stream`: the application feeds it row by
row, so not even the input exists whole; with --emulate, run with inputs generated row by row on
the device and the firmware's RAM compared).

The models are built here with TensorFlow (random weights, int8; tests/tfmodels.py
`image_model`): MobileNetV2 alpha 0.35 at 144 and 192 px, a BlazeFace-like detector at 128 px,
an MCUNet-like backbone at 160 px, plus any given.

    python benchmarks/patch_models.py [--models mbv2_144 ...] [--board nrf52840] [--emulate] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

DEFAULT = ["mbv2_144", "mbv2_192", "blaze_128", "mcunet_160"]


def big_m4(out: Path) -> Path:
    """The emulated Cortex-M4 (mps2_an386) with QEMU's whole 4 MB SSRAM as RAM, so that the plans
    without patches fit too."""
    from tinyq.resources import boards_dir

    out.mkdir(parents=True, exist_ok=True)
    path = out / "mps2_an386.toml"
    path.write_text((boards_dir() / "mps2_an386.toml").read_text().replace("size = 262_144", "size = 4_194_304"))
    return path


def emulated(model: Path, patch: str, out: Path) -> dict:
    """deploy --emulate on the emulated Cortex-M4 with 4 MB of RAM: instructions, bit-exact."""
    from tinyq.workflows.deploy import DeployOptions, deploy

    rep = deploy(DeployOptions(model=model, board=str(big_m4(out)), emulate=True, samples=3,
                               out=out / patch.replace(",", "_"), patch=patch, quiet=True, inputs="device"))
    d = rep.to_dict()
    return {"instructions": d["instructions"], "bit_exact": d["bit_exact"], "arena": d["arena_bytes"],
            "ram": d.get("ram_bytes")}


def measure(name: str, work: Path, board_name: str, emulate: bool) -> dict:
    from tinyq.boards import load_board
    from tinyq.plan.budget import budget
    from tinyq.workflows.compile import compile

    from tfmodels import image_model

    model = image_model(name, work / f"{name}.tflite")
    board = load_board(board_name)
    off = compile(model, board=board, patch="off")
    auto = compile(model, board=board)
    best = compile(model, board=board, patch="max")
    streamed = compile(model, board=board, patch="max,stream")
    row = {"model": name, "arena_off": off.arena_bytes, "arena_auto": auto.arena_bytes, "arena_max": best.arena_bytes,
           "ratio": round(off.arena_bytes / best.arena_bytes, 2),
           "arena_stream": streamed.arena_bytes, "ratio_stream": round(off.arena_bytes / streamed.arena_bytes, 2),
           "fits_off": budget(off, board).fits, "fits_auto": budget(auto, board).fits,
           "patch": best.patches.to_dict() if best.patches else None}
    if emulate:
        row["emulated_off"] = emulated(model, "off", work / f"{name}_build")
        row["emulated_max"] = emulated(model, "max", work / f"{name}_build")
        row["instr_ratio"] = round(row["emulated_max"]["instructions"] / row["emulated_off"]["instructions"], 4)
        row["emulated_stream"] = emulated(model, "max,stream", work / f"{name}_build")
        row["instr_ratio_stream"] = round(row["emulated_stream"]["instructions"] / row["emulated_off"]["instructions"], 4)
    return row


def table(rows: list[dict], board: str) -> str:
    out = [f"| model | arena, no patches | patch plan | lower by | input streamed too | lower by "
           f"| fits {board} without / with auto | patched ops | bands | est. overhead "
           "| instructions off -> patched -> streamed (emulated M4) | bit-exact |",
           "|---|---:|---:|---:|---:|---:|:-:|---|---:|---:|---:|:-:|"]
    for r in rows:
        p = r["patch"] or {}
        emu = "n/a"
        exact = "n/a"
        if "emulated_off" in r:
            emu = (f"{r['emulated_off']['instructions']:,} -> {r['emulated_max']['instructions']:,} "
                   f"({r['instr_ratio']:.3f}x) -> {r['emulated_stream']['instructions']:,} "
                   f"({r['instr_ratio_stream']:.3f}x)")
            exact = "yes" if all(r[k]["bit_exact"] for k in ("emulated_off", "emulated_max", "emulated_stream")) else "NO"
        ops = f"{p['ops'][0]}..{p['ops'][1]}" if p.get("patched") else "none"
        out.append(f"| {r['model']} | {r['arena_off']:,} | {r['arena_max']:,} | {r['ratio']:.2f}x "
                   f"| {r['arena_stream']:,} | {r['ratio_stream']:.2f}x "
                   f"| {'yes' if r['fits_off'] else 'no'} / {'yes' if r['fits_auto'] else 'no'} | {ops} "
                   f"| {p.get('steps', '')} | {p.get('estimated_overhead_pct', '')}% | {emu} | {exact} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=DEFAULT,
                    help="mbv2_<px>, blaze_<px> or mcunet_<px> (default: %(default)s)")
    ap.add_argument("--board", default="nrf52840", help="board for the fit check (default nrf52840)")
    ap.add_argument("--emulate", action="store_true", help="also measure instructions in QEMU, both ways")
    ap.add_argument("--dir", help="keep the built models here (default: a temporary folder)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tinyq-patch-") as tmp:
        work = Path(args.dir) if args.dir else Path(tmp)
        rows = [measure(m, work, args.board, args.emulate) for m in args.models]
    print(json.dumps(rows, indent=2) if args.json else table(rows, args.board))
    return 0


if __name__ == "__main__":
    sys.exit(main())
