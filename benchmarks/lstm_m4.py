"""Instructions per inference of fused int8 LSTMs on the emulated Cortex-M4 (QEMU mps2-an386, -icount).

    python benchmarks/lstm_m4.py [--samples N] [--kernels portable|dsp]

Builds tf_keras LSTM classifiers (LSTM -> Dense -> Softmax, seeded random weights), quantizes each
with `tinyq quantize` (one fused UNIDIRECTIONAL_SEQUENCE_LSTM), deploys it to the emulated nRF52840
and prints per model: bit-exactness with TFLM, instructions per inference, those in the LSTM, MACs
per instruction, flash and RAM. Every figure comes from one run of the real firmware."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

# (units, steps, features)
SIZES = [(16, 10, 6), (32, 20, 8), (8, 49, 10)]


def classifier(path: Path, units: int, steps: int, features: int) -> tuple[Path, Path]:
    import numpy as np
    import tf_keras

    tf_keras.utils.set_random_seed(7)
    m = tf_keras.Sequential([tf_keras.Input(shape=(steps, features)), tf_keras.layers.LSTM(units),
                             tf_keras.layers.Dense(5), tf_keras.layers.Softmax()])
    m.save(path)
    calib = path.with_suffix(".npy")
    np.save(calib, np.random.default_rng(0).uniform(-1, 1, (128, steps, features)).astype(np.float32))
    return path, calib


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--kernels", default="auto")
    args = ap.parse_args()
    from tinyq.cli import main as tinyq
    from tinyq.workflows.deploy import DeployOptions, deploy

    print(f"{'model':<22} {'bit-exact':>9} {'instructions':>13} {'in LSTM':>11} {'MACs/instr':>10} "
          f"{'flash B':>9} {'RAM B':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for units, steps, features in SIZES:
            name = f"lstm{units}_t{steps}_f{features}"
            src, calib = classifier(Path(tmp) / f"{name}.h5", units, steps, features)
            model = Path(tmp) / f"{name}.tflite"
            if tinyq(["quantize", str(src), "--calib", str(calib), "-o", str(model)]) != 0:
                raise SystemExit(f"quantizing {name} failed")
            rep = deploy(DeployOptions(model=model, emulate=True, samples=args.samples, seed=1,
                                       out=Path(tmp) / name, quiet=True, kernels=args.kernels))
            lstm = sum(layer["instructions"] for layer in rep["layers"]
                       if layer["op"] == "UNIDIRECTIONAL_SEQUENCE_LSTM")
            macs = sum(layer["macs"] for layer in rep["layers"])
            print(f"{name:<22} {str(rep['bit_exact']):>9} {rep['instructions']:>13,} {lstm:>11,} "
                  f"{macs / rep['instructions']:>10.3f} {rep['flash_bytes']:>9,} {rep['ram_bytes']:>8,}")


if __name__ == "__main__":
    main()
