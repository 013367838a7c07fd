"""`tinyq deploy`: plan -> generate -> build -> flash -> bench -> one report."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tinyq.boards import load_board
from tinyq.errors import TinyqError
from tinyq.plan.budget import budget, require_fit
from tinyq.plan.compiled import Compiled
from tinyq.targets.firmware import emulation_board
from tinyq.targets.flash import flash
from tinyq.targets.platformio import build_project, write_project
from tinyq.workflows.bench import format_bench, run_bench
from tinyq.workflows.compile import compile
from tinyq.workflows.reports import DeployReport
from tinyq.workflows.session import device_session


@dataclass
class DeployOptions:
    model: Path
    board: str = "nrf52840"
    emulate: bool = False
    port: str | None = None
    samples: int = 10
    seed: int = 0
    data: str | None = None
    out: Path = Path("build/tinyq")
    flasher: str | None = None
    baud: int | None = None
    quiet: bool = False
    kernels: str = "auto"       # auto: the DSP kernels where the board has the DSP extension
    patch: str = "auto"         # patch-based execution (tinyq/plan/patch.py)
    flash: str = "auto"         # the DSP kernels' per-layer weight width (tinyq/ops/flash.py)
    flash_budget: int | None = None
    progress: bool = False      # a progress bar with the ETA while the inputs stream through the board
    inputs: str = "auto"        # random inputs without data: generated on the device or sent (bench.INPUT_SOURCES)


class Progress:
    """One line per stage with its wall time, on stderr so --json output stays clean."""

    def __init__(self, total: int, quiet: bool = False):
        self.total, self.n, self.quiet = total, 0, quiet
        self.times: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, what: str) -> Iterator[None]:
        self.n += 1
        if not self.quiet:
            print(f"[{self.n}/{self.total}] {what} ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        yield
        self.times[name] = round(time.monotonic() - t0, 2)
        if not self.quiet:
            print(f"      done in {self.times[name]:.1f} s", file=sys.stderr, flush=True)


def deploy(opt: DeployOptions) -> DeployReport:
    target = load_board(opt.board)
    if not opt.emulate and not opt.port:
        raise TinyqError("say where the board is: --port PORT (e.g. /dev/ttyACM0) or --emulate")
    run_board = emulation_board(target) if opt.emulate else target
    prog = Progress(5, opt.quiet)
    t_start = time.monotonic()
    with prog.stage("plan", f"planning {opt.model.name} for {target.name}"):
        gen: Compiled = compile(opt.model, board=target, kernels=opt.kernels, flash=opt.flash,
                                flash_budget=opt.flash_budget, patch=opt.patch)
        plan = budget(gen, target)
        require_fit(plan, gen.graph.name)   # refuse before anything is built
    project = opt.out / run_board.name
    with prog.stage("generate", f"generating the PlatformIO project in {project}"):
        # a streamed input is generated row by row on the device: no staging buffer for host inputs
        streamed = bool(gen.patches and any(st.fed for st in gen.patches.stages))
        no_staging = streamed and opt.data is None and opt.inputs != "host"
        write_project(gen, str(run_board.path) if run_board.path else run_board.name, project,
                      ("TQ_NO_INPUT_STAGING",) if no_staging else ())
    with prog.stage("build", "building the firmware (pio run, offline)"):
        image = build_project(project)
        built = budget(gen, target, image.text, image.data, image.bss)
        require_fit(built, gen.graph.name)
    with prog.stage("flash", "starting the emulator" if opt.emulate else f"flashing {target.name}"):
        if not opt.emulate:
            flash(image.hex, target, opt.flasher)
    with prog.stage("bench", f"benchmarking {opt.samples} inputs over serial"):
        where = {"elf": image.elf} if opt.emulate else {"port": opt.port, "baud": opt.baud}
        with device_session(run_board, **where) as link:
            rep = run_bench(link, gen, opt.model, run_board, opt.samples, opt.seed, opt.data, progress=opt.progress,
                            inputs=opt.inputs)
    rep.board = target.name
    rep.run_on = f"QEMU {run_board.emulator.get('qemu_machine')}" if opt.emulate else target.name
    memory = {
        "ram_bytes": built.ram_bytes, "ram_excluding_stack": built.ram_bytes - built.stack_bytes,
        "flash_bytes": built.flash_bytes, "ram_budget": built.ram_budget, "flash_budget": built.flash_budget,
        "weights_bytes": gen.const_bytes, "model_weight_bytes": gen.graph.param_bytes,
        "arena_bytes": gen.arena_bytes,
        "patches": gen.patches.to_dict() if gen.patches is not None else None,
    }
    return DeployReport(rep, memory, gen.kernels, str(image.elf), prog.times, round(time.monotonic() - t_start, 1))


def format_report(rep: dict) -> str:
    head = (f"tinyq deploy: {rep['model']} -> {rep['board']} ({rep['run_on']})\n"
            f"  RAM {rep['ram_bytes']:,} / {rep['ram_budget']:,} B (arena {rep['arena_bytes']:,} B, "
            f"without stack {rep['ram_excluding_stack']:,} B); flash {rep['flash_bytes']:,} / "
            f"{rep['flash_budget']:,} B (weights {rep['weights_bytes']:,} B)\n"
            f"  wall time {rep['wall_seconds']} s: " + ", ".join(f"{k} {v}s" for k, v in rep["stage_seconds"].items()))
    text = head + "\n" + format_bench(rep)
    ev = rep.get("eval")
    if ev:
        pct = (lambda v: "-" if v is None else f"{100 * v:.2f}%")  # noqa: E731
        text += (f"\n  evaluation on the device: {ev['samples']} samples, top-1 {pct(ev['device_top1'])}, "
                 f"agreement with the host (LiteRT) {pct(ev['agreement'])}")
        if ev.get("confusion"):
            text += "\n  confusion (rows: label, columns: device):\n" + "\n".join(
                "    " + " ".join(f"{v:4d}" for v in row) for row in ev["confusion"])
    return text


def _exactness_line(rep: dict) -> str:
    if rep.get("tolerance") is not None:
        return (f"- within {rep['tolerance']:g} of LiteRT: **{rep['bit_exact']}** over {rep['samples']} inputs "
                f"(max relative error {rep['max_rel_err']:.3g})")
    return f"- bit-exact with TFLM: **{rep['bit_exact']}** over {rep['samples']} inputs"


def markdown_report(rep: dict) -> str:
    unit = rep["counter"]
    lines = [f"# tinyq deploy: {rep['model']} on {rep['board']}", "",
             f"- run on: {rep['run_on']}",
             _exactness_line(rep),
             *([f"- inputs: {rep['inputs']}"] if rep.get("inputs") else []),
             f"- {unit} per inference: **{rep[unit]:,}** (min {rep[unit + '_min']:,}, max {rep[unit + '_max']:,})"
             + (f", {rep['latency_ms']} ms" if "latency_ms" in rep else ""),
             f"- MACs: {rep['macs']:,} ({rep['macs_per_' + unit[:-1]]} per {unit[:-1]})",
             f"- RAM: {rep['ram_bytes']:,} B of {rep['ram_budget']:,} (arena {rep['arena_bytes']:,} B, stack high water "
             f"{rep['stack_bytes']:,} B)",
             f"- flash: {rep['flash_bytes']:,} B of {rep['flash_budget']:,} (weights {rep['weights_bytes']:,} B)", "",
             f"| # | layer | MACs | {unit} | MACs/{unit[:-1]} |", "|---:|---|---:|---:|---:|"]
    for layer in rep["layers"]:
        lines.append(f"| {layer['index']} | {layer['label']} | {layer['macs']:,} | {layer[unit]:,} | "
                     f"{layer['macs_per_' + unit[:-1]] if layer['macs_per_' + unit[:-1]] is not None else '-'} |")
    return "\n".join(lines) + "\n"
