"""float32 PAD / PADV2 (firmware/kernels/pad_f32.c) and CONCATENATION (the int8 kernel's byte
copies, firmware/kernels/concatenation.c, with 4-byte elements)."""
from __future__ import annotations

import numpy as np

from tinyq.ir import Graph, Op
from tinyq.ops.emitter import Emitter
from tinyq.ops.f32._base import PAD_SOURCES, F32Data, need_f32, register_lowering
from tinyq.ops.registry import Refusal, register_op, variant

PAD_DIMS = 5


def _vec(v: list[int]) -> str:
    return "{ " + ", ".join(str(int(x)) for x in v) + " }"


@register_op("PAD", "PADV2", dtype="float32")
def prepare_pad(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0])
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    pads_t = g.t(op.inputs[1])
    rank = len(inp.shape)
    if not pads_t.is_const or pads_t.data is None or pads_t.num_elements != 2 * rank:
        raise Refusal(f"paddings must be a constant [{rank}, 2] tensor")
    if rank > PAD_DIMS:
        raise Refusal(f"at most {PAD_DIMS} dimensions")
    pads = np.asarray(pads_t.data, np.int64).reshape(rank, 2)
    if np.any(pads < 0) or tuple(int(s + a + b) for s, (a, b) in zip(inp.shape, pads)) != tuple(out.shape):
        raise Refusal(f"paddings {pads.tolist()} do not take {list(inp.shape)} to {list(out.shape)}")
    value = 0.0
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        v = g.t(op.inputs[2])
        if not v.is_const or v.data is None or v.dtype != "float32":
            raise Refusal("the padding value must be a constant float32")
        value = float(np.asarray(v.data).ravel()[0])
    lead = PAD_DIMS - rank
    return F32Data(op.index, op.opcode, "tq_pad_f32", "tq_pad_f32_params", (op.inputs[0], op.outputs[0]), {
        "in_dims": _vec([1] * lead + list(inp.shape)), "out_dims": _vec([1] * lead + list(out.shape)),
        "before": _vec([0] * lead + [int(a) for a, _ in pads]), "pad_value": value}, op.outputs[0])


for _name in ("PAD", "PADV2"):
    register_lowering(_name, PAD_SOURCES, "pad_f32.h")


@register_op("CONCATENATION", dtype="float32")
def prepare_concat(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, list(range(len(op.inputs))))
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise Refusal("a fused activation on CONCATENATION is not supported")
    out = g.t(op.outputs[0])
    rank = len(out.shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise Refusal(f"axis {op.options.get('axis')} is out of range for a {rank}-D output")
    ins = [g.t(i) for i in op.inputs]
    for t in ins:
        if len(t.shape) != rank or any(a != b for d, (a, b) in enumerate(zip(t.shape, out.shape)) if d != axis):
            raise Refusal(f"input '{t.name}' {tuple(t.shape)} does not match output {tuple(out.shape)} off axis {axis}")
    if sum(int(t.shape[axis]) for t in ins) != int(out.shape[axis]):
        raise Refusal(f"the inputs' sizes along axis {axis} do not add up to the output's {out.shape[axis]}")
    chunks = np.array([4 * int(np.prod(t.shape[axis:], dtype=np.int64)) for t in ins], np.int32)
    return F32Data(op.index, op.opcode, "tq_concatenation", "tq_concat_params", (*op.inputs, op.outputs[0]),
                   {"outer": int(np.prod(out.shape[:axis], dtype=np.int64)) if axis else 1,
                    "num_inputs": len(ins), "chunk": chunks}, op.outputs[0])


@variant("CONCATENATION", "portable", ["concatenation.c", "concatenation.h"], dtype="float32")
def lower_concat(d: F32Data, em: Emitter) -> None:
    em.include("concatenation.h")
    p = em.params(d.ctype, {"outer": d.params["outer"], "num_inputs": d.params["num_inputs"],
                            "chunk": em.const(d.params["chunk"], "chunk")})
    ins = ", ".join(f"(const int8_t *){em.tensor(i)}" for i in d.args[:-1])
    em.call(f"{{ const int8_t *const ins[{len(d.args) - 1}] = {{ {ins} }}; "
            f"tq_concatenation({p}, ins, (int8_t *){em.tensor(d.output)}); }}")
