"""SVDF, int8 with its int16 activation state (TFLM's integer SVDF). The state is a variable
tensor: it lives in static RAM outside the arena and carries over from one invocation to the next,
zero at start-up and after tinyq_model_reset(), as TFLM keeps (and resets) it."""
from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Op
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant
from tinyq.quant import quantize_multiplier


@dataclass(frozen=True, eq=False)
class SvdfData(Prepared):
    input: int
    w_feature: int
    w_time: int
    bias: int
    state: int
    output: int
    fields: dict
    state_count: int
    mac_count: int

    def macs(self) -> int:
        return self.mac_count


@register_op("SVDF")
def prepare(op: Op, g: Graph) -> SvdfData:
    if len(op.inputs) != 5:
        raise Refusal(f"SVDF takes 5 inputs, this one has {len(op.inputs)}")
    x, wf, wt, st = (g.t(op.inputs[k]) for k in (0, 1, 2, 4))
    out = g.t(op.outputs[0])
    bias = g.t(op.inputs[3]) if op.inputs[3] >= 0 else None
    types = (x.dtype, wf.dtype, wt.dtype, st.dtype, out.dtype, bias.dtype if bias is not None else "int32")
    if types != ("int8", "int8", "int16", "int16", "int8", "int32"):
        raise Refusal(f"needs int8 input/weights/output, int16 time weights and state, int32 bias (got {types})")
    if not (wf.is_const and wt.is_const and (bias is None or bias.is_const)):
        raise Refusal("the weights and the bias must be constant")
    if not st.is_variable:
        raise Refusal("the activation state must be a variable tensor (TFLM keeps it between invocations)")
    if any(t.is_quantized is False or t.per_channel for t in (x, wf, wt, st, out)) or st.qzero != 0:
        raise Refusal("per-tensor quantization throughout, and a state with zero point 0 (TFLM assumes it)")
    rank = int(op.options.get("rank", 0))
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2:
        raise Refusal("input, feature and time weights must be 2-D")
    nb, ni = (int(v) for v in x.shape)
    nf, nm = (int(v) for v in wt.shape)
    if rank < 1 or nf % rank or [int(v) for v in wf.shape] != [nf, ni] or st.num_elements != nb * nf * nm:
        raise Refusal(f"shapes do not fit: input {list(x.shape)}, feature {list(wf.shape)}, time {list(wt.shape)}, "
                      f"state {list(st.shape)}, rank {rank}")
    nu = nf // rank
    if out.num_elements != nb * nu or (bias is not None and bias.num_elements != nu):
        raise Refusal(f"output {list(out.shape)} / bias must hold {nu} units per batch")
    m1, s1 = quantize_multiplier(x.qscale * wf.qscale / st.qscale)
    m2, s2 = quantize_multiplier(st.qscale * wt.qscale / out.qscale)
    fields = {"batches": nb, "inputs": ni, "filters": nf, "memory": nm, "rank": rank,
              "input_zero_point": x.qzero, "output_zero_point": out.qzero,
              "mult1": m1, "shift1": s1, "mult2": m2, "shift2": s2}
    return SvdfData(op.index, op.opcode, op.inputs[0], op.inputs[1], op.inputs[2], op.inputs[3], op.inputs[4],
                    op.outputs[0], fields, int(st.num_elements), int(nb * nf * (ni + nm)))


def _scratch(d: SvdfData) -> int:
    f = d.fields
    return 4 * f["batches"] * (f["filters"] + f["filters"] // f["rank"])


@variant("SVDF", "portable", ["svdf.c", "svdf.h"], scratch=_scratch)
def lower(d: SvdfData, em: Emitter) -> None:
    em.include("svdf.h")
    state = em.static(f"state:{d.state}", "int16", d.state_count, f"SVDF state of op {d.index}")
    p = em.params("tq_svdf_params", d.fields)
    bias = em.tensor(d.bias) if d.bias >= 0 else "0"
    em.call(f"tq_svdf_s8({p}, {em.tensor(d.input)}, {em.tensor(d.w_feature)}, {em.tensor(d.w_time)}, {bias}, "
            f"{state}, {em.tensor(d.output)}, (int32_t *){em.scratch()})")


