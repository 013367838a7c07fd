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


def c_comment(text: object, limit: int = 96) -> str:
    """Model text (a tensor or file name) made safe inside a C /* comment */ on one line:
    printable ASCII only (anything else as \\xNN / \\uNNNN), no comment opener or closer, no
    trigraph, no line splice, at most `limit` characters."""
    out = []
    for ch in str(text):
        o = ord(ch)
        if 0x20 <= o < 0x7F:
            out.append(ch)
        elif o < 0x100:
            out.append(f"\\x{o:02x}")
        else:
            out.append(f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
    s = "".join(out)
    while "*/" in s or "/*" in s or "??" in s or "//" in s:
        s = s.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?").replace("//", "/ /")
    if len(s) > limit:
        s = s[:limit - 3] + "..."
    return s.rstrip("\\")


def c_string(text: object) -> str:
    """Model text as the inside of a C string literal: printable ASCII kept, quotes, backslashes
    and question marks (trigraphs) escaped, every other byte of its UTF-8 as an octal escape."""
    out = []
    for b in str(text).encode("utf-8", errors="replace"):
        ch = chr(b)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


def _io_info(graph: Graph, index: int, ptr: str) -> dict:
    t = graph.t(index)
    return {
        "name": t.name, "dtype": t.dtype, "shape": t.shape, "nbytes": t.nbytes, "ptr": ptr,
        "ctype": CTYPES.get(t.dtype, "uint8_t"), "elements": t.num_elements,
        "scale_c": _float_literal(t.qscale) if t.is_quantized else "1.0f",
        "zero_point": t.qzero if t.is_quantized else 0,
    }


def render(lowered: Lowered, plan: ArenaPlan, source: str = "") -> Compiled:
    """The C files of a lowered model placed by `plan`."""
    graph, em = lowered.graph, lowered.emitter
    compiled = Compiled(lowered, plan, source or graph.name)
    planned = {t for t in range(len(graph.tensors)) if not graph.t(t).is_const and graph.t(t).itemsize
               and not graph.t(t).is_variable
               and (t in em.used_tensors or t in graph.inputs or t in graph.outputs)}
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
    # per layer, the arena ranges it may write (its stored outputs and its scratch), for the
    # host's -DTQ_CHECK_ARENA build
    write_first, write_ranges = [0], []
    for layer in lowered.layers:
        for t in layer.op.outputs:
            if t >= 0 and t in planned and graph.t(t).nbytes:
                lo = compiled.tensor_offset(t)
                write_ranges.append((lo, lo + graph.t(t).nbytes))
        if layer.scratch_bytes:
            lo = plan.offsets[("s", layer.op.index)]
            write_ranges.append((lo, lo + layer.scratch_bytes))
        write_first.append(len(write_ranges))
    ctx = {
        "version": __version__, "source": compiled.source, "name": graph.name,
        "inputs": [_io_info(graph, t, f"T{t}") for t in graph.inputs],
        "outputs": [_io_info(graph, t, f"T{t}") for t in graph.outputs],
        "layers": layers, "arena_bytes": plan.arena_bytes, "macs": compiled.macs,
        "consts": em.consts, "const_bytes": lowered.const_bytes,
        "tensor_macros": macros, "ops": em.ops, "includes": sorted(em.includes),
        "output_copies": [], "write_first": write_first, "write_ranges": write_ranges,
        "statics": list(em.statics.values()), "variable_bytes": lowered.static_bytes,
    }
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["c_comment"] = c_comment
    env.filters["c_string"] = c_string
    compiled.files = {
        "model.h": env.get_template("model.h.j2").render(**ctx),
        "model.c": env.get_template("model.c.j2").render(**ctx),
    }
    return compiled
