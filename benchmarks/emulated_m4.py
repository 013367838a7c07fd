"""Instructions per inference on the emulated Cortex-M4 (QEMU mps2-an386, -icount), against TFLM.

    python benchmarks/emulated_m4.py [MODEL.tflite ...] [--samples N] [--kernels dsp|portable]

Builds each model's firmware (default: the four MLPerf Tiny int8 models from ../shared), runs it in
the emulator, and prints per model: instructions per inference, the ratio to TFLM + CMSIS-NN and
to TFLM's reference kernels (../shared/baselines/tflm_emulated_m4.md), MACs per instruction, flash
and RAM against TFLM's, and the per-layer table of the model furthest from its target (0.5x
CMSIS-NN). Every figure comes from one run of the real firmware."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MLPERF = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]


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
                                       kernels=args.kernels))
            reports[m.stem] = rep
            cm, ref = base.get((m.stem, "cmsis_nn")), base.get((m.stem, "ref"))
            rows.append((m.stem, rep, cm, ref))
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
            why = (f"the {rep['kernels']} kernels' constants take {rep['weights_bytes']:,} B: weights widened to "
                   "int16 for SMLAD, traded for speed; `--kernels portable` keeps them int8"
                   if rep["kernels"] == "dsp" else f"constants {rep['weights_bytes']:,} B")
            print(f"{'':<24} flash is {over:,} B over the model's {raw:,} B of weights + 16 KB: {why}")
    worst = max(rows, key=lambda r: r[1]["instructions"] / r[2]["instructions"] if r[2] else 0)
    name, rep = worst[0], worst[1]
    print(f"\nper layer, {name} (furthest from 0.5x CMSIS-NN):")
    print(f"  {'#':>3} {'layer':<34} {'MACs':>11} {'instructions':>13} {'MACs/instr':>10}")
    for layer in rep["layers"]:
        print(f"  {layer['index']:>3} {layer['label'][:34]:<34} {layer['macs']:>11,} {layer['instructions']:>13,} "
              f"{layer['macs_per_instruction'] if layer['macs_per_instruction'] is not None else '-':>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
