"""Benchmark a model on a device (or the emulator) over serial: bit-exactness against TFLM,
latency, per-layer counts."""
from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from tinyq.boards import Board, load_board
from tinyq.errors import TinyqError
from tinyq.ir import Tensor
from tinyq.plan.compiled import Compiled
from tinyq.targets import device_inputs
from tinyq.targets.firmware import build_spec, emulation_board
from tinyq.targets.gcc_build import build
from tinyq.targets.protocol import Generated, Link, ProtocolError
from tinyq.targets.qemu import ticks_to_instructions
from tinyq.targets.reference import LITERT, run_golden, run_litert
from tinyq.workflows.compile import compile
from tinyq.workflows.reports import BenchReport, LayerFigures
from tinyq.workflows.session import device_session
from tinyq.workflows.verify import compare, compare_float, float_tolerance, is_float_model, random_inputs

CAL_SHORT, CAL_LONG = 1_000, 51_000   # calibration loop lengths (iterations of subs + bne)
# Where random bench inputs come from when no data file is given: "device" generates them from the
# seed ('G' requests: no input bytes on the link), "host" draws them and sends them (the UART, or a
# semihosting file in emulation), "auto" the device when its firmware offers it.
INPUT_SOURCES = ("auto", "device", "host")


def load_inputs(gen: Compiled, data: str | Path | None, samples: int, seed: int) -> list[np.ndarray]:
    """Inputs from a .npy file (N x input shape, single-input models) or `samples` random ones.

    The file holds the model's own input type (uint8, int8, int16, float32, ...); float data for a
    quantized integer input is quantized with the input's scale and zero point (float division,
    round half away from zero, saturated: TFLM's AffineQuantize), integer data of another integer
    type is taken when every value fits the input's type."""
    g = gen.graph
    if samples < 1:
        raise TinyqError(f"--samples must be at least 1, not {samples}")
    if data is None:
        return random_inputs(g, samples, seed)
    t = g.t(g.inputs[0])
    want = f"an array of {t.dtype} with shape (N, {', '.join(map(str, t.shape))})"
    try:
        arr = np.load(data, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise TinyqError(f"cannot read inputs from {data}: {exc}", f"save {want} with numpy.save") from None
    shape = tuple(t.shape)
    if arr.ndim == len(shape) and shape[:1] == (1,) and tuple(arr.shape[1:]) == shape[1:]:
        arr = arr.reshape((arr.shape[0], *shape))   # (N, 640) for a (1, 640) input: the batch of one is implied
    if len(g.inputs) != 1 or tuple(arr.shape[1:]) != shape or not len(arr):
        raise TinyqError(f"{data}: expected {want}, got {arr.dtype} {arr.shape}"
                         + ("" if len(g.inputs) == 1 else f" (the model has {len(g.inputs)} inputs: use random ones)"),
                         "save one sample per row, in the model's input shape")
    return [_as_input_type(arr[:samples], t, data, want)]


def _as_input_type(arr: np.ndarray, t: Tensor, data: str | Path, want: str) -> np.ndarray:
    """`arr` as the input tensor's dtype (see load_inputs), or a clear error."""
    target = np.dtype(t.dtype)
    if arr.dtype == target:
        return arr
    if arr.dtype.kind == "f" and target.kind in "iu" and t.is_quantized:
        if not np.isfinite(arr).all():
            raise TinyqError(f"{data}: the float inputs hold NaN or infinite values", "clean the data first")
        info = np.iinfo(target)
        scaled = arr.astype(np.float32) / np.float32(t.qscale)
        q = np.sign(scaled) * np.floor(np.abs(scaled).astype(np.float64) + 0.5) + t.qzero
        return np.clip(q, info.min, info.max).astype(target)
    if arr.dtype.kind in "iub" and target.kind in "iu":
        info = np.iinfo(target)
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            raise TinyqError(f"{data}: {arr.dtype} values in [{arr.min()}, {arr.max()}] do not fit the model's "
                             f"{t.dtype} input [{info.min}, {info.max}]", f"save {want}")
        return arr.astype(target)
    if arr.dtype.kind == "f" and target.kind == "f":
        return arr.astype(target)
    raise TinyqError(f"{data}: expected {want}, got {arr.dtype} {arr.shape}",
                     "quantize your inputs to the model's input type first")


def check_counter(link: Link, board: Board, emulated: bool) -> dict:
    """Time two device loops of known length. Emulated: the converted difference must be exactly
    the number of instructions added; hardware: report cycles per loop iteration (subs + bne)."""
    try:
        short, long_ = link.calibrate(CAL_SHORT), link.calibrate(CAL_LONG)
    except ProtocolError as exc:
        if "the device reported" in str(exc):   # firmware older than the 'C' frame
            return {"checked": False}
        raise
    if not 0 < short < long_:
        raise ProtocolError(f"the counter check makes no sense: a loop of {2 * CAL_SHORT:,} instructions measured "
                            f"{short:,} ticks, one of {2 * CAL_LONG:,} measured {long_:,}",
                            "the device's counter is not running, wrapped or was reset during the loop")
    extra = 2 * (CAL_LONG - CAL_SHORT)
    if emulated:
        got = ticks_to_instructions(long_, board) - ticks_to_instructions(short, board)
        if got != extra:
            raise TinyqError(f"the emulated counter is off: a loop of {extra:,} instructions measured {got:,}",
                             "QEMU must run with -icount shift=N matching the board's emulator.icount_shift")
        return {"checked": True, "loop_instructions": extra, "measured": got}
    per = (long_ - short) / (CAL_LONG - CAL_SHORT)
    if per > 1000:
        raise ProtocolError(f"the counter check makes no sense: {per:,.1f} cycles per subs+bne loop iteration",
                            "the device's counter is not a cycle counter, or it wrapped during the loop")
    return {"checked": True, "cycles_per_iteration": round(per, 3)}


def device_generates(gen: Compiled, info: dict[str, str], data: str | Path | None, source: str) -> bool:
    """Whether the bench inputs are generated on the device (see INPUT_SOURCES), or a clear error
    when "device" was asked for and cannot be had."""
    if source not in INPUT_SOURCES:
        raise TinyqError(f"the input source must be one of {', '.join(INPUT_SOURCES)}, not {source!r}")
    if data is not None or source == "host":
        return False
    g = gen.graph
    dtypes = [g.t(t).dtype for t in g.inputs]
    ok = info.get("gen") == "1" and device_inputs.supported(dtypes)
    if source == "device" and not ok:
        why = ("its firmware does not offer it (rebuild it with this tinyq)" if info.get("gen") != "1"
               else f"it generates only {', '.join(device_inputs.GEN_DTYPES)} inputs, the model takes "
                    f"{', '.join(dtypes)}")
        raise TinyqError(f"the device cannot generate the inputs of {g.name}: {why}",
                         "use --inputs host (random inputs sent over the link) or --data FILE.npy")
    return ok


def run_bench(link: Link, gen: Compiled, model_path: str | Path, board: Board, samples: int = 10,
              seed: int = 0, data: str | Path | None = None, progress: bool = False,
              inputs: str = "auto") -> BenchReport:
    """progress: a bar with the ETA on stderr while the samples run (an evaluation set);
    inputs: where random inputs come from without `data` (INPUT_SOURCES)."""
    g = gen.graph
    info = link.info()   # its integer fields are checked there
    if info.get("layers") != str(len(g.ops)) or info.get("model") != g.name:
        raise ProtocolError(f"the device runs model '{info.get('model')}' ({info.get('layers')} layers), "
                            f"not '{g.name}' ({len(g.ops)} layers)", "build and flash the firmware for this model")
    on_device = device_generates(gen, info, data, inputs)
    if on_device:
        if samples < 1:
            raise TinyqError(f"--samples must be at least 1, not {samples}")
        xs = device_inputs.generate([(g.t(t).dtype, g.t(t).shape) for t in g.inputs], seed, samples)
    else:
        xs = load_inputs(gen, data, samples, seed)
    n = len(xs[0])
    floats = is_float_model(gen)    # float kernels: LiteRT within the tolerance, not TFLM bit for bit
    if floats:
        want, _ = run_litert(model_path, xs, len(g.outputs))
        reference = LITERT
    else:
        golden = run_golden(model_path, xs, len(g.outputs))   # samples in order: variables carry over
        want, reference = golden.outputs, golden.reference
    tol = float_tolerance(gen)
    out_specs = [(g.t(t).dtype, g.t(t).shape) for t in g.outputs]
    emulated = info.get("counter") == "qemu_timer"
    # `--board nrf52840` against the emulator: convert with the emulation board's clock and shift
    counter_board = board if board.emulated or not emulated else emulation_board(board)
    counter_check = check_counter(link, counter_board, emulated)
    convert = (lambda t: ticks_to_instructions(t, counter_board)) if emulated else (lambda t: t)
    totals, mismatches, stack = [], 0, 0
    per_sample: list[list[int]] = []
    max_rel, outputs = 0.0, []
    steps: Iterable[int] = range(n)
    if progress:
        from tqdm import tqdm
        steps = tqdm(steps, desc=f"{g.name} on {board.name}", unit="sample", file=sys.stderr, leave=False)
    # Emulated with semihosting: the samples go into a file the firmware reads ('F' requests)
    # instead of through the emulated UART (~15 KB/s)
    files = not on_device and link.files_dir is not None and info.get("files") == "1"
    sample_bytes = sum(int(np.prod(x.shape[1:])) * x.dtype.itemsize for x in xs)
    if files:
        assert link.files_dir is not None
        with open(link.files_dir / "tq_inputs.bin", "wb") as f:
            for s in range(n):
                for x in xs:
                    f.write(np.ascontiguousarray(x[s]).tobytes())
    for s in steps:
        sample: list[np.ndarray] | int | Generated = (Generated(seed, s) if on_device else s * sample_bytes if files
                                                      else [x[s] for x in xs])
        r = link.run(sample, out_specs, layers=len(g.ops))   # answer length and layer count checked
        outputs.append(r.outputs)
        for w, o in zip(want[s], r.outputs):
            if floats:
                bad, _, rel = compare_float(w, o, tol)
                mismatches, max_rel = mismatches + bad, max(max_rel, rel)
            else:
                mismatches += compare(w, o)[0]
        totals.append(convert(r.total))
        layers = [convert(v) for v in r.layers]
        per_sample.append(layers)
        stack = max(stack, r.stack_bytes)
    # per layer the median over the inputs, like the total: a one-time cost of the model's first
    # invocation (a variable's initial value, an LSTM's zero state) is not a per-inference one
    medians = [float(np.median([s[i] for s in per_sample])) for i in range(len(g.ops))] if per_sample else []
    layers = [LayerFigures(i, op.opcode, label, macs, med, g.t(op.outputs[0]).name if op.outputs else "")
              for i, (op, label, macs, med) in enumerate(zip(g.ops, gen.labels, gen.layer_macs, medians))]
    return BenchReport(board.name, g.name, n, mismatches, "instructions" if emulated else "cycles", totals, stack,
                       gen.arena_bytes, gen.macs, counter_check,
                       f"QEMU {counter_board.emulator.get('qemu_machine')}" if emulated else board.name, layers,
                       clock_hz=None if emulated else board.clock_hz,
                       reference=reference, tolerance=tol if floats else None,
                       max_rel_err=max_rel if floats else None, outputs=outputs,
                       inputs=_inputs_line(on_device, files, data, seed))


def _inputs_line(on_device: bool, files: bool, data: str | Path | None, seed: int) -> str:
    """Where the bench inputs came from and how they reached the device, for the report."""
    if on_device:
        return f"generated on the device from seed {seed} (no input bytes over the link)"
    what = f"{Path(data).name}" if data is not None else f"random on the host (seed {seed})"
    return what + (", read by the device through semihosting" if files else ", sent over the serial link")


def _counter_line(check: dict) -> str:
    if "measured" in check:
        return f"  counter check: a {check['loop_instructions']:,}-instruction loop measured {check['measured']:,}"
    if "cycles_per_iteration" in check:
        return f"  counter check: {check['cycles_per_iteration']} cycles per subs+bne loop iteration"
    return "  counter check: not supported by this firmware"


def format_bench(rep: dict) -> str:
    unit = rep["counter"]
    where = rep["board"] + (f" ({rep['run_on']})" if rep.get("run_on", rep["board"]) != rep["board"] else "")
    if rep.get("tolerance") is not None:
        status = f"WITHIN {rep['tolerance']:g} OF LITERT" if rep["bit_exact"] else "BEYOND TOLERANCE"
    else:
        status = "BIT-EXACT" if rep["bit_exact"] else "MISMATCH"
    lines = [f"{rep['model']} on {where}: {status} over "
             f"{rep['samples']} inputs ({rep['mismatches']} differing elements"
             f"{'' if rep.get('reference', 'TFLM') in ('TFLM', LITERT) else ', against ' + rep['reference']})",
             f"  {unit} per inference: {rep[unit]:,} (min {rep[unit + '_min']:,}, max {rep[unit + '_max']:,}"
             f"{', identical every run' if rep['repeatable'] else ''})"
             + (f", {rep['latency_ms']} ms" if "latency_ms" in rep else ""),
             f"  {rep['macs']:,} MACs, {rep['macs_per_' + unit[:-1]]} MACs per {unit[:-1]}; stack high water "
             f"{rep['stack_bytes']:,} B; arena {rep['arena_bytes']:,} B",
             _counter_line(rep.get("counter_check", {})),
             *([f"  inputs: {rep['inputs']}"] if rep.get("inputs") else []),
             f"  {'#':>3} {'layer':<34} {'MACs':>11} {unit:>13} {'MACs/' + unit[:5]:>10}"]
    for layer in rep["layers"]:
        mpc = layer["macs_per_" + unit[:-1]]
        lines.append(f"  {layer['index']:>3} {layer['label'][:34]:<34} {layer['macs']:>11,} {layer[unit]:>13,} "
                     f"{mpc if mpc is not None else '-':>10}")
    return "\n".join(lines)


def run_emulated_bench(model_path: str | Path, board: str = "nrf52840", samples: int = 10, seed: int = 0,
                       data: str | Path | None = None, out: str | Path | None = None,
                       timeout: float = 600.0, kernels: str = "auto", flash: str = "auto",
                       flash_budget: int | None = None, inputs: str = "auto", patch: str = "auto") -> BenchReport:
    """Generate, build with arm-none-eabi-gcc, run in QEMU and bench: the emulated deploy in one call.

    `board` is the target (its RAM/flash are what the figures are checked against); the run happens
    on its emulation board (the machine with its core: mps2_an386 for the nRF52840). Returns the bench report plus board,
    flash_bytes (text+data), ram_bytes (data+bss+reserved stack), static_ram_bytes, elf."""
    import tempfile

    target = load_board(board)
    run_board = emulation_board(target)
    model_path = Path(model_path)
    gen = compile(model_path, board=target, kernels=kernels, flash=flash, flash_budget=flash_budget, patch=patch)
    work = Path(out) if out else Path(tempfile.mkdtemp(prefix="tinyq-emu-"))
    gen.write(work / "model")
    image = build(build_spec(run_board), work / "model", work / run_board.name)
    ram = image.data + image.bss + target.stack_bytes
    if image.flash_bytes > target.flash_budget or ram > target.ram_budget:
        raise TinyqError(f"{model_path.name} needs {image.flash_bytes:,} B flash / {ram:,} B RAM; "
                         f"{target.name} has {target.flash_budget:,} / {target.ram_budget:,}",
                         "run `tinyq plan` to see where the memory goes")
    with device_session(run_board, elf=image.elf, emulator_timeout=timeout) as link:
        rep = run_bench(link, gen, model_path, run_board, samples, seed, data, inputs=inputs)
    rep.board, rep.run_on = target.name, f"QEMU {run_board.emulator.get('qemu_machine')}"
    rep.build = {"flash_bytes": image.flash_bytes, "ram_bytes": ram, "static_ram_bytes": image.data + image.bss,
                 "text_bytes": image.text, "data_bytes": image.data, "bss_bytes": image.bss,
                 "flash_budget": target.flash_budget, "ram_budget": target.ram_budget, "elf": str(image.elf)}
    return rep
