"""Instructions per inference on every emulated Cortex-M core (QEMU -icount), bit-exact with TFLM.

    python benchmarks/emulated_cores.py [MODEL.tflite ...] [--boards B,B,...] [--samples N]

For each model (default: the example and the four MLPerf Tiny int8 models from ../shared) and each
emulated board (default: microbit M0, mps2_an385 M3, netduinoplus2 M4, mps2_an500 M7,
mps2_an505 M33, mps3_an547 M55) it plans the model for the board first: what does not fit the
board's memory is reported with the shortfall and not run. The rest is built with
arm-none-eabi-gcc, run in the emulator on N random inputs and compared with TFLM's interpreter.
The kernel family is the board's own (portable on M0/M3, dsp on M4/M7/M33); on the Helium
M55 both dsp and mve (the MVE conv, depthwise and FC kernels, the DSP ones elsewhere), side by side. Every figure
comes from one run of the real firmware."""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MLPERF = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]
BOARDS = ["microbit", "mps2_an385", "netduinoplus2", "mps2_an500", "mps2_an505", "mps3_an547"]


def families(board) -> list[str]:
    """The board's DSP or portable family; on a Helium core the DSP kernels, then the MVE ones."""
    from tinyq.ops.lower import resolve_family

    fams = [resolve_family("auto", board.dsp)]
    return fams + ["mve"] if board.mve else fams


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--boards", default=",".join(BOARDS))
    ap.add_argument("--samples", type=int, default=3)
    args = ap.parse_args()
    from tinyq.boards import load_board
    from tinyq.errors import TinyqError
    from tinyq.plan.budget import budget
    from tinyq.workflows.bench import run_emulated_bench
    from tinyq.workflows.compile import compile

    models = [Path(m) for m in args.models] or \
        [ROOT / "examples" / "digits" / "digits_int8.tflite"] + [SHARED / "models" / "mlperf_tiny" / f"{m}.tflite"
                                                                 for m in MLPERF]
    missing = [m for m in models if not m.is_file()]
    if missing:
        print(f"skipping models not found: {', '.join(map(str, missing))} (the MLPerf models live in ../shared)")
        models = [m for m in models if m.is_file()]
    boards = [load_board(b) for b in args.boards.split(",")]
    print("| model | board (core) | kernels | instructions | MACs/instr | flash B | RAM B | bit-exact |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            for b in boards:
                where = f"{b.name} ({b.core.replace('cortex-', '').upper()})"
                for fam in families(b):
                    plan = budget(compile(m, board=b, kernels=fam), b)
                    if not plan.fits:
                        short = [f"{what} needs {need:,} of {have:,}" for what, need, have in
                                 (("RAM", plan.ram_bytes, plan.ram_budget), ("flash", plan.flash_bytes,
                                                                             plan.flash_budget)) if need > have]
                        print(f"| {m.stem} | {where} | {fam} | does not fit: {'; '.join(short)} | | | | |")
                        continue
                    try:
                        rep = run_emulated_bench(m, board=b.name, samples=args.samples, kernels=fam,
                                                 out=Path(tmp) / f"{m.stem}-{b.name}-{fam}", timeout=1800)
                    except TinyqError as exc:
                        print(f"| {m.stem} | {where} | {fam} | failed: {exc.message.splitlines()[0]} | | | | |")
                        continue
                    d = rep.to_dict()
                    print(f"| {m.stem} | {where} | {fam} | {d['instructions']:,} | {d['macs_per_instruction']} | "
                          f"{d['flash_bytes']:,} | {d['ram_bytes']:,} | "
                          f"{'yes' if d['bit_exact'] else 'NO'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
