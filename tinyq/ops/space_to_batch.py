"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND, 4-D NHWC (3-D N x W x C as a width-1 image), as strided
copies: one per block offset, over the rows and columns of the image it covers (any element
type, bytes unchanged; SPACE_TO_BATCH's padding is the output's zero point, as TFLM)."""
from __future__ import annotations

from tinyq.ir import Graph, Op
from tinyq.ops._copy import SOURCES, Copy, CopyData, const_ints, copy_data, lower_copies
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Refusal, register_op, variant


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _geometry(op: Op, g: Graph) -> tuple[list[int], list[int], list[int], list[int]]:
    """(input NHWC, output NHWC, block [bh, bw], pads or crops [top, bottom, left, right])."""
    inp, out = g.t(op.inputs[0]), g.t(op.outputs[0])
    block = const_ints(g, op.inputs[1], "block shape")
    pads = const_ints(g, op.inputs[2], "paddings" if op.opcode == "SPACE_TO_BATCH_ND" else "crops")
    ishape, oshape = [int(v) for v in inp.shape], [int(v) for v in out.shape]
    if len(ishape) == 3 and len(oshape) == 3 and len(block) == 1 and len(pads) == 2:
        ishape, oshape = [ishape[0], ishape[1], 1, ishape[2]], [oshape[0], oshape[1], 1, oshape[2]]
        block, pads = [block[0], 1], pads + [0, 0]
    if len(ishape) != 4 or len(oshape) != 4 or len(block) != 2 or len(pads) != 4:
        raise Refusal("needs a 3-D or 4-D input with one block size and one pad pair per spatial dimension")
    if min(block) < 1 or min(pads) < 0:
        raise Refusal(f"block {block} must be >= 1 and paddings/crops {pads} >= 0")
    return ishape, oshape, block, pads


def _strides(s: list[int]) -> list[int]:
    return [s[1] * s[2] * s[3], s[2] * s[3], s[3], 1]


@register_op("SPACE_TO_BATCH_ND")
def prepare_s2b(op: Op, g: Graph) -> CopyData:
    (n, h, w, c), oshape, (bh, bw), (pt, pb, pl, pr) = _geometry(op, g)
    if (h + pt + pb) % bh or (w + pl + pr) % bw or oshape != [n * bh * bw, (h + pt + pb) // bh,
                                                              (w + pl + pr) // bw, c]:
        raise Refusal(f"output {oshape} is not the input {[n, h, w, c]} padded and blocked")
    oh, ow = oshape[1], oshape[2]
    si, so = _strides([n, h, w, c]), _strides(oshape)
    copies = []
    for sy in range(bh):
        for sx in range(bw):
            # output row oy reads input row oy * bh + sy - pt, where that lies in [0, h)
            y0, y1 = max(0, _ceil_div(pt - sy, bh)), min(oh, _ceil_div(h + pt - sy, bh))
            x0, x1 = max(0, _ceil_div(pl - sx, bw)), min(ow, _ceil_div(w + pl - sx, bw))
            if y1 <= y0 or x1 <= x0:
                continue
            copies.append((op.inputs[0], op.outputs[0], Copy(
                (n, y1 - y0, x1 - x0, c), (si[0], bh * si[1], bw * si[2], 1), tuple(so),
                in_offset=(y0 * bh + sy - pt) * si[1] + (x0 * bw + sx - pl) * si[2],
                out_offset=(sy * bw + sx) * n * so[0] + y0 * so[1] + x0 * so[2])))
    out = g.t(op.outputs[0])
    return copy_data(op, g, copies, fill=out.qzero if out.is_quantized else 0)


@register_op("BATCH_TO_SPACE_ND")
def prepare_b2s(op: Op, g: Graph) -> CopyData:
    (nb, h, w, c), oshape, (bh, bw), (ct, cb, cl, cr) = _geometry(op, g)
    if nb % (bh * bw) or oshape != [nb // (bh * bw), h * bh - ct - cb, w * bw - cl - cr, c]:
        raise Refusal(f"output {oshape} is not the input {[nb, h, w, c]} unblocked and cropped")
    n, oh, ow = oshape[0], oshape[1], oshape[2]
    si, so = _strides([nb, h, w, c]), _strides(oshape)
    copies = []
    for sy in range(bh):
        for sx in range(bw):
            # input row iy lands on output row iy * bh + sy - ct, where that lies in [0, oh)
            y0, y1 = max(0, _ceil_div(ct - sy, bh)), min(h, _ceil_div(oh + ct - sy, bh))
            x0, x1 = max(0, _ceil_div(cl - sx, bw)), min(w, _ceil_div(ow + cl - sx, bw))
            if y1 <= y0 or x1 <= x0:
                continue
            copies.append((op.inputs[0], op.outputs[0], Copy(
                (n, y1 - y0, x1 - x0, c), tuple(si), (so[0], bh * so[1], bw * so[2], 1),
                in_offset=(sy * bw + sx) * n * si[0] + y0 * si[1] + x0 * si[2],
                out_offset=(y0 * bh + sy - ct) * so[1] + (x0 * bw + sx - cl) * so[2])))
    return copy_data(op, g, copies)


for _name in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
    @variant(_name, "portable", SOURCES)
    def lower(d: CopyData, em: Emitter) -> None:
        lower_copies(d, em)
