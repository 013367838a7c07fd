#!/usr/bin/env python
"""`tinyq compare` on the MLPerf Tiny Keras/SavedModel sources (and the digits example): every
quantization mode converted, deployed to the emulated nRF52840 (QEMU mps2-an386, Cortex-M4F) and
measured there. The MLPerf data sets are absent here, so calibration and evaluation inputs are
synthesized (seeded standard normal; no labels: device top-1 is not measured, agreement with the
float32 model is) and the report says so.

    python benchmarks/compare_modes.py [kws|vww|ic|ad|digits ...] [--samples 20] [--out build/compare_modes]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MLPERF = ROOT.parent / "shared" / "models" / "mlperf_tiny"
SOURCES = {"kws": MLPERF / "kws_ref_model_savedmodel", "vww": MLPERF / "vww_96.h5",
           "ic": MLPERF / "pretrainedResnet.h5", "ad": MLPERF / "ad01.h5"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["digits", *SOURCES])
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--out", default="build/compare_modes")
    args = ap.parse_args()
    from tinyq.workflows.compare import compare, format_table, write_report
    from tinyq.workflows.quantize.calib import load_data
    from tinyq.workflows.quantize.loader import load_source

    for name in args.models:
        out = Path(args.out) / name
        if name == "digits":
            from tinyq.workflows.example import example_model
            example_model(out)
            src = out / "digits.keras"
            calib, _ = load_data(out / "calib.npz", load_source(src).input_shape)
            x, y = load_data(out / "eval.npz", load_source(src).input_shape, labels=True)
            synthetic = False
        else:
            src = SOURCES[name]
            if not src.exists():
                print(f"{name}: {src} is absent, skipped", file=sys.stderr)
                continue
            shape = load_source(src).input_shape
            rng = np.random.default_rng(0)
            calib = rng.standard_normal((100, *shape)).astype(np.float32)
            x, y = rng.standard_normal((args.samples, *shape)).astype(np.float32), None
            synthetic = True
        rep = compare(src, calib, x, y, board="nrf52840", emulate=True, out=out, samples=args.samples,
                      synthetic=synthetic, quiet=True)
        write_report(rep, out / "report")
        print(format_table(rep), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
