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


def _blocks(batches: int, block: tuple[int, int], pad: tuple[int, int], small: tuple[int, int],
            big: tuple[int, int], small_strides: list[int], big_strides: list[int], c: int
            ) -> list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int, int]]:
    """Per block offset (sy, sx), the rows and columns of the blocked (`small`) image whose pixel
    (y * bh + sy - pad_top, x * bw + sx - pad_left) lies inside the `big` image: (dims, small
    strides, big strides, small offset, big offset), in elements."""
    (bh, bw), (pt, pl), (sh, sw), (hh, ww) = block, pad, small, big
    res = []
    for sy in range(bh):
        for sx in range(bw):
            y0, y1 = max(0, _ceil_div(pt - sy, bh)), min(sh, _ceil_div(hh + pt - sy, bh))
            x0, x1 = max(0, _ceil_div(pl - sx, bw)), min(sw, _ceil_div(ww + pl - sx, bw))
            if y1 <= y0 or x1 <= x0:
                continue
            res.append(((batches, y1 - y0, x1 - x0, c),
                        tuple(small_strides), (big_strides[0], bh * big_strides[1], bw * big_strides[2], 1),
                        (sy * bw + sx) * batches * small_strides[0] + y0 * small_strides[1] + x0 * small_strides[2],
                        (y0 * bh + sy - pt) * big_strides[1] + (x0 * bw + sx - pl) * big_strides[2]))
    return res


@register_op("SPACE_TO_BATCH_ND")
def prepare_s2b(op: Op, g: Graph) -> CopyData:
    (n, h, w, c), oshape, (bh, bw), (pt, pb, pl, pr) = _geometry(op, g)
    if (h + pt + pb) % bh or (w + pl + pr) % bw or oshape != [n * bh * bw, (h + pt + pb) // bh,
                                                              (w + pl + pr) // bw, c]:
        raise Refusal(f"output {oshape} is not the input {[n, h, w, c]} padded and blocked")
    # the output is the blocked image: output row oy reads input row oy * bh + sy - pt
    copies = [(op.inputs[0], op.outputs[0], Copy(dims, big_s, small_s, in_offset=big_off, out_offset=small_off))
              for dims, small_s, big_s, small_off, big_off in _blocks(
                  n, (bh, bw), (pt, pl), (oshape[1], oshape[2]), (h, w), _strides(oshape), _strides([n, h, w, c]), c)]
    out = g.t(op.outputs[0])
    return copy_data(op, g, copies, fill=out.qzero if out.is_quantized else 0)


@register_op("BATCH_TO_SPACE_ND")
def prepare_b2s(op: Op, g: Graph) -> CopyData:
    (nb, h, w, c), oshape, (bh, bw), (ct, cb, cl, cr) = _geometry(op, g)
    if nb % (bh * bw) or oshape != [nb // (bh * bw), h * bh - ct - cb, w * bw - cl - cr, c]:
        raise Refusal(f"output {oshape} is not the input {[nb, h, w, c]} unblocked and cropped")
    # the input is the blocked image: input row iy lands on output row iy * bh + sy - ct
    copies = [(op.inputs[0], op.outputs[0], Copy(dims, small_s, big_s, in_offset=small_off, out_offset=big_off))
              for dims, small_s, big_s, small_off, big_off in _blocks(
                  oshape[0], (bh, bw), (ct, cl), (h, w), (oshape[1], oshape[2]), _strides([nb, h, w, c]),
                  _strides(oshape), c)]
    return copy_data(op, g, copies)


for _name in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
    @variant(_name, "portable", SOURCES)
    def lower(d: CopyData, em: Emitter) -> None:
        lower_copies(d, em)
