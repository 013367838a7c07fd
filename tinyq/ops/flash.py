"""The flash policy of the DSP family: which layers get int16-widened weights (the `dsp` variants,
fastest) and which keep the model's int8 weights (the `dsp8` variants, half the weight bytes).

- `small`: never widen: the dsp8 variant wherever one exists; and a DSP kernel whose layers do
  few multiply-adds (a classifier's last fully connected layer) gives them to the portable kernel
  when its code outweighs them (SMALL_KERNEL_MACS).
- `fast`: widen every layer, as long as the firmware fits the board (else the best layers first).
- `auto` (default): fit the board, then widen layers in the order of instructions saved per byte
  added while the firmware stays within a budget: by default what an interpreter build of the
  model would take, its `.tflite` size plus CODE_ALLOWANCE.

Bytes added are exact (each candidate layer is lowered both ways and its constants counted); the
code is an estimate (CODE_* below); instructions saved come from a linear cost model calibrated on
the emulated Cortex-M4 (`benchmarks/flash_cost.py` measures and fits it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Op
from tinyq.ops.code_size import DEFAULT_KERNEL_CODE, KERNEL_CODE_BYTES
from tinyq.ops.conv_2d import ConvData, _groups
from tinyq.ops.depthwise_conv_2d import DepthwiseData, as_conv, ring_over_per_pixel
from tinyq.ops.emitter import Emitter
from tinyq.ops.fully_connected import FcData, fc_row_fits
from tinyq.ops.registry import Prepared, Variant, pick

FLASH_CHOICES = ("auto", "small", "fast")

# The default budget's code allowance: an interpreter build is its .tflite plus the interpreter
# and its kernels' code. The smallest such code measured (../shared/baselines/tflm_emulated_m4.md)
# is TFLM + CMSIS-NN on ad01 (4 op kernels): 49,488 B; with the reference kernels 36-65 KB. 48 KiB
# keeps the auto build at or below TFLM + CMSIS-NN's flash on every model measured there.
CODE_ALLOWANCE = 48 * 1024

# The firmware's code besides the constants, estimated: startup, protocol and runtime; each kernel
# source (code_size.py); each op's parameter struct and call. On the four MLPerf Tiny builds this
# is within 36 B below to 3.6 KB above the linked ELF's text + data minus the constants.
CODE_RUNTIME = 3_000
CODE_PER_OP = 140

# Instructions the dsp8 variant costs more than the dsp one: per op kind, one coefficient per
# feature (see `features`), fitted on the emulated Cortex-M4 by benchmarks/flash_cost.py over the
# MLPerf Tiny models' layers and a few committed test convolutions.
COST: dict[str, tuple[float, ...]] = {
    "CONV_2D": (4.061, -3.61, 10.87, -34.68),       # 32 layers, mean relative error 4.6%
    "FULLY_CONNECTED": (0.131, -11.452),            # 11 layers (the dsp8 kernel's blocks of 4
                                                    # channels run faster than int16 weights)
    "DEPTHWISE_CONV_2D": (20.14, 25.912),           # 12 layers (not the ring's), 0.4%
    # the dsp8 kernel reading its int8 input in place (no RAM for the widened row): the fit of
    # that kernel, 3 layers, 0.5%
    "FULLY_CONNECTED_DIRECT": (0.752, -12.243),
}
TILE8 = 4   # output pixels per pass of the dsp8 convolution (conv_2d.TILE8)

# --flash small: a DSP kernel linked for layers that together do at most this many multiply-adds
# runs them with the portable kernel instead, where that makes the firmware smaller. The portable
# fully connected kernel takes about 4 instructions a MAC more (emulated M4: 768 MACs in 4,738
# instructions against 1,377), so this costs at most ~8,000 instructions an inference for 1-1.5 KB
# of code (a DSP kernel's code, e.g. fully_connected_dsp8.c 1,636 B, against 324 B).
SMALL_KERNEL_MACS = 2048


def features(d: Prepared) -> tuple[str, tuple[float, ...]] | None:
    """(kind, features): the cost model's inputs for a layer with both a dsp and a dsp8 variant.
    A group is 4 taps of one output of one channel, the inner loops' unit. CONV_2D: groups the
    dsp8 kernel computes (whole tiles of 4 pixels), groups, outputs, and the channels of a last
    short tile (its slower generic path). FULLY_CONNECTED: groups, outputs. DEPTHWISE_CONV_2D
    (multiplier 1): taps of blocks of 4 channels (the dsp8 kernel widens them once per call), 1."""
    if isinstance(d, DepthwiseData) and d.win.in_c == 1:
        d = as_conv(d)
    elif isinstance(d, DepthwiseData):
        w = d.win
        return "DEPTHWISE_CONV_2D", (float(-(-w.out_c // 4) * w.k_h * w.k_w), 1.0)
    if isinstance(d, ConvData):
        w = d.win
        pixels, g = w.batches * w.out_h * w.out_w, _groups(d)
        tiled = -(-pixels // TILE8) * TILE8
        return "CONV_2D", (float(tiled * w.out_c * g), float(pixels * w.out_c * g), float(pixels * w.out_c),
                           float(w.out_c if pixels % TILE8 else 0))
    if isinstance(d, FcData):
        outputs = d.batches * d.out_depth
        kind = "FULLY_CONNECTED" if fc_row_fits(d) else "FULLY_CONNECTED_DIRECT"
        return kind, (float(outputs * -(-d.in_depth // 4)), float(outputs))
    return None


def saved_instructions(d: Prepared) -> int:
    """The cost model's estimate of the instructions widening this layer saves per inference. A
    depthwise layer whose dsp variant is the ring kernel saves that kernel's gain over the
    per-pixel one besides (its own estimate, depthwise_conv_2d.ring_over_per_pixel)."""
    f = features(d)
    if f is None:
        return 0
    extra = ring_over_per_pixel(d) if isinstance(d, DepthwiseData) else None
    return max(int(sum(c * x for c, x in zip(COST[f[0]], f[1])) + (extra or 0.0)), 0)


@dataclass(frozen=True)
class FlashOptions:
    policy: str = "auto"
    budget: int | None = None        # --flash-budget; None: model_bytes + CODE_ALLOWANCE
    board_flash: int | None = None   # what the board leaves the application; None: no board
    model_bytes: int = 0             # the .tflite's size

    def __post_init__(self) -> None:
        if self.policy not in FLASH_CHOICES:
            raise TinyqError(f"--flash must be one of {', '.join(FLASH_CHOICES)}, not {self.policy!r}")
        if self.budget is not None and self.budget <= 0:
            raise TinyqError(f"--flash-budget must be a positive number of bytes, not {self.budget}")
        if self.budget is not None and self.policy != "auto":
            raise TinyqError(f"--flash-budget is the auto policy's budget; --flash {self.policy} takes none",
                                     "drop --flash-budget, or use --flash auto")

    @property
    def default_budget(self) -> int:
        return self.model_bytes + CODE_ALLOWANCE


@dataclass
class LayerChoice:
    index: int
    label: str
    widened: bool
    bytes_added: int        # constants widening adds (its kernel's code not included)
    saved: int              # instructions per inference it saves (cost model)
    reason: str

    @property
    def per_byte(self) -> float:
        return self.saved / max(self.bytes_added, 1)


@dataclass
class PortableChoice:
    """Layers of one DSP kernel that --flash small runs with the portable kernel instead."""
    indices: list[int]
    labels: list[str]
    kernel: str             # the DSP kernel's source file left out of the build
    macs: int
    bytes_saved: int        # estimated: code of the kernel left out, minus the portable one's, and constants


@dataclass
class FlashPlan:
    policy: str
    limit: int | None       # the flash the choice had to stay within (None: none)
    limit_why: str
    small_bytes: int        # estimated firmware flash with every candidate kept int8
    bytes: int              # estimated firmware flash of the choice
    layers: list[LayerChoice] = field(default_factory=list)
    portable: list[PortableChoice] = field(default_factory=list)

    @property
    def widened(self) -> set[int]:
        return {c.index for c in self.layers if c.widened}

    @property
    def portable_layers(self) -> set[int]:
        return {i for c in self.portable for i in c.indices}

    def lines(self) -> list[str]:
        """The choice in words, one line per layer that had one."""
        n = len(self.widened)
        lim = f"within {self.limit:,} B ({self.limit_why})" if self.limit is not None else f"({self.limit_why})"
        port = f", {len(self.portable_layers)} on the portable kernels" if self.portable else ""
        head = (f"flash policy {self.policy}: {n} of {len(self.layers)} layers widened to int16 weights{port}, "
                f"~{self.bytes:,} B flash estimated (~{self.small_bytes:,} B with none) {lim}")
        return [head] + [f"  op {c.index:>3} {c.label:<34} {'int16' if c.widened else 'int8 '}  "
                         f"+{c.bytes_added:>8,} B for -{c.saved:>9,} instr ({c.per_byte:6.2f}/B): {c.reason}"
                         for c in self.layers] + [
            f"  op {i:>3} {label:<34} portable kernel: {c.kernel} left out (~{c.bytes_saved:,} B; its "
            f"{len(c.indices)} layer(s) do {c.macs:,} MACs, at most {SMALL_KERNEL_MACS:,})"
            for c in self.portable for i, label in zip(c.indices, c.labels)]


def _const_bytes(graph: Graph, op: Op, data: Prepared, v: Variant) -> int:
    em = Emitter(graph)
    em.begin_op(op, v.scratch(data))
    v.lower(data, em)
    return sum(c.nbytes for c in em.consts)


def _kernels(variant: Variant) -> set[str]:
    return {s for s in variant.sources if s.endswith(".c")}


def _code(ks: set[str]) -> int:
    return sum(KERNEL_CODE_BYTES.get(k, DEFAULT_KERNEL_CODE) for k in ks)


def _label(graph: Graph, op: Op) -> str:
    shape = "x".join(map(str, graph.t(op.outputs[0]).shape)) if op.outputs else ""
    return f"{op.label} {shape}"


# An element of an element-wise op counts as this many MACs against SMALL_KERNEL_MACS: its DSP
# kernel (a table, SIMD) saves tens of instructions an element over the portable one (HARD_SWISH:
# 79 against 5 on the emulated M4).
ELEMENT_WORK = 16


def _work(graph: Graph, op: Op, data: Prepared) -> int:
    """What a layer costs the portable kernel more: its MACs, or for an op without any (element-
    wise), ELEMENT_WORK per output element."""
    macs = data.macs()
    if macs or not op.outputs:
        return macs
    return ELEMENT_WORK * graph.t(op.outputs[0]).num_elements


def small_portable(graph: Graph, records: list[Prepared]) -> list[PortableChoice]:
    """--flash small: the DSP kernels (as the all-int8 build picks them) whose layers do at most
    SMALL_KERNEL_MACS multiply-adds together, each with a portable variant, and whose source file
    no other layer needs; those layers go to the portable kernels where the code and constants
    saved (estimated, exact constants) come out positive."""
    picked = [(op, data, pick(data, "dsp8")) for op, data in zip(graph.ops, records)]
    by_variant: dict[str, list[tuple[Op, Prepared, Variant]]] = {}
    for op, data, v in picked:
        if v is not None and v.family in ("dsp8", "dsp"):
            by_variant.setdefault(v.name, []).append((op, data, v))
    choices = []
    for group in by_variant.values():
        v = group[0][2]
        others = set().union(*(_kernels(w) for _, _, w in picked if w is not None and w is not v))
        private = _kernels(v) - others
        ports = [pick(data, "portable") for _, data, _ in group]
        macs = sum(_work(graph, op, data) for op, data, _ in group)
        if not private or macs > SMALL_KERNEL_MACS or any(p is None or p.family != "portable" for p in ports):
            continue
        new = set().union(*(_kernels(p) for p in ports if p is not None)) - others
        consts = sum(_const_bytes(graph, op, data, v) - _const_bytes(graph, op, data, p)
                     for (op, data, _), p in zip(group, ports) if p is not None)
        saved = _code(private) - _code(new) + consts
        if saved > 0:
            choices.append(PortableChoice([op.index for op, _, _ in group], [_label(graph, op) for op, _, _ in group],
                                          sorted(private)[0], macs, saved))
    return choices


def plan_flash(graph: Graph, records: list[Prepared], opts: FlashOptions,
               lower_all: Callable[[set[int]], tuple[int, set[str]]]) -> FlashPlan:
    """Choose the widened layers (and, with --flash small, the layers the portable kernels take:
    small_portable). lower_all(widened) lowers the model with that choice and returns (constant
    bytes, kernel sources): the small build's figures come from it."""
    cands: list[tuple[Op, Prepared, Variant, Variant]] = []
    for op, data in zip(graph.ops, records):
        v8, v16 = pick(data, "dsp8"), pick(data, "dsp")
        if v8 is not None and v16 is not None and v8 is not v16 and v8.family == "dsp8" and v16.family == "dsp":
            cands.append((op, data, v8, v16))
    small_consts, sources = lower_all(set())
    kernels = {s for s in sources if s.endswith(".c")}

    def code(ks: set[str]) -> int:
        return CODE_RUNTIME + _code(ks) + CODE_PER_OP * len(graph.ops)

    portable = small_portable(graph, records) if opts.policy == "small" else []
    small = small_consts + code(kernels) - sum(c.bytes_saved for c in portable)
    board = opts.board_flash
    if opts.policy == "fast":
        limit, why = board, "the board's flash" if board is not None else "no board: every layer"
    elif opts.policy == "small":
        limit, why = None, "never widened"
    else:
        budget = opts.budget if opts.budget is not None else opts.default_budget
        src = ("--flash-budget" if opts.budget is not None
               else f"the .tflite's {opts.model_bytes:,} B + {CODE_ALLOWANCE // 1024} KiB of code, what an "
                    "interpreter build would take")
        limit, why = (budget, src) if board is None or budget <= board else (board, "the board's flash")
    rows = []
    for op, data, v8, v16 in cands:
        added = _const_bytes(graph, op, data, v16) - _const_bytes(graph, op, data, v8)
        rows.append(LayerChoice(op.index, _label(graph, op), False, added, saved_instructions(data), ""))
    wide = {op.index: v16 for op, _, _, v16 in cands}
    total = small
    for rank, c in enumerate(sorted(rows, key=lambda c: -c.per_byte), 1):
        v16 = wide[c.index]
        extra = c.bytes_added + code(kernels | _kernels(v16)) - code(kernels)
        if opts.policy == "small":
            c.reason = ("--flash small: the portable kernel (below)" if any(c.index in p.indices for p in portable)
                        else "--flash small keeps int8 weights")
        elif c.saved <= 0 and opts.policy == "auto":
            c.reason = "widening saves nothing here"
        elif limit is not None and total + extra > limit:
            c.reason = f"widening would pass the limit by {total + extra - limit:,} B"
        else:
            c.widened = True
            total += extra
            kernels |= _kernels(v16)
            c.reason = "fits" if opts.policy == "fast" else f"#{rank} in instructions saved per byte; fits"
    return FlashPlan(opts.policy, limit, why, small, total, rows, portable)
