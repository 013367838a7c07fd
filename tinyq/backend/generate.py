"""The backend driver: IR -> emitted ops -> arena plan -> model.h/model.c plus kernel sources."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from tinyq import __version__
from tinyq.backend.emitter import CTYPES, Emitter, _float_literal
from tinyq.errors import ModelError, UnsupportedOpError
from tinyq.ir import Graph
from tinyq.ops.registry import REGISTRY, load_all
from tinyq.plan.arena import ArenaPlan, Buffer, plan_arena, validate
from tinyq.plan.overlap import window_delta
from tinyq.resources import kernels_dir, templates_dir


@dataclass
class Generated:
    graph: Graph
    emitter: Emitter
    plan: ArenaPlan
    arena_bytes: int
    const_bytes: int
    macs: int
    layer_macs: list[int]
    files: dict[str, str] = field(default_factory=dict)   # file name -> text
    sources: list[str] = field(default_factory=list)      # kernel files to copy

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files.items():
            (out / name).write_text(text)
            written.append(out / name)
        for src in self.sources:
            shutil.copyfile(kernels_dir() / src, out / src)
            written.append(out / src)
        return written


def unsupported_ops(graph: Graph) -> list[tuple[int, str, str]]:
    """(op index, opcode, reason) for every op tinyq cannot compile."""
    load_all()
    bad = []
    for op in graph.ops:
        spec = REGISTRY.get(op.opcode)
        if spec is None:
            bad.append((op.index, op.opcode, "no kernel"))
            continue
        try:
            reason = spec.check(op, graph) if spec.check else None
        except (IndexError, KeyError, ValueError, TypeError, AttributeError) as exc:
            reason = f"inconsistent tensors or options ({exc.__class__.__name__}: {exc})"
        if reason:
            bad.append((op.index, op.opcode, reason))
    return bad


def check_supported(graph: Graph) -> None:
    bad = unsupported_ops(graph)
    if bad:
        lines = "; ".join(f"op {i} {name} ({why})" for i, name, why in bad)
        raise UnsupportedOpError(
            f"model '{graph.name}' uses unsupported operators: {lines}",
            "supported: " + ", ".join(sorted(REGISTRY)) +
            ". Re-quantize with `tinyq quantize` (full int8) or replace the layer.")


def op_macs(graph: Graph) -> list[int]:
    load_all()
    return [REGISTRY[op.opcode].macs(op, graph) if op.opcode in REGISTRY else 0 for op in graph.ops]


def _lifetimes(graph: Graph, em: Emitter) -> list[Buffer]:
    """One buffer per planned tensor and per scratch request, with first/last op positions."""
    n = len(graph.ops)
    first: dict[int, int] = {}
    last: dict[int, int] = {}

    def root(t: int) -> int:
        while t in em.aliases:
            t = em.aliases[t][0]
        return t

    def touch(t: int, pos: int) -> None:
        if t < 0 or graph.t(t).is_const:
            return
        r = root(t)
        first[r] = min(first.get(r, pos), pos)
        last[r] = max(last.get(r, pos), pos)

    for t in graph.inputs:
        touch(t, -1)
    for pos, op in enumerate(graph.ops):
        for t in op.inputs + op.outputs:
            touch(t, pos)
    for t in graph.outputs:
        touch(t, n)

    def whole(t: int) -> bool:
        """The tensor is all of its planned root buffer (a view at offset 0 of the same size)."""
        extra, u = 0, t
        while u in em.aliases:
            u, off = em.aliases[u]
            extra += off
        return extra == 0 and graph.t(t).nbytes == graph.t(u).nbytes

    # overlaps the kernels allow with an input dying at the op: element-wise in place (d = 0,
    # declared by the op spec) and window ops trailing their input (tinyq.plan.overlap)
    overlap: dict[int, dict[int, int]] = {}
    for pos, op in enumerate(graph.ops):
        spec = REGISTRY.get(op.opcode)
        pairs: list[tuple[int, int, int]] = []
        if spec and spec.inplace:
            pairs += [(i_in, i_out, 0) for i_in, i_out in spec.inplace(op, graph)]
        d = window_delta(op, graph)
        if d is not None:
            pairs.append((0, 0, d))
        # An input read at several positions (y = conv(x) + x) must satisfy every relation, and
        # one read without a relation forbids any overlap with it.
        claims: dict[tuple[int, int], list[int]] = {}
        for i_in, i_out, d in pairs:
            t_in, t_out = op.inputs[i_in], op.outputs[i_out]
            if (t_in < 0 or graph.t(t_in).is_const or t_in in graph.inputs or not whole(t_in)
                    or not whole(t_out) or root(t_in) == root(t_out)):
                continue
            claims.setdefault((i_in, i_out), []).append(d)
        for i_in, i_out in claims:
            r_in, r_out = root(op.inputs[i_in]), root(op.outputs[i_out])
            reads = [j for j, t in enumerate(op.inputs) if t >= 0 and root(t) == r_in]
            if any((j, i_out) not in claims for j in reads):
                continue
            d = min(min(claims[(j, i_out)]) for j in reads)
            if last.get(r_in) == pos and first.get(r_out) == pos:
                prev = overlap.setdefault(r_out, {}).get(r_in)
                overlap[r_out][r_in] = d if prev is None else min(prev, d)
    bufs = [Buffer(("t", t), graph.t(t).nbytes, first[t], last[t],
                   overlap_of={("t", s): d for s, d in overlap.get(t, {}).items()}) for t in first]
    for code in em.ops:
        if code.scratch_bytes:
            pos = code.index
            bufs.append(Buffer(("s", code.index), code.scratch_bytes, pos, pos))
    return bufs


def _io_info(graph: Graph, index: int, ptr: str) -> dict:
    t = graph.t(index)
    return {
        "name": t.name, "dtype": t.dtype, "shape": t.shape, "nbytes": t.nbytes, "ptr": ptr,
        "scale_c": _float_literal(t.qscale) if t.is_quantized else "1.0f",
        "zero_point": t.qzero if t.is_quantized else 0,
    }


KERNEL_CHOICES = ("auto", "dsp", "portable")


def kernels_for(board, choice: str = "auto") -> str:
    """The kernel family for a board: "dsp" where it has the DSP extension, else "portable"
    (choice "dsp"/"portable" overrides; the DSP kernels still run without it, just slowly)."""
    if choice not in KERNEL_CHOICES:
        raise ValueError(f"kernels must be one of {', '.join(KERNEL_CHOICES)}, not {choice!r}")
    if choice != "auto":
        return choice
    return "dsp" if board is None or board.dsp else "portable"


def generate(graph: Graph, source: str = "", kernels: str = "dsp") -> Generated:
    """Emit C for a graph that already went through the passes. kernels: "dsp" for the Cortex-M
    DSP-extension kernels (int16-widened weights; also what the host check runs), "portable"
    for plain C with int8 weights (Cortex-M0+, smallest flash)."""
    if kernels not in ("dsp", "portable"):
        raise ValueError(f"kernels must be 'dsp' or 'portable', not {kernels!r}")
    check_supported(graph)
    em = Emitter(graph, kernels)
    for op in graph.ops:
        em.begin_op(op)
        spec = REGISTRY[op.opcode]
        em.source(*spec.sources)
        try:
            spec.emit(op, graph, em)
        except (IndexError, KeyError, ValueError, AssertionError, TypeError, AttributeError) as exc:
            # A graph that parsed but whose op does not fit its tensors (corrupt or hand-edited file).
            raise ModelError(f"op {op.index} {op.opcode}: its tensors or options are inconsistent "
                             f"({exc.__class__.__name__}: {exc})",
                             "re-export the model; if it came from the TFLite converter, report it") from None
        for t in op.inputs + op.outputs:  # make sure every touched tensor is planned
            if t >= 0 and not graph.t(t).is_const:
                em.used_tensors.add(t)
    plan = plan_arena(_lifetimes(graph, em))
    validate(plan)   # no two buffers live at once overlap, unless a kernel allows it

    def offset(t: int) -> int:
        extra = 0
        while t in em.aliases:
            t, off = em.aliases[t]
            extra += off
        return plan.offsets[("t", t)] + extra

    planned = {t for t in range(len(graph.tensors))
               if not graph.t(t).is_const and (t in em.used_tensors or t in graph.inputs or t in graph.outputs)}
    macros = [{"name": f"T{t}", "ctype": CTYPES.get(graph.t(t).dtype, "int8_t"), "offset": offset(t),
               "comment": f"{graph.t(t).name} {graph.t(t).dtype}[{'x'.join(map(str, graph.t(t).shape))}]"}
              for t in sorted(planned)]
    macros += [{"name": f"S{c.index}", "ctype": "int8_t", "offset": plan.offsets[("s", c.index)],
                "comment": f"scratch of op {c.index}, {c.scratch_bytes} bytes"}
               for c in em.ops if c.scratch_bytes]
    layer_macs = op_macs(graph)
    layers = []
    for code, op, macs in zip(em.ops, graph.ops, layer_macs):
        out = op.outputs[0] if op.outputs else -1
        layers.append({"label": code.label, "macs": macs, "out_tensor": out,
                       "out_ptr": f"(const void *)T{out}" if out >= 0 and out in planned else "0",
                       "out_bytes": graph.t(out).nbytes if out >= 0 else 0})
    ctx = {
        "version": __version__, "source": source or graph.name, "name": graph.name,
        "inputs": [_io_info(graph, t, f"T{t}") for t in graph.inputs],
        "outputs": [_io_info(graph, t, f"T{t}") for t in graph.outputs],
        "layers": layers, "arena_bytes": plan.arena_bytes, "macs": sum(layer_macs),
        "consts": em.consts, "const_bytes": sum(c.nbytes for c in em.consts),
        "tensor_macros": macros, "ops": em.ops, "includes": sorted(em.includes),
        "output_copies": [],
    }
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    files = {
        "model.h": env.get_template("model.h.j2").render(**ctx),
        "model.c": env.get_template("model.c.j2").render(**ctx),
    }
    sources = sorted(em.sources | {"tq_common.h"})
    return Generated(graph, em, plan, plan.arena_bytes, ctx["const_bytes"], ctx["macs"],
                     layer_macs, files, sources)


def weight_bytes(graph: Graph) -> int:
    """Raw bytes of all constant tensors in the graph (what a flatbuffer would store)."""
    return int(sum(t.data.nbytes for t in graph.tensors if t.data is not None))


