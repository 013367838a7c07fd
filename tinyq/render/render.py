"""Render a lowered, planned model into `model.h` and `model.c` (templates only, no decisions)."""
from __future__ import annotations

import jinja2

from tinyq import __version__
from tinyq.ir import Graph
from tinyq.ops.emitter import CTYPES, _float_literal
from tinyq.ops.lower import Lowered
from tinyq.plan.arena import ArenaPlan
from tinyq.plan.compiled import Compiled
from tinyq.resources import templates_dir


def _io_info(graph: Graph, index: int, ptr: str) -> dict:
    t = graph.t(index)
    return {
        "name": t.name, "dtype": t.dtype, "shape": t.shape, "nbytes": t.nbytes, "ptr": ptr,
        "scale_c": _float_literal(t.qscale) if t.is_quantized else "1.0f",
        "zero_point": t.qzero if t.is_quantized else 0,
    }


def render(lowered: Lowered, plan: ArenaPlan, source: str = "") -> Compiled:
    """The C files of a lowered model placed by `plan`."""
    graph, em = lowered.graph, lowered.emitter
    compiled = Compiled(lowered, plan, source or graph.name)
    planned = {t for t in range(len(graph.tensors))
               if not graph.t(t).is_const and (t in em.used_tensors or t in graph.inputs or t in graph.outputs)}
    macros = [{"name": f"T{t}", "ctype": CTYPES.get(graph.t(t).dtype, "int8_t"), "offset": compiled.tensor_offset(t),
               "comment": f"{graph.t(t).name} {graph.t(t).dtype}[{'x'.join(map(str, graph.t(t).shape))}]"}
              for t in sorted(planned)]
    macros += [{"name": f"S{c.index}", "ctype": "int8_t", "offset": plan.offsets[("s", c.index)],
                "comment": f"scratch of op {c.index}, {c.scratch_bytes} bytes"}
               for c in em.ops if c.scratch_bytes]
    layers = []
    for layer in lowered.layers:
        out = layer.op.outputs[0] if layer.op.outputs else -1
        layers.append({"label": layer.code.label, "macs": layer.macs, "out_tensor": out,
                       "out_ptr": f"(const void *)T{out}" if out >= 0 and out in planned else "0",
                       "out_bytes": graph.t(out).nbytes if out >= 0 else 0})
    ctx = {
        "version": __version__, "source": compiled.source, "name": graph.name,
        "inputs": [_io_info(graph, t, f"T{t}") for t in graph.inputs],
        "outputs": [_io_info(graph, t, f"T{t}") for t in graph.outputs],
        "layers": layers, "arena_bytes": plan.arena_bytes, "macs": compiled.macs,
        "consts": em.consts, "const_bytes": lowered.const_bytes,
        "tensor_macros": macros, "ops": em.ops, "includes": sorted(em.includes),
        "output_copies": [],
    }
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    compiled.files = {
        "model.h": env.get_template("model.h.j2").render(**ctx),
        "model.c": env.get_template("model.c.j2").render(**ctx),
    }
    return compiled
