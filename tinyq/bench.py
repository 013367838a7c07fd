"""Benchmark a model on a device (or the emulator) over serial: bit-exactness against TFLM,
latency, per-layer counts."""
from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from tinyq.backend.generate import Generated
from tinyq.boards import Board
from tinyq.reference import run_reference
from tinyq.targets.protocol import Link, ProtocolError
from tinyq.targets.qemu import ticks_to_instructions
from tinyq.verify import compare, random_inputs


def load_inputs(gen: Generated, data: str | Path | None, samples: int, seed: int) -> list[np.ndarray]:
    """Inputs from a .npy file (samples x input shape, single-input models) or random ones."""
    g = gen.graph
    if data is None:
        return random_inputs(g, samples, seed)
    arr = np.load(data)
    t = g.t(g.inputs[0])
    if len(g.inputs) != 1 or arr.dtype != np.dtype(t.dtype) or tuple(arr.shape[1:]) != tuple(t.shape):
        raise ProtocolError(f"{data}: expected an array of {t.dtype} with shape (N, {', '.join(map(str, t.shape))}), "
                            f"got {arr.dtype} {arr.shape}", "quantize your inputs to the model's input type first")
    return [arr[:samples]]


def run_bench(link: Link, gen: Generated, model_path: str | Path, board: Board, samples: int = 10,
              seed: int = 0, data: str | Path | None = None) -> dict:
    g = gen.graph
    info = link.info()
    if int(info.get("layers", -1)) != len(g.ops) or info.get("model") != g.name:
        raise ProtocolError(f"the device runs model '{info.get('model')}' ({info.get('layers')} layers), "
                            f"not '{g.name}' ({len(g.ops)} layers)", "build and flash the firmware for this model")
    xs = load_inputs(gen, data, samples, seed)
    n = len(xs[0])
    want, _ = run_reference(model_path, xs, len(g.outputs))
    out_specs = [(g.t(t).dtype, g.t(t).shape) for t in g.outputs]
    emulated = info.get("counter") == "qemu_timer"
    convert = (lambda t: ticks_to_instructions(t, board)) if emulated else (lambda t: t)
    totals, layer_sums, mismatches, stack = [], [0] * len(g.ops), 0, 0
    first_layers: list[int] = []
    for s in range(n):
        r = link.run([x[s] for x in xs], out_specs)
        for w, o in zip(want[s], r.outputs):
            mismatches += compare(w, o)[0]
        totals.append(convert(r.total))
        layers = [convert(v) for v in r.layers]
        first_layers = first_layers or layers
        layer_sums = [a + b for a, b in zip(layer_sums, layers)]
        stack = max(stack, r.stack_bytes)
    unit = "instructions" if emulated else "cycles"
    med = int(statistics.median(totals))
    rep: dict = {
        "board": board.name, "model": g.name, "bit_exact": mismatches == 0, "samples": n,
        "mismatches": mismatches, "counter": unit,
        unit: med, f"{unit}_min": min(totals), f"{unit}_max": max(totals),
        "repeatable": len(set(totals)) == 1, "stack_bytes": stack, "arena_bytes": gen.arena_bytes,
        "macs": gen.macs, "macs_per_" + unit[:-1]: round(gen.macs / med, 3) if med else None,
    }
    if not emulated:
        rep["latency_ms"] = round(med / board.clock_hz * 1e3, 3)
    rep["layers"] = [
        {"index": i, "op": op.opcode, "label": code.label, "macs": macs, unit: round(total / n),
         "macs_per_" + unit[:-1]: round(macs / (total / n), 3) if total else None}
        for i, (op, code, macs, total) in enumerate(zip(g.ops, gen.emitter.ops, gen.layer_macs, layer_sums))
    ]
    return rep


def format_bench(rep: dict) -> str:
    unit = rep["counter"]
    lines = [f"{rep['model']} on {rep['board']}: {'BIT-EXACT' if rep['bit_exact'] else 'MISMATCH'} over "
             f"{rep['samples']} inputs ({rep['mismatches']} differing elements)",
             f"  {unit} per inference: {rep[unit]:,} (min {rep[unit + '_min']:,}, max {rep[unit + '_max']:,}"
             f"{', identical every run' if rep['repeatable'] else ''})"
             + (f", {rep['latency_ms']} ms" if "latency_ms" in rep else ""),
             f"  {rep['macs']:,} MACs, {rep['macs_per_' + unit[:-1]]} MACs per {unit[:-1]}; stack high water "
             f"{rep['stack_bytes']:,} B; arena {rep['arena_bytes']:,} B",
             f"  {'#':>3} {'layer':<34} {'MACs':>11} {unit:>13} {'MACs/' + unit[:5]:>10}"]
    for layer in rep["layers"]:
        mpc = layer["macs_per_" + unit[:-1]]
        lines.append(f"  {layer['index']:>3} {layer['label'][:34]:<34} {layer['macs']:>11,} {layer[unit]:>13,} "
                     f"{mpc if mpc is not None else '-':>10}")
    return "\n".join(lines)
