"""`tinyq compare`: one model in every quantization mode, each deployed to the board (or its
emulator) and measured there: file size, firmware flash, RAM, instructions (or cycles) per
inference, top-1 on the device, agreement with float32, and which modes do not fit, by how much."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinyq.boards import load_board
from tinyq.errors import DoesNotFitError, TinyqError, UnsupportedOpError
from tinyq.plan.budget import budget
from tinyq.workflows.compile import compile
from tinyq.workflows.deploy import DeployOptions, deploy

MODES = ("float32", "float16", "dynamic", "int16x8", "int8")


@dataclass
class ModeRow:
    """One mode's figures; `fits` False with `over` (bytes too many of RAM/flash), None when the
    mode does not run on the device (`note` says why)."""

    mode: str
    file_bytes: int = 0
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    counter: str = "instructions"
    count: int | None = None            # instructions (emulated) or cycles per inference, median
    latency_ms: float | None = None     # hardware only (the emulator counts instructions, not time)
    device_top1: float | None = None
    host_top1: float | None = None      # LiteRT on the host, same samples
    agreement: float | None = None      # device top-1 class == float32's (LiteRT, host)
    fits: bool | None = None
    over: dict[str, int] = field(default_factory=dict)
    exact: bool | None = None           # bit-exact with TFLM (integer modes) / within tolerance of LiteRT
    note: str = ""
    confusion: list[list[int]] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d[self.counter] = d.pop("count")
        d.pop("counter")
        return d


@dataclass
class CompareReport:
    board: str
    run_on: str
    model: str
    samples: int
    rows: list[ModeRow]
    synthetic_data: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"board": self.board, "run_on": self.run_on, "model": self.model, "samples": self.samples,
                "synthetic_data": self.synthetic_data, "modes": [r.to_dict() for r in self.rows]}

    def row(self, mode: str) -> ModeRow:
        return next(r for r in self.rows if r.mode == mode)


def _quantized_inputs(path: Path, x: np.ndarray) -> np.ndarray:
    """The float inputs `x` in the model's input type (quantized with its input scale for
    integer inputs), as the device takes them."""
    from ai_edge_litert.interpreter import Interpreter

    d = Interpreter(model_path=str(path)).get_input_details()[0]
    if d["dtype"] == np.float32:
        return x.astype(np.float32)
    scale, zp = d["quantization"]
    info = np.iinfo(d["dtype"])
    return np.clip(np.round(x / scale) + zp, info.min, info.max).astype(d["dtype"])


def _first_reason(message: str) -> str:
    """'op 3 CONV_2D (why); op 5 ...' -> 'CONV_2D: why (and N more ops)'."""
    body = message.split(": ", 1)[-1]
    parts = body.split("; op ")
    first = parts[0].removeprefix("op ").split(" ", 1)[-1]
    name, _, why = first.partition(" (")
    more = f" (and {len(parts) - 1} more op{'s' if len(parts) > 2 else ''})" if len(parts) > 1 else ""
    return f"{name}: {why.rstrip(')')}{more}"[:240]


def _classes(y: np.ndarray) -> np.ndarray:
    return np.asarray(y).reshape(len(y), -1).argmax(axis=1)


def device_accuracy(outputs: list[list[np.ndarray]], labels: np.ndarray | None,
                    reference: np.ndarray | None) -> dict[str, Any]:
    """From the device's outputs per sample: top-1 against `labels`, agreement with the `reference`
    classes (another model's or the host's), and the confusion matrix (rows: label, columns:
    the device's class)."""
    dev = _classes(np.stack([o[0] for o in outputs]))
    res: dict[str, Any] = {"samples": len(dev), "device_top1": None, "agreement": None, "confusion": None}
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)[:len(dev)].astype(np.int64)
        res["device_top1"] = float(np.mean(dev == labels))
        k = int(max(labels.max(initial=0), dev.max(initial=0))) + 1
        conf = np.zeros((k, k), np.int64)
        np.add.at(conf, (labels, dev), 1)
        res["confusion"] = conf.tolist()
    if reference is not None:
        res["agreement"] = float(np.mean(dev == np.asarray(reference)[:len(dev)]))
    return res


def eval_inputs(model: str | Path, x: np.ndarray, out: Path) -> Path:
    """`x` (float samples) in the model's input type, saved as the .npy deploy streams."""
    path = out / f"{Path(model).stem}_eval_inputs.npy"
    np.save(path, _quantized_inputs(Path(model), np.asarray(x, np.float32)))
    return path


def host_classes(model: str | Path, x: np.ndarray, progress: bool = True) -> np.ndarray:
    """The classes LiteRT's interpreter gives the same samples on the host."""
    from tinyq.workflows.quantize.evaluate import predict
    return _classes(predict(Path(model).read_bytes(), np.asarray(x, np.float32), progress=progress, desc="host"))


def _fit(gen: Any, board: Any) -> tuple[bool, dict[str, int], int, int]:
    b = budget(gen, board)
    over = {k: v for k, v in (("ram", b.ram_bytes - b.ram_budget), ("flash", b.flash_bytes - b.flash_budget)) if v > 0}
    return b.fits, over, b.flash_bytes, b.ram_bytes


def compare(model: str | Path, calib: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray | None,
            board: str = "nrf52840", emulate: bool = False, port: str | None = None, out: str | Path = "build/compare",
            samples: int = 100, modes: tuple[str, ...] = MODES, synthetic: bool = False,
            quiet: bool = False) -> CompareReport:
    """Convert `model` (Keras/SavedModel) to each mode, deploy and evaluate every one that compiles
    and fits on the board, on the first `samples` evaluation inputs."""
    from tinyq.workflows.quantize.convert import QuantizeError, convert
    from tinyq.workflows.quantize.evaluate import predict
    from tinyq.workflows.quantize.loader import load_source

    target = load_board(board)
    src = load_source(model)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x = np.asarray(x_eval[:samples], np.float32)
    labels = None if y_eval is None else np.asarray(y_eval[:samples]).reshape(-1)
    say = (lambda m: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    rows: list[ModeRow] = []
    ref_classes = None
    for mode in modes:
        row = ModeRow(mode)
        rows.append(row)
        say(f"== {mode}: converting")
        try:
            blob = convert(src, mode, calib, progress=False)
        except QuantizeError as exc:
            row.note = f"TensorFlow cannot convert: {exc.message}"
            continue
        path = out / f"{src.path.stem}_{mode}.tflite"
        path.write_bytes(blob)
        row.file_bytes = len(blob)
        host = predict(blob, x, progress=not quiet, desc=mode)
        if mode == "float32":
            ref_classes = _classes(host)
        if labels is not None:
            row.host_top1 = float(np.mean(_classes(host) == labels))
        try:
            gen = compile(path, board=target)
        except UnsupportedOpError as exc:
            row.note = "not on device yet: " + _first_reason(exc.message)
            say(f"   {row.note}")
            continue
        row.fits, row.over, row.flash_bytes, row.ram_bytes = _fit(gen, target)
        if not row.fits:
            row.note = "does not fit: " + ", ".join(f"{k} {v:,} B too many" for k, v in row.over.items())
            say(f"   {row.note}")
            continue
        data = eval_inputs(path, x, out)
        say(f"   deploying and evaluating {len(x)} samples on {target.name}" + (" (emulated)" if emulate else ""))
        try:
            rep = deploy(DeployOptions(model=path, board=target.name, emulate=emulate, port=port, samples=len(x),
                                       data=str(data), out=out / f"deploy_{mode}", quiet=True, progress=not quiet))
        except DoesNotFitError as exc:     # the built ELF is larger than the plan's estimate
            row.fits, row.note = False, f"does not fit: {exc.message}"
            continue
        d = rep.to_dict()
        row.flash_bytes, row.ram_bytes = d["flash_bytes"], d["ram_bytes"]
        row.counter, row.count = d["counter"], d[d["counter"]]
        row.latency_ms = d.get("latency_ms")
        row.exact = bool(d["bit_exact"])
        acc = device_accuracy(rep.bench.outputs, labels, ref_classes)
        row.device_top1, row.agreement, row.confusion = acc["device_top1"], acc["agreement"], acc["confusion"]
    run_on = f"QEMU ({target.name} emulated)" if emulate else target.name
    return CompareReport(target.name, run_on, Path(model).name, len(x), rows, synthetic)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}%"


def _num(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def table(rep: CompareReport) -> list[list[str]]:
    """Header and rows of the comparison (terminal and Markdown)."""
    base = next((r for r in rep.rows if r.mode == "float32" and r.file_bytes), None)
    f32_count = base.count if base else None
    unit = next((r.counter for r in rep.rows if r.count), "instructions")
    head = ["mode", "file B", "vs f32", "flash B", "RAM B", unit, "speed vs f32", "device top-1", "host top-1",
            "agree f32", "exact", "note"]
    rows = [head]
    for r in rep.rows:
        ratio = f"{r.file_bytes / base.file_bytes:.3f}x" if base and r.file_bytes else "-"
        speed = f"{f32_count / r.count:.2f}x" if f32_count and r.count else "-"
        rows.append([r.mode, _num(r.file_bytes or None), ratio, _num(r.flash_bytes), _num(r.ram_bytes), _num(r.count),
                     speed, _pct(r.device_top1), _pct(r.host_top1), _pct(r.agreement),
                     "-" if r.exact is None else ("yes" if r.exact else "NO"), r.note])
    return rows


def format_table(rep: CompareReport) -> str:
    rows = table(rep)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = [f"tinyq compare: {rep.model} on {rep.board} ({rep.run_on}), {rep.samples} evaluation samples"
             + (" (synthesized data)" if rep.synthetic_data else "")]
    for r in rows:
        lines.append("  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     + ("  " + r[-1] if r[-1] else ""))
    return "\n".join(lines)


def markdown(rep: CompareReport) -> str:
    rows = table(rep)
    lines = [f"# tinyq compare: {rep.model} on {rep.board}", "",
             f"- run on: {rep.run_on}; {rep.samples} evaluation samples"
             + ("; **calibration and evaluation data synthesized** (the real set is absent)" if rep.synthetic_data else ""),
             "- exact: integer modes bit-exact with TFLM; float modes within verify's tolerance of LiteRT",
             "- agree f32: the device's top-1 class equals the float32 model's (LiteRT on the host)", "",
             "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines) + "\n\n![modes](compare.png)\n"


def chart(rep: CompareReport, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rep.rows if r.file_bytes]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    names = [r.mode for r in rows]
    for ax, vals, title in ((axes[0], [r.file_bytes / 1024 for r in rows], "file size (KiB)"),
                            (axes[1], [(r.count or 0) / 1e6 for r in rows],
                             f"{next((r.counter for r in rows if r.count), 'instructions')} per inference (M)"),
                            (axes[2], [100 * (r.device_top1 if r.device_top1 is not None else (r.agreement or 0))
                                       for r in rows], "device top-1 (%)")):
        bars = ax.bar(names, vals, color=["tab:blue" if r.fits else "tab:gray" for r in rows])
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in vals], padding=2, fontsize=8)
        ax.set_title(title)
        ax.margins(y=0.15)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"{rep.model} on {rep.board} ({rep.run_on}); grey: not on the device")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(rep: CompareReport, out_dir: str | Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "compare.md"
    md.write_text(markdown(rep))
    chart(rep, out_dir / "compare.png")
    (out_dir / "compare.json").write_text(json.dumps(rep.to_dict(), indent=2))
    return md


def check_samples(samples: int) -> None:
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise TinyqError(f"--samples must be a positive integer, not {samples}", "e.g. --samples 100")
