"""The lowering driver: prepare every op once, pick its kernel variant, lower it to C calls."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tinyq.errors import InternalError, UnsupportedOpError
from tinyq.ir import Graph, Op
from tinyq.ops.emitter import Emitter, OpCode
from tinyq.ops.flash import FlashOptions, FlashPlan, plan_flash
from tinyq.ops.kernel_config import kernel_config
from tinyq.ops.registry import FAMILIES, REGISTRY, Prepared, Refusal, Variant, load_all, pick, pick_lean, prepare

KERNEL_CHOICES = ("auto", *FAMILIES)


@dataclass
class Layer:
    """One lowered op: its IR op, prepared record, chosen variant and emitted code."""

    op: Op
    data: Prepared
    variant: Variant
    code: OpCode

    @property
    def macs(self) -> int:
        return self.data.macs()

    @property
    def scratch_bytes(self) -> int:
        return self.code.scratch_bytes


@dataclass
class Lowered:
    """The model as C calls, constants and parameter structs, before memory is planned."""

    graph: Graph
    family: str
    layers: list[Layer]
    emitter: Emitter
    flash: FlashPlan | None = None      # which layers the flash policy widened, and why
    # the kernel sources' compile-time switches (tinyq/ops/kernel_config.py): tq_kernel_config.h
    kernel_config: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        """Kernel files the model's variants use (and nothing else)."""
        files = {"tq_common.h", "tq_constants.h", "tq_config.h"}
        for layer in self.layers:
            files.update(layer.variant.sources)
        return sorted(files)

    @property
    def layer_macs(self) -> list[int]:
        return [layer.macs for layer in self.layers]

    @property
    def const_bytes(self) -> int:
        return sum(c.nbytes for c in self.emitter.consts)

    @property
    def static_bytes(self) -> int:
        """Static RAM outside the arena: resource variables kept across invocations."""
        return sum(b.nbytes for b in self.emitter.statics.values())


def unsupported_ops(graph: Graph) -> list[tuple[int, str, str]]:
    """(op index, opcode, reason) for every op tinyq cannot compile."""
    bad = []
    for op in graph.ops:
        got = prepare(op, graph)
        if isinstance(got, Refusal):
            bad.append((op.index, op.opcode, got.reason))
        elif pick(got, "portable") is None:
            bad.append((op.index, op.opcode, "no kernel variant handles this instance"))
    return bad


def prepare_all(graph: Graph) -> list[Prepared]:
    """Every op's prepared record; refuses the whole model, naming each op it cannot compile."""
    load_all()
    records: list[Prepared] = []
    bad: list[str] = []
    for op in graph.ops:
        got = prepare(op, graph)
        if isinstance(got, Refusal):
            bad.append(f"op {op.index} {op.opcode} ({got.reason})")
        else:
            records.append(got)
    for kind, ts in (("input", graph.inputs), ("output", graph.outputs)):
        for t in ts:
            if not graph.t(t).itemsize:
                bad.append(f"graph {kind} '{graph.t(t).name}' of type {graph.t(t).dtype.upper()}, which tinyq "
                           "does not compile")
    if bad:
        raise UnsupportedOpError(
            f"model '{graph.name}' uses unsupported operators: " + "; ".join(bad),
            "supported: " + ", ".join(sorted(REGISTRY)) +
            ". Re-quantize with `tinyq quantize` (full int8) or replace the layer.")
    return records


def op_macs(graph: Graph) -> list[int]:
    """MACs per op; 0 for ops that cannot be prepared."""
    res = []
    for op in graph.ops:
        got = prepare(op, graph)
        res.append(0 if isinstance(got, Refusal) else got.macs())
    return res


def family_help() -> str:
    return ("kernel family: dsp (int16-widened weights, fastest on Cortex-M4/M7/M33), dsp8 (DSP kernels "
            "keeping int8 weights where one exists: less flash), mve (Helium kernels for Cortex-M55, int8 "
            "weights, falling back to dsp), portable (plain C, int8 weights); auto: the board's own "
            "(dsp unless it lacks the DSP extension)")


def resolve_family(choice: str, has_dsp: bool | None) -> str:
    """The kernel family for a board: "dsp" where it has the DSP extension, else "portable"
    (choice "dsp"/"portable" overrides; the DSP kernels still run without it, just slowly).
    has_dsp None: no board (the host check), which runs the DSP algorithm."""
    if choice not in KERNEL_CHOICES:
        raise UnsupportedOpError(f"kernels must be one of {', '.join(KERNEL_CHOICES)}, not {choice!r}")
    if choice != "auto":
        return choice
    return "dsp" if has_dsp is None or has_dsp else "portable"




def lower(graph: Graph, family: str = "dsp", flash: FlashOptions | None = None, room: int | None = None,
          lean: frozenset[int] = frozenset()) -> Lowered:
    """Lower a graph that went through the passes. family: "dsp" for the Cortex-M DSP-extension
    kernels (also what the host check runs), "portable" for plain C with int8 weights. With the
    dsp family, `flash` chooses per layer between int16-widened and int8 weights (tinyq/ops/flash.py).
    room: for records with a `ram_room` (the RAM a variant's scratch may add, estimated at
    prepare time), that room instead: ROOMY lets their faster, hungrier variants apply, -ROOMY
    keeps them off (the compile workflow plans the choices and weighs the arena).
    lean: ops (by index) that take their variant of least scratch (registry.pick_lean), widened to
    int16 weights if that one is (not with --flash small): where their scratch sets the arena's
    peak (the compile workflow finds them)."""
    if family not in FAMILIES:
        raise UnsupportedOpError(f"kernels must be one of {', '.join(FAMILIES)}, not {family!r}")
    records = prepare_all(graph)
    if room is not None:
        records = [dataclasses.replace(r, ram_room=room) if hasattr(r, "ram_room") else r  # type: ignore[call-arg]
                   for r in records]
    choice = None
    if family == "dsp" and flash is not None:
        def trial(widened: set[int]) -> tuple[int, set[str]]:
            low = _lower_records(graph, records, family, widened)
            return low.const_bytes, set(low.sources)
        choice = plan_flash(graph, records, flash, trial)
    widen = flash is None or flash.policy != "small"
    low = _lower_records(graph, records, family, None if choice is None else choice.widened,
                         set() if choice is None else choice.portable_layers, lean, widen)
    if choice is not None:
        _note_lean(choice, low, lean)
    low.flash = choice
    low.kernel_config = kernel_config(graph, low.layers, None if flash is None else flash.policy)
    return low


def _note_lean(choice: FlashPlan, low: Lowered, lean: frozenset[int]) -> None:
    """Say in the flash plan which layers a lean choice widened (and count their bytes)."""
    by_index = {layer.op.index: layer for layer in low.layers}
    for c in choice.layers:
        layer = by_index.get(c.index)
        if c.index in lean and not c.widened and layer is not None and layer.variant.family == "dsp":
            c.widened = True
            choice.bytes += c.bytes_added
            c.reason = ("widened for RAM: its int8 kernel's scratch sat at the arena's peak "
                        f"({layer.variant.name}'s is {layer.scratch_bytes:,} B)")


def _lower_records(graph: Graph, records: list[Prepared], family: str, widened: set[int] | None,
                   portable: set[int] | None = None, lean: frozenset[int] = frozenset(),
                   widen: bool = True) -> Lowered:
    """Lower every prepared op with the family's variants; with `widened`, the dsp family's layers
    outside it take their dsp8 (int8-weight) variant where one exists; those in `portable` the
    portable one (the flash policy's choice); those in `lean` their variant of least scratch."""
    em = Emitter(graph)
    layers = []
    for op, data in zip(graph.ops, records):
        fam = family if widened is None or op.index in widened else "dsp8"
        fam = "portable" if portable and op.index in portable else fam
        v = pick_lean(data, fam, widen) if op.index in lean else pick(data, fam)
        if v is None:
            raise UnsupportedOpError(f"op {op.index} {op.opcode}: no kernel variant handles this instance")
        try:
            em.begin_op(op, v.scratch(data))
            v.lower(data, em)
        except (IndexError, KeyError, ValueError, TypeError, AttributeError, ArithmeticError) as exc:
            # a fault in tinyq's lowering, not in the model (that was prepared and accepted)
            raise InternalError(f"{exc.__class__.__name__}: {exc}", f"lowering {v.name} of op {op.index}") from exc
        for t in op.reads + op.outputs:  # every touched tensor is planned
            if t >= 0 and not graph.t(t).is_const and graph.t(t).itemsize and not graph.t(t).is_variable:
                em.used_tensors.add(t)
        layers.append(Layer(op, data, v, em.cur))
    return Lowered(graph, family, layers, em)
