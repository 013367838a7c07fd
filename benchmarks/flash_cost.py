"""Calibrate the flash policy's cost model (tinyq/ops/flash.py COST) on the emulated Cortex-M4.

    python benchmarks/flash_cost.py [MODEL.tflite ...] [--samples N]

Builds each model twice, every layer widened (`--flash fast`) and every layer int8 (`--kernels
dsp8`), runs both in the emulator and pairs the layers whose variant differs. Per op kind it fits
instructions(dsp8) - instructions(dsp) as a linear function of the layer's features
(flash.features: multiply-accumulate groups, outputs, ...; least squares) and prints each layer's measured and predicted
difference and the COST entries to put in tinyq/ops/flash.py. Default models: the four MLPerf
Tiny models in ../shared plus a few committed test convolutions (3x3x3, 5x1, 1x1, depthwise 3x3 and 5x5) for geometry."""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "models" / "mlperf_tiny"
DEFAULT = [SHARED / f"{m}.tflite" for m in ("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8")]
DEFAULT += [ROOT / "tests" / "models" / f"{m}.tflite" for m in ("conv3x3_same_c3", "conv5x1_c7", "conv1x1_c16",
                                                                  "conv3x3_s2_valid", "fc_in64_out16",
                                                                  "dw3x3_s2_same_c20", "dw5x5_dil2_same")]


def main() -> int:
    import numpy as np

    from tinyq.ops.flash import COST, features
    from tinyq.workflows.compile import compile
    from tinyq.workflows.deploy import DeployOptions, deploy

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--samples", type=int, default=1)
    args = ap.parse_args()
    models = [Path(m) for m in args.models] or [m for m in DEFAULT if m.is_file()]
    if not models:
        print("no models found (the MLPerf models live in ../shared)")
        return 0
    rows: dict[str, list[tuple[str, tuple[float, ...], float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            runs = {}
            for tag, kernels, flash in (("16", "dsp", "fast"), ("8", "dsp8", "auto")):
                rep = deploy(DeployOptions(model=m, emulate=True, samples=args.samples, out=Path(tmp) / f"{m.stem}{tag}",
                                           quiet=True, kernels=kernels, flash=flash))
                assert rep["bit_exact"], f"{m.name} {kernels}: not bit-exact"
                runs[tag] = ({x["index"]: x["instructions"] for x in rep["layers"]},
                             compile(m, board="nrf52840", kernels=kernels, flash=flash).lowered.layers)
            (i16, l16), (i8, l8) = runs["16"], runs["8"]
            for a, b in zip(l16, l8):
                f = features(b.data)
                # (a ring kernel's gain over the per-pixel one has its own estimate:
                # depthwise_conv_2d.ring_over_per_pixel)
                if a.variant is b.variant or f is None or a.variant.name.endswith("_rows"):
                    continue
                rows.setdefault(f[0], []).append((f"{m.stem} op {a.op.index}", f[1],
                                                  i8[b.op.index] - i16[a.op.index]))
    print(f"{'layer':<36} {'measured':>10} {'fit':>10} {'now':>10}")
    fitted = {}
    for kind, rs in rows.items():
        x = np.array([f for _, f, _ in rs])
        y = np.array([d for *_, d in rs])
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        fitted[kind] = tuple(round(float(c), 3) for c in coef)
        now = np.array(COST.get(kind, (0.0,) * x.shape[1]))
        for (name, f, d), fit in zip(rs, x @ coef):
            print(f"{name:<36} {d:>10,.0f} {fit:>10,.0f} {np.dot(now, f):>10,.0f}")
        err = np.abs(x @ coef - y).sum() / max(np.abs(y).sum(), 1)
        print(f"  {kind}: {len(rs)} layers, fit {fitted[kind]}, mean relative error {err:.1%}")
    print("\nCOST = {" + ", ".join(f'"{k}": {v}' for k, v in fitted.items()) + "}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
