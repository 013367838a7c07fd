"""Dynamic-range (hybrid) models on the emulated Cortex-M4F (QEMU mps2-an386, -icount): the
portable hybrid kernels (hybrid_f32.c) against the DSP ones (hybrid_dsp.c), next to the model's
float32 and int8 builds.

    python benchmarks/hybrid_m4.py [kws|vww|ic|ad|digits ...] [--samples 3] [--out build/hybrid_m4]

Each MLPerf Tiny Keras/SavedModel source in ../shared is converted to float32 and to dynamic range
(TensorFlow's converter, no calibration data needed) and its int8 file from ../shared is used as
it is; digits is the bundled example (trained on first use). Every build runs on inputs generated
on the device from the seed; the DSP and portable hybrid builds must give the same outputs, and
both must lie within the hybrid tolerance of LiteRT. Prints instructions per inference and the
hybrid layers' MACs per instruction."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MLPERF = ROOT.parent / "shared" / "models" / "mlperf_tiny"
SOURCES = {"kws": ("kws_ref_model_savedmodel", "kws_ref_model.tflite"), "vww": ("vww_96.h5", "vww_96_int8.tflite"),
           "ic": ("pretrainedResnet.h5", "pretrainedResnet_quant.tflite"), "ad": ("ad01.h5", "ad01_int8.tflite")}


def models(name: str, out: Path) -> dict[str, Path] | None:
    """float32, dynamic and int8 .tflite files of `name`, or None where its source is absent."""
    from tinyq.workflows.quantize.convert import convert
    from tinyq.workflows.quantize.loader import load_source

    out.mkdir(parents=True, exist_ok=True)
    if name == "digits":
        from tinyq.workflows.example import example_model
        example_model(out)
        src, int8 = out / "digits.keras", out / "digits_int8.tflite"
    else:
        src, int8 = MLPERF / SOURCES[name][0], MLPERF / SOURCES[name][1]
        if not src.exists() or not int8.exists():
            print(f"{name}: {src} or {int8} is absent, skipped", file=sys.stderr)
            return None
    files = {}
    for mode in ("float32", "dynamic"):
        files[mode] = out / f"{name}_{mode}.tflite"
        if not files[mode].exists():
            files[mode].write_bytes(convert(load_source(src), mode, progress=False))
    files["int8"] = int8
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["digits", *SOURCES])
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--out", default="build/hybrid_m4")
    args = ap.parse_args()
    from tinyq.errors import TinyqError
    from tinyq.workflows.bench import run_emulated_bench
    from tinyq.workflows.reports import BenchReport

    print(f"{'model':<8} {'float32':>12} {'dynamic C':>12} {'dynamic DSP':>12} {'int8':>12}  hybrid layers "
          "MACs/instr (C -> DSP)")
    for name in args.models:
        files = models(name, Path(args.out) / name)
        if files is None:
            continue
        def run(path: Path, kernels: str, mode: str) -> BenchReport | None:
            try:
                return run_emulated_bench(path, board="nrf52840", samples=args.samples, kernels=kernels,
                                          out=Path(args.out) / name / f"{mode}_{kernels}")
            except TinyqError as exc:    # a mode that does not fit the board
                print(f"{name} {mode}: {exc.message.splitlines()[0]}", file=sys.stderr)
                return None

        f32, port, dsp, i8 = (run(files["float32"], "auto", "float32"), run(files["dynamic"], "portable", "dynamic"),
                              run(files["dynamic"], "auto", "dynamic"), run(files["int8"], "auto", "int8"))
        reps = [r for r in (f32, port, dsp, i8) if r is not None]
        ok = all(r.bit_exact for r in reps)
        layers = []
        if port is not None and dsp is not None:
            ok = ok and all(np.array_equal(a, b) for sa, sb in zip(port.outputs, dsp.outputs) for a, b in zip(sa, sb))
            layers = [f"{p.label.split()[0]} {p.macs_per}->{d.macs_per}" for p, d in zip(port.layers, dsp.layers)
                      if p.macs and d.count < 0.9 * p.count]
        cells = [f"{r.median:>12,}" if r is not None else f"{'does not fit':>12}" for r in (f32, port, dsp, i8)]
        print(f"{name:<8} {' '.join(cells)}  {', '.join(layers)}" + ("" if ok else "  (MISMATCH)"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
