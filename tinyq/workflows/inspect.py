"""`tinyq inspect`: what a model holds and what compiling it costs, before generating anything."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tinyq.frontend.tflite_reader import read_tflite
from tinyq.ir import Graph, Tensor
from tinyq.ops.kernel_config import describe
from tinyq.ops.lower import op_macs, unsupported_ops
from tinyq.ops.optable import missing
from tinyq.passes.pipeline import optimize


def jsonable(v: Any) -> Any:
    """A value strict JSON can hold: NaN/Infinity become null, bytes hex, numpy scalars Python ones."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(float(v)) else None
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if v is None or isinstance(v, str):
        return v
    return str(v)


def _quant(t: Tensor) -> dict | None:
    if not t.is_quantized:
        return None
    if t.scale is None or t.zero_point is None:
        return None
    if t.per_channel:
        return {"per_channel": True, "axis": t.quantized_dimension, "channels": len(t.scale),
                "scale_min": float(t.scale.min()), "scale_max": float(t.scale.max())}
    return {"per_channel": False, "scale": float(t.scale[0]), "zero_point": t.qzero}


def _tensor(t: Tensor) -> dict:
    return {"index": t.index, "name": t.name, "shape": list(t.shape), "dtype": t.dtype,
            "const": t.is_const, "bytes": t.nbytes, "quantization": _quant(t),
            **({"variable": True} if t.is_variable else {})}


def flash_choice(path: str | Path, board: str | None = None, flash: str = "auto",
                 flash_budget: int | None = None) -> dict | None:
    """Which layers the DSP kernels' flash policy widens to int16 weights and why (None when the
    board runs no DSP kernels)."""
    from tinyq.errors import UnsupportedOpError
    from tinyq.workflows.compile import compile
    try:
        lowered = compile(path, board=board, flash=flash, flash_budget=flash_budget).lowered
    except UnsupportedOpError:
        return None         # what cannot compile is reported above, op by op
    plan = lowered.flash
    if plan is None:
        return None
    return {"policy": plan.policy, "limit": plan.limit, "limit_why": plan.limit_why, "bytes": plan.bytes,
            "small_bytes": plan.small_bytes, "lines": plan.lines() + describe(lowered.kernel_config),
            "portable": [{"indices": c.indices, "kernel": c.kernel, "macs": c.macs, "bytes_saved": c.bytes_saved}
                         for c in plan.portable],
            "kernel_config": lowered.kernel_config,
            "layers": [{"index": c.index, "widened": c.widened, "bytes_added": c.bytes_added,
                        "instructions_saved": c.saved, "reason": c.reason} for c in plan.layers]}


def inspect_model(path: str | Path, passes: bool = True, board: str | None = None, flash: str = "auto",
                  flash_budget: int | None = None) -> dict:
    g: Graph = read_tflite(path)
    raw_ops = len(g.ops)
    stats = optimize(g) if passes else {}
    macs = op_macs(g)
    bad = {i: why for i, _, why in unsupported_ops(g)}
    ops = []
    for op, m in zip(g.ops, macs):
        params = sum(g.t(i).nbytes for i in op.reads if i >= 0 and g.t(i).is_const)
        # variable tensors (an LSTM's hidden and cell state, SVDF's): static RAM kept between invocations
        state = sum(g.t(i).nbytes for i in set(op.reads) if i >= 0 and g.t(i).is_variable)
        fused = [e.opcode for e in op.epilogue]
        if "tq_explicit_pad" in op.options:
            fused.insert(0, "PAD")
        ops.append({
            "index": op.index, "op": op.label,
            **({"fused": fused} if fused else {}),
            "inputs": [list(g.t(i).shape) if i >= 0 else None for i in op.reads],
            "outputs": [list(g.t(o).shape) for o in op.outputs],
            "options": {k: v for k, v in op.options.items() if v not in (None, [], 0) or k == "padding"},
            "param_bytes": params, "macs": m, "supported": op.index not in bad,
            **({"state_bytes": state} if state else {}),
            **({"unsupported_reason": bad[op.index]} if op.index in bad else {}),
        })
    return jsonable({
        "model": Path(path).name,
        "ops_in_file": raw_ops, "ops": ops, "passes": stats,
        "inputs": [_tensor(g.t(i)) for i in g.inputs],
        "outputs": [_tensor(g.t(i)) for i in g.outputs],
        "tensors": [_tensor(t) for t in g.tensors],
        "param_bytes": int(sum(t.nbytes for t in g.tensors if t.is_const)),
        "state_bytes": int(sum(t.nbytes for t in g.tensors if t.is_variable)),
        "total_macs": int(sum(macs)),
        "unsupported": [{"index": i, "op": g.ops[i].opcode, "reason": why} for i, why in bad.items()],
        "tflm_ops_tinyq_lacks": missing(),
        "flash": flash_choice(path, board, flash, flash_budget) if passes and not bad else None,
    })


def format_report(info: dict) -> str:
    """A terminal table of the layers, then totals."""
    lines = [f"{info['model']}: {len(info['ops'])} ops ({info['ops_in_file']} in the file), "
             f"{info['param_bytes']:,} parameter bytes, {info['total_macs']:,} MACs"
             + (f", {info['state_bytes']:,} B state (variable tensors)" if info.get("state_bytes") else "")]
    for io in ("inputs", "outputs"):
        for t in info[io]:
            q = t["quantization"]
            qs = f" scale={q['scale']:.6g} zp={q['zero_point']}" if q and not q["per_channel"] and q["scale"] is not None else ""
            lines.append(f"  {io[:-1]}: {t['name']} {t['dtype']}{t['shape']}{qs}")
    w = max([20] + [len(op["op"]) for op in info["ops"]])
    lines.append(f"  {'#':>3} {'op':<{w}} {'output':<18} {'params B':>10} {'MACs':>12}  note")
    for op in info["ops"]:
        out = "x".join(map(str, op["outputs"][0])) if op["outputs"] else ""
        note = "" if op["supported"] else f"UNSUPPORTED: {op['unsupported_reason']}"
        if op.get("fused"):
            pad = op["options"].get("tq_explicit_pad")
            what = [f"PAD {tuple(pad)} folded in (rows top/bottom, cols left/right)" if f == "PAD" else f"{f} fused"
                    for f in op["fused"]]
            note = "; ".join(what) + (f"; {note}" if note else "")
        if op.get("state_bytes"):
            note = f"{op['state_bytes']:,} B state kept between invocations" + (f"; {note}" if note else "")
        lines.append(f"  {op['index']:>3} {op['op']:<{w}} {out:<18} {op['param_bytes']:>10,} {op['macs']:>12,}  {note}")
    lines.append(f"  total MACs {info['total_macs']:,}")
    done = {k: v for k, v in info.get("passes", {}).items() if v}
    if done:
        lines.append("  passes: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in done.items()))
    if info["unsupported"]:
        names = sorted({u["op"] for u in info["unsupported"]})
        lines.append(f"  {len(info['unsupported'])} unsupported op(s): {', '.join(names)}")
    else:
        lines.append("  all ops supported")
    if info.get("flash") and info["flash"]["layers"]:
        lines += info["flash"]["lines"]
    if info.get("tflm_ops_tinyq_lacks"):
        lines.append("  TFLM integer ops tinyq does not compile yet (docs/ARCHITECTURE.md, op table): "
                     + ", ".join(info["tflm_ops_tinyq_lacks"]))
    return "\n".join(lines)
