"""float32 AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and SOFTMAX (firmware/kernels/pool_f32.c)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._window import window
from tinyq.ops.f32._base import POOL_SOURCES, F32Data, act_bounds, need_f32, register_lowering
from tinyq.ops.mean import reduction_groups
from tinyq.ops.registry import Refusal, register_op

MEAN_DIMS = 6   # TQ_MEAN_F32_DIMS in pool_f32.h
POOLS = {"AVERAGE_POOL_2D": "tq_avg_pool_f32", "MAX_POOL_2D": "tq_max_pool_f32"}


def prepare_pool(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0])
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    k_h, k_w = int(op.options.get("filter_height", 0)), int(op.options.get("filter_width", 0))
    win = window(op.options, inp, out, k_h, k_w)
    if win.out_c != win.in_c:
        raise Refusal(f"output shape {list(out.shape)} disagrees with the input, window and padding")
    if win.pad_h >= k_h or win.pad_w >= k_w:
        raise Refusal("a pooling window lies entirely in the padding")
    return F32Data(op.index, op.opcode, POOLS[op.opcode], "tq_pool_f32_params", (op.inputs[0], op.outputs[0]),
                   {"geo": win.c_init(), **act_bounds(op)}, op.outputs[0],
                   trailing=((op.inputs[0], win.trailing_delta(4)),), row_dep=win.rows(op.inputs[0], op.outputs[0]))


def _arr(v: list[int]) -> str:
    return "{ " + ", ".join(str(int(x)) for x in v + [0] * (MEAN_DIMS - len(v))) + " }"


@register_op("MEAN", dtype="float32")
def prepare_mean(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0])
    inp = g.t(op.inputs[0])
    keep, red, _, count = reduction_groups(op, g, MEAN_DIMS)
    return F32Data(op.index, op.opcode, "tq_mean_f32", "tq_mean_f32_params", (op.inputs[0], op.outputs[0]), {
        "n_kept": len(keep), "n_red": len(red),
        "kept_size": _arr([s for s, _ in keep]), "kept_stride": _arr([t for _, t in keep]),
        "red_size": _arr([s for s, _ in red]), "red_stride": _arr([t for _, t in red]),
        "count": float(count)}, op.outputs[0], mac_count=inp.num_elements)


@register_op("SOFTMAX", dtype="float32")
def prepare_softmax(op: Op, g: Graph) -> F32Data:
    need_f32(op, g, [0])
    inp = g.t(op.inputs[0])
    depth = int(inp.shape[-1]) if inp.shape else 1
    if depth < 1 or g.t(op.outputs[0]).num_elements != inp.num_elements:
        raise Refusal("input and output sizes differ")
    return F32Data(op.index, op.opcode, "tq_softmax_f32", "tq_softmax_f32_params", (op.inputs[0], op.outputs[0]),
                   {"rows": inp.num_elements // depth, "depth": depth, "beta": float(op.options.get("beta", 1.0))},
                   op.outputs[0], in_place=(op.inputs[0],))


for _name in POOLS:
    register_op(_name, dtype="float32")(prepare_pool)
for _name in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SOFTMAX"):
    register_lowering(_name, POOL_SOURCES, "pool_f32.h", rows="geo" if _name in POOLS else "")
