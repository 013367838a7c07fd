"""Instructions per inference on the emulated Cortex-M4 (QEMU mps2-an386, -icount), against TFLM.

    python benchmarks/emulated_m4.py [MODEL.tflite ...] [--samples N] [--kernels dsp|portable] [--int16x8]
                                     [--flash auto|small|fast] [--flash-budget BYTES]

Builds each model's firmware (default: the four MLPerf Tiny int8 models from ../shared), runs it in
the emulator, and prints per model: instructions per inference, the ratio to TFLM + CMSIS-NN and
to TFLM's reference kernels (../shared/baselines/tflm_emulated_m4.md), MACs per instruction, flash
and RAM against TFLM's, and the per-layer table of the model furthest from its target (0.5x
CMSIS-NN). With --int16x8, the MLPerf Keras/SavedModel sources are also quantized in 16x8 mode
(int16 activations; calibration data synthesized: standard normal, 32 samples) and their builds
are printed next to the int8 ones. Every figure comes from one run of the real firmware."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MLPERF = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]
# the int8 model -> its float source and input shape, for the 16x8 builds
SOURCES = {"kws_ref_model": ("kws_ref_model_savedmodel", (49, 10, 1)), "vww_96_int8": ("vww_96.h5", (96, 96, 3)),
           "pretrainedResnet_quant": ("pretrainedResnet.h5", (32, 32, 3)), "ad01_int8": ("ad01.h5", (640,))}


def quantize_16x8(name: str, out: Path) -> Path | None:
    """The MLPerf source of `name` in 16x8 mode, or None where it is absent."""
    import numpy as np

    from tinyq.workflows.quantize.convert import convert
    from tinyq.workflows.quantize.loader import load_source

    src_name, shape = SOURCES[name]
    src = SHARED / "models" / "mlperf_tiny" / src_name
    if not src.exists():
        print(f"skipping the 16x8 build of {name}: {src} not found")
        return None
    calib = np.random.default_rng(0).standard_normal((32, *shape)).astype(np.float32)
    out.write_bytes(convert(load_source(src), "int16x8", calib, progress=False))
    return out


def tflm_baseline(path: Path) -> dict[tuple[str, str], dict[str, int]]:
    """(model, build) -> {instructions, flash, arena} from the baseline's totals table."""
    res: dict[tuple[str, str], dict[str, int]] = {}
    if not path.is_file():
        return res
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 9 and cells[1] in ("ref", "cmsis_nn") and re.fullmatch(r"[\d,]+", cells[2] or "x"):
            num = lambda s: int(s.replace(",", ""))  # noqa: E731
            res[(cells[0], cells[1])] = {"arena": num(cells[2]), "instructions": num(cells[5]), "flash": num(cells[6])}
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--kernels", choices=["dsp", "dsp8", "portable"], default="dsp",
                    help="kernel family (portable: int8 weights, smallest flash)")
    ap.add_argument("--int16x8", action="store_true", help="also build the MLPerf sources in 16x8 mode")
    ap.add_argument("--flash", choices=["auto", "small", "fast"], default="auto",
                    help="the DSP kernels' flash policy (tinyq/ops/flash.py)")
    ap.add_argument("--flash-budget", type=int, default=None)
    args = ap.parse_args()
    from tinyq.workflows.deploy import DeployOptions, deploy

    models = [Path(m) for m in args.models] or [SHARED / "models" / "mlperf_tiny" / f"{m}.tflite" for m in MLPERF]
    missing = [m for m in models if not m.is_file()]
    if missing:
        print(f"skipping models not found: {', '.join(map(str, missing))} (the MLPerf models live in ../shared)")
        models = [m for m in models if m.is_file()]
    if not models:
        return 0
    base = tflm_baseline(SHARED / "baselines" / "tflm_emulated_m4.md")
    rows, reports = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            rep = deploy(DeployOptions(model=m, emulate=True, samples=args.samples, out=Path(tmp) / m.stem, quiet=True,
                                       kernels=args.kernels, flash=args.flash, flash_budget=args.flash_budget))
            reports[m.stem] = rep
            cm, ref = base.get((m.stem, "cmsis_nn")), base.get((m.stem, "ref"))
            rows.append((m.stem, rep, cm, ref))
        rows16 = []
        for m in models if args.int16x8 else []:
            if m.stem not in SOURCES:
                continue
            q = quantize_16x8(m.stem, Path(tmp) / f"{m.stem}_16x8.tflite")
            if q is not None:
                rows16.append((m.stem, reports[m.stem], deploy(DeployOptions(
                    model=q, emulate=True, samples=args.samples, out=Path(tmp) / q.stem, quiet=True,
                    kernels=args.kernels, flash=args.flash, flash_budget=args.flash_budget))))
    print(f"{'model':<24} {'bit-exact':>9} {'instructions':>13} {'vs CMSIS-NN':>11} {'vs ref':>7} "
          f"{'MACs/instr':>10} {'flash B':>9} {'vs TFLM':>7} {'RAM-stack B':>11} {'vs arena':>8}")
    for name, rep, cm, ref in rows:
        ratio = f"{rep['instructions'] / cm['instructions']:.2f}x" if cm else "-"
        rref = f"{rep['instructions'] / ref['instructions']:.2f}x" if ref else "-"
        fl = f"{rep['flash_bytes'] / cm['flash']:.2f}x" if cm else "-"
        ram = f"{rep['ram_excluding_stack'] / ref['arena']:.2f}x" if ref else "-"
        print(f"{name:<24} {str(rep['bit_exact']):>9} {rep['instructions']:>13,} {ratio:>11} {rref:>7} "
              f"{rep['macs_per_instruction']:>10} {rep['flash_bytes']:>9,} {fl:>7} {rep['ram_excluding_stack']:>11,} {ram:>8}")
        raw = rep["model_weight_bytes"]
        over = rep["flash_bytes"] - (raw + 16 * 1024)
        if over > 0:
            consts = rep["weights_bytes"]
            if rep["kernels"] == "dsp" and args.flash != "small":
                why = (f"the {rep['kernels']} kernels' constants take {consts:,} B: weights widened to int16 for "
                       f"SMLAD where the flash policy ({args.flash}) chose speed; `--flash small` keeps them int8")
            else:   # int8 weights: what is left is tables and code (benchmarks/flash_breakdown.py itemizes it)
                why = (f"constants {consts:,} B ({consts - raw:+,} B of per-channel tables and layouts beside the "
                       f"weights), code and harness {rep['flash_bytes'] - consts:,} B")
            print(f"{'':<24} flash is {over:,} B over the model's {raw:,} B of weights + 16 KB: {why}")
    if rows16:
        print(f"\n16x8 (int16 activations) next to int8, {args.kernels} kernels:")
        print(f"{'model':<24} {'bit-exact':>9} {'int8 instr':>13} {'16x8 instr':>13} {'16x8/int8':>9} "
              f"{'MACs/instr':>10} {'flash B':>9} {'RAM-stack B':>11} {'arena B':>8}")
        for name, r8, r16 in rows16:
            print(f"{name:<24} {str(r16['bit_exact']):>9} {r8['instructions']:>13,} {r16['instructions']:>13,} "
                  f"{r16['instructions'] / r8['instructions']:>8.2f}x {r16['macs_per_instruction']:>10} "
                  f"{r16['flash_bytes']:>9,} {r16['ram_excluding_stack']:>11,} {r16['arena_bytes']:>8,}")
    worst = max(rows, key=lambda r: r[1]["instructions"] / r[2]["instructions"] if r[2] else 0)
    print_layers(f"{worst[0]} (furthest from 0.5x CMSIS-NN)", worst[1])
    if rows16:
        w16 = max(rows16, key=lambda r: r[2]["instructions"] / r[1]["instructions"])
        print_layers(f"{w16[0]} in 16x8 (furthest from its int8 build)", w16[2])
    return 0


def print_layers(title: str, rep) -> None:
    print(f"\nper layer, {title}:")
    print(f"  {'#':>3} {'layer':<34} {'MACs':>11} {'instructions':>13} {'MACs/instr':>10}")
    for layer in rep["layers"]:
        print(f"  {layer['index']:>3} {layer['label'][:34]:<34} {layer['macs']:>11,} {layer['instructions']:>13,} "
              f"{layer['macs_per_instruction'] if layer['macs_per_instruction'] is not None else '-':>10}")


if __name__ == "__main__":
    sys.exit(main())
