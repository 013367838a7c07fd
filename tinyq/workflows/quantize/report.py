"""Convert a model in every mode and compare size and accuracy: a Markdown report and a chart."""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tinyq.workflows.quantize.convert import MODES, QuantizeError, convert
from tinyq.workflows.quantize.evaluate import predict
from tinyq.workflows.quantize.loader import SourceModel


@dataclass
class ModeResult:
    mode: str
    bytes: int
    ratio_to_float32: float
    top1: float | None          # accuracy against labels, when given
    agreement: float            # top-1 agreement with the float32 model
    mae: float | None           # mean absolute error of the outputs against the float32 model
    error: str | None = None    # why TensorFlow could not convert to this mode


REPORT_ORDER = ("float32", "float16", "dynamic", "int16x8", "int8")


def compare_modes(src: SourceModel, calib: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray | None,
                  out_dir: Path) -> list[ModeResult]:
    out_dir.mkdir(parents=True, exist_ok=True)
    blobs, failed = {}, {}
    for m in MODES:
        print(f"converting {src.path.name} to {m} ...", file=sys.stderr)
        try:
            blobs[m] = convert(src, m, calib)
        except QuantizeError as exc:
            if m in ("float32", "int8"):
                raise
            # TensorFlow has fewer 16x8 kernels: a mode it cannot produce is a row that says why
            failed[m] = exc.message
            print(f"  {m}: {exc.message}", file=sys.stderr)
    for m, b in blobs.items():
        (out_dir / f"{src.path.stem}_{m}.tflite").write_bytes(b)
    ref = predict(blobs["float32"], x_eval, desc="float32")
    results = []
    for m in REPORT_ORDER:
        if m in failed:
            results.append(ModeResult(m, 0, 0.0, None, 0.0, None, failed[m]))
            continue
        y = ref if m == "float32" else predict(blobs[m], x_eval, desc=m)
        top1 = None
        if y_eval is not None and y.ndim == 2:
            top1 = float(np.mean(np.argmax(y, axis=1) == y_eval.reshape(-1)))
        agree = float(np.mean(np.argmax(y.reshape(len(y), -1), axis=1) == np.argmax(ref.reshape(len(ref), -1), axis=1)))
        results.append(ModeResult(m, len(blobs[m]), len(blobs[m]) / len(blobs["float32"]), top1, agree,
                                  float(np.mean(np.abs(y - ref)))))
    return results


def write_report(src: SourceModel, results: list[ModeResult], n_calib: int, n_eval: int, out_dir: Path) -> Path:
    lines = [f"# Quantization report: {src.path.name}", "",
             f"Calibration samples: {n_calib}; evaluation samples: {n_eval} (LiteRT interpreter).", "",
             "| mode | size (B) | vs float32 | top-1 | top-1 agreement with float32 | mean abs. output error |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        if r.error:
            lines.append(f"| {r.mode} | not converted: {r.error} | | | | |")
            continue
        top1 = f"{100 * r.top1:.2f}%" if r.top1 is not None else "n/a (no labels)"
        lines.append(f"| {r.mode} | {r.bytes:,} | {r.ratio_to_float32:.3f}x | {top1} | "
                     f"{100 * r.agreement:.2f}% | {r.mae:.3g} |")
    by = {r.mode: r for r in results}
    f32 = by.get("float32")
    for m, what in (("int16x8", "int16 activations, int8 weights"), ("int8", "full integer")):
        q = by.get(m)
        if q is None or q.error or f32 is None:
            continue
        acc = (f"top-1 {100 * q.top1:.2f}% vs {100 * f32.top1:.2f}% "
               f"({100 * (q.top1 - f32.top1):+.2f} points)" if q.top1 is not None and f32.top1 is not None
               else f"top-1 agrees with float32 on {100 * q.agreement:.2f}% of the samples")
        lines += ["", f"{m} ({what}, compiled by `tinyq generate`): {q.ratio_to_float32:.3f}x the "
                      f"float32 file, {acc}."]
    md = out_dir / "report.md"
    md.write_text("\n".join(lines) + "\n\n![sizes and accuracy](report.png)\n")
    _chart(results, out_dir / "report.png")
    (out_dir / "report.json").write_text(__import__("json").dumps([asdict(r) for r in results], indent=2))
    return md


def _chart(results: list[ModeResult], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    results = [r for r in results if not r.error]
    names = [r.mode for r in results]
    bars = a.bar(names, [r.bytes / 1024 for r in results], color="tab:blue")
    a.bar_label(bars, labels=[f"{r.ratio_to_float32:.2f}x" for r in results], padding=2)
    a.margins(y=0.12)
    a.set_ylabel("file size (KiB)")
    a.set_title("size")
    vals = [100 * (r.top1 if r.top1 is not None else r.agreement) for r in results]
    bars = b.bar(names, vals, color="tab:green")
    b.bar_label(bars, labels=[f"{v:.2f}" for v in vals], padding=2)
    b.set_ylim(max(0, min(vals) - 10), 102)
    b.set_ylabel("top-1 (%)" if results[0].top1 is not None else "agreement with float32 (%)")
    b.set_title("accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
