"""Render a lowered, planned model into `model.h` and `model.c` (templates only, no decisions)."""
from __future__ import annotations

import re

import jinja2

from tinyq import __version__
from tinyq.errors import InternalError
from tinyq.ir import Graph
from tinyq.ops.emitter import CTYPES, _float_literal
from tinyq.ops.lower import Lowered
from tinyq.plan.arena import ArenaPlan
from tinyq.plan.compiled import Compiled
from tinyq.plan.patch import PatchReport, Stage
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


def _io_info(graph: Graph, index: int, ptr: str, streamed: bool = False) -> dict:
    t = graph.t(index)
    row_bytes = int(t.shape[2]) * int(t.shape[3]) * t.itemsize if len(t.shape) == 4 else t.nbytes
    return {
        "name": t.name, "dtype": t.dtype, "shape": t.shape, "nbytes": t.nbytes, "ptr": "0" if streamed else ptr,
        "streamed": streamed, "row_bytes": row_bytes,
        "ctype": CTYPES.get(t.dtype, "uint8_t"), "elements": t.num_elements,
        "scale_c": _float_literal(t.qscale) if t.is_quantized else "1.0f",
        "zero_point": t.qzero if t.is_quantized else 0,
    }


def _table(name: str, rows: list[list[int]]) -> str:
    ctype = "uint8_t" if max((v for r in rows for v in r), default=0) < 256 else "uint16_t"
    body = ",\n".join("            {" + ", ".join(str(int(v)) for v in r) + "}" for r in rows)
    return f"static const {ctype} {name}[{len(rows)}][{len(rows[0])}] = {{\n{body}\n        }};"


def _stage_block(lowered: Lowered, stage: Stage) -> list[str]:
    """The C of a patch stage: a loop over steps; in each, every op of the stage computes the
    rows its schedule gives (tinyq/plan/patch.py), on a copy of its parameters narrowed to them
    (tq_patch_geo), reading and writing through pointers into the bands."""
    g = lowered.graph
    n = len(stage.deps)
    hi = [[0] * n] + stage.hi.tolist()
    band_col = {b.tensor: j for j, b in enumerate(stage.bands)}
    base = stage.base.tolist()
    out = [f"/* ops {stage.first}..{stage.last} run in {stage.steps} bands of rows, patch by patch "
           f"(tinyq/plan/patch.py): {len(stage.bands)} intermediate tensors held a few rows at a time */",
           "{",
           "    " + _table("tq_patch_done", hi),
           "    " + _table("tq_patch_base", base)]
    fed = list(stage.fed)
    if fed:
        out.append("    " + _table("tq_patch_fed", [[0] * len(fed)] + [[int(stage.fed[t][k]) for t in fed]
                                                                      for k in range(stage.steps)]))
    out += [f"    for (int32_t k = 0; k < {stage.steps}; ++k) {{"]
    if fed or any(b.within_step is None for b in stage.bands):    # (only shifts read it)
        out.append("        const int32_t prev = k ? k - 1 : 0;")

    def ptr(t: int, row: str) -> str:
        elems = int(g.t(t).shape[2]) * int(g.t(t).shape[3])
        if t in band_col:
            row = f"({row} - (int32_t)tq_patch_base[k][{band_col[t]}])"
        return f"(T{t} + {row} * {elems})"

    for f, t in enumerate(fed):     # a streamed model input: its next rows, from the application
        j, fb, i_in = band_col[t], stage.bands[band_col[t]], g.inputs.index(t)
        out += [f"        if (k && tq_patch_base[k][{j}] != tq_patch_base[prev][{j}]) {{   /* keep the rows still read */",
                f"            tq_patch_shift(T{t}, (tq_patch_base[k][{j}] - tq_patch_base[prev][{j}]) * {fb.row_bytes}, "
                f"(tq_patch_fed[k][{f}] - tq_patch_base[k][{j}]) * {fb.row_bytes});",
                "        }",
                f"        if (tq_patch_fed[k + 1][{f}] > tq_patch_fed[k][{f}]) {{   /* input {i_in}: the rows this step reads */",
                f"            tq_read_input({i_in}, tq_patch_fed[k][{f}], "
                f"tq_patch_fed[k + 1][{f}] - tq_patch_fed[k][{f}], {ptr(t, f'(int32_t)tq_patch_fed[k][{f}]')});",
                "        }"]

    for i, d in enumerate(stage.deps):
        pos = stage.first + i
        layer = lowered.layers[pos]
        code = layer.code
        pname = f"op{code.index}_p"
        ctype = code.param_types.get(pname)
        stmts = "\n".join(code.statements)
        if ctype is None or f"&{pname}" not in stmts:
            raise InternalError(f"variant {layer.variant.name} declares rows=True but its call does not take "
                                f"&{pname}", "tinyq.render")
        subst = {d.windowed: ptr(d.windowed, "i0"), d.output: ptr(d.output, "o0")}
        for r in d.same:
            subst[r] = ptr(r, "o0")
        stmts = re.sub(rf"&{pname}\b", "&q", stmts)
        stmts = re.sub(r"\bT(\d+)\b", lambda m: subst.get(int(m.group(1)), m.group(0)), stmts)
        out.append(f"        /* {code.index}: {c_comment(code.label)} */")
        b = stage.band_of(d.output)
        if b is not None and b.within_step is None:     # (a band emptied every step never shifts)
            j = band_col[d.output]
            out.append(f"        if (k && tq_patch_base[k][{j}] != tq_patch_base[prev][{j}]) {{   /* keep the rows still read */")
            out.append(f"            tq_patch_shift(T{d.output}, (tq_patch_base[k][{j}] - tq_patch_base[prev][{j}]) * "
                       f"{b.row_bytes}, (tq_patch_done[k][{i}] - tq_patch_base[k][{j}]) * {b.row_bytes});")
            out.append("        }")
        out.append(f"        if (tq_patch_done[k + 1][{i}] > tq_patch_done[k][{i}]) {{")
        out.append(f"            const int32_t o0 = tq_patch_done[k][{i}];")
        out.append(f"            {ctype} q = {pname};")
        n_rows = f"(tq_patch_done[k + 1][{i}] - o0)"
        kind = layer.variant.rows
        if kind == "geo":
            out.append(f"            const int32_t i0 = tq_patch_geo(&q.geo, o0, {n_rows});")
        else:   # element-wise: the same rows of every operand, `count` elements of them
            count = "q.count" if kind == "count" else "q.shape.count"
            elems = int(g.t(d.output).shape[2]) * int(g.t(d.output).shape[3])
            out.append("            const int32_t i0 = o0;")
            out.append(f"            {count} = {n_rows} * {elems};")
            if kind == "bcast":     # (the rows of the broadcast walk; operands broadcast along them stay put)
                out.append(f"            q.shape.dims[1] = {n_rows};")
        out.extend("            " + s for s in stmts.split("\n"))
        out.append("        }")
        out.append(f"        TQ_PROFILE_LAYER({pos});")
    out += ["    }", "}"]
    return out


def _invoke(lowered: Lowered, patches: PatchReport | None) -> list[str]:
    """The body of tinyq_model_invoke: each op's statements, a patch stage as one loop."""
    lines: list[str] = []
    for pos, layer in enumerate(lowered.layers):
        stage = patches.stage_at(pos) if patches else None
        if stage is not None:
            if pos == stage.first:
                lines += _stage_block(lowered, stage)
            continue
        lines.append(f"/* {layer.code.index}: {c_comment(layer.code.label)} */")
        lines += layer.code.statements
        lines.append(f"TQ_PROFILE_LAYER({pos});")
    return lines


def render(lowered: Lowered, plan: ArenaPlan, source: str = "", patches: PatchReport | None = None) -> Compiled:
    """The C files of a lowered model placed by `plan` (with the patch stage of `patches`)."""
    graph, em = lowered.graph, lowered.emitter
    compiled = Compiled(lowered, plan, source or graph.name, patches=patches)
    patched = bool(patches and patches.stages)
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
        whole = out >= 0 and out in planned and not (patches and patches.band_of(out))
        layers.append({"label": layer.code.label, "macs": layer.macs, "out_tensor": out,
                       "out_ptr": f"(const void *)T{out}" if whole else "0",
                       "out_bytes": graph.t(out).nbytes if out >= 0 else 0})
    # per layer, the arena ranges it may write (its stored outputs and its scratch), for the
    # host's -DTQ_CHECK_ARENA build
    stages = patches.stages if patches else []
    streamed = {t for st in stages for t in st.fed}
    # the application's reader writes a streamed input's band within its stage's first layer
    fed_by = {st.first: list(st.fed) for st in stages if st.fed}
    write_first, write_ranges = [0], []
    for pos, layer in enumerate(lowered.layers):
        for t in [*layer.op.outputs, *fed_by.get(pos, [])]:
            if t >= 0 and t in planned and graph.t(t).nbytes:
                lo = compiled.tensor_offset(t)
                write_ranges.append((lo, lo + compiled.tensor_bytes(t)))
        if layer.scratch_bytes:
            lo = plan.offsets[("s", layer.op.index)]
            write_ranges.append((lo, lo + layer.scratch_bytes))
        write_first.append(len(write_ranges))
    ctx = {
        "version": __version__, "source": compiled.source, "name": graph.name,
        "inputs": [_io_info(graph, t, f"T{t}", t in streamed) for t in graph.inputs],
        "streamed": bool(streamed),
        "outputs": [_io_info(graph, t, f"T{t}") for t in graph.outputs],
        "layers": layers, "arena_bytes": plan.arena_bytes, "macs": compiled.macs,
        "consts": em.consts, "const_bytes": lowered.const_bytes,
        "tensor_macros": macros, "ops": em.ops, "includes": sorted(em.includes | ({"tq_patch.h"} if patched else set())),
        "invoke": _invoke(lowered, patches),
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
        "tq_kernel_config.h": env.get_template("tq_kernel_config.h.j2").render(config=lowered.kernel_config),
    }
    return compiled
