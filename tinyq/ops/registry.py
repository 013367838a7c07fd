"""The op registry: for each TFLite builtin a prepare step, and the kernel variants that lower it.

An op module (one per builtin, like TFLM's kernels) registers two kinds of thing:

- `@register_op("CONV_2D")` on `prepare(op, graph) -> ConvData`: everything about one instance
  that can be known ahead of time (geometry, multipliers, biases, activation range, named
  operands), computed once, in a frozen `Prepared` record. It raises `Refusal(reason)` for an
  instance tinyq cannot compile. MACs, in-place pairs and the planner's overlaps are methods of
  the record, so nothing is computed twice.
- `@variant("CONV_2D", "dsp", sources=[...], scratch=fn, applies=fn)` on `lower(data, em)`: one
  kernel that computes the op, in a family (`portable`, `dsp`, `dsp8`, `mve`).
- `@register_op("CONV_2D", dtype="float32")`: a second prepare step, for instances whose first
  input is float32, from another module (tinyq/ops/f32/); its records set
  `kernel_dtype = "float32"` and are lowered only by variants registered with `dtype="float32"`.
  `scratch(data)` is the variant's scratch size in bytes, stated beside its kernel; `applies(data)`
  says whether this variant can run this instance. `pick` chooses per layer.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, TypeVar, cast

from tinyq.errors import InternalError
from tinyq.ir import DTYPE_SIZE, Graph, Op

if TYPE_CHECKING:
    from tinyq.ops.emitter import Emitter

# The kernel families, each with the families a layer falls back to, in order, when no variant
# of its own covers it: "dsp" (Cortex-M4/M7/M33, int16-widened weights) falls back to the
# portable C; "dsp8" keeps int8 weights where a DSP variant can (half the weight flash, a few
# more instructions) and is otherwise "dsp".
FALLBACK: dict[str, tuple[str, ...]] = {
    "portable": ("portable",),
    "dsp": ("dsp", "portable"),
    "dsp8": ("dsp8", "dsp", "portable"),
    # Helium (Cortex-M55): CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED in tinyq/ops/mve.py,
    # every other layer the DSP kernels'
    "mve": ("mve", "dsp", "portable"),
}
FAMILIES = tuple(FALLBACK)

# Tensor types without an element size that some ops still compile: a resource handle is a
# variable's id, resolved at generation time (tinyq/ops/variables.py).
UNSIZED_TYPE_OPS: dict[str, tuple[str, ...]] = {
    "resource": ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"),
}


class Refusal(Exception):
    """Raised by a prepare step: this instance cannot be compiled, and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Overlap:
    """The output tensor may start `delta` bytes after the input tensor's start (0: in place)
    when the input dies at this op: the kernel reads every input byte before it writes over it."""

    input: int
    output: int
    delta: int = 0


@dataclass(frozen=True)
class Rows:
    """How an op's output rows (NHWC height) depend on its inputs' rows, for patch-based execution
    (tinyq/plan/patch.py): output row o reads rows [o * stride - pad, o * stride - pad + extent)
    of `windowed` (clipped to the image) and row o of each `same` tensor (a fused residual)."""

    windowed: int
    output: int
    in_h: int
    out_h: int
    stride: int
    pad: int
    extent: int                 # (k_h - 1) * dilation + 1
    same: tuple[int, ...] = ()
    whole: tuple[int, ...] = ()   # read whole by every band (broadcast along the rows: [1, 1, W|1, C|1])


def elementwise_rows(g: Graph, inputs: tuple[int, ...], output: int) -> Rows | None:
    """Rows of an element-wise op over one image: row o of the output reads row o of each input
    of the output's shape, and all of an input broadcast along the rows (a per-channel scale)."""
    shape = tuple(g.t(output).shape)
    if len(shape) != 4 or shape[0] != 1:
        return None
    rowed = tuple(t for t in inputs if tuple(g.t(t).shape) == shape)
    whole = tuple(t for t in inputs if t not in rowed)
    for t in whole:
        s = (1,) * (4 - len(g.t(t).shape)) + tuple(g.t(t).shape)
        if s[0] != 1 or s[1] != 1:
            return None
    if not rowed:
        return None
    return Rows(rowed[0], output, shape[1], shape[1], 1, 0, 1, tuple(rowed[1:]), whole)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Base of every op's prepared record. Subclasses add named operands and constants."""

    index: int
    opcode: str
    # None for the op's own prepare step; "float32" for a record from a prepare step registered
    # with `register_op(..., dtype="float32")`: only variants registered with that dtype lower it.
    # A plain class attribute, not a field (records are copied field by field).
    kernel_dtype = cast("str | None", None)

    def macs(self) -> int:
        return 0

    def overlaps(self) -> list[Overlap]:
        """Input/output pairs that may share memory (element-wise in place, windows trailing)."""
        return []

    def row_deps(self, g: Graph) -> Rows | None:
        """How the output's rows depend on the inputs' (a 2-D window op or an element-wise op over
        one image), None for any other op."""
        return None


P = TypeVar("P", bound=Prepared)
PrepareFn = Callable[[Op, Graph], Prepared]
LowerFn = Callable[[P, "Emitter"], None]


def _always(data: Prepared) -> bool:
    return True


def _no_scratch(data: Prepared) -> int:
    return 0


@dataclass(frozen=True)
class Variant:
    """One kernel for one op: its family, when it applies, its C sources, scratch and lowering."""

    op: str
    family: str
    name: str
    lower: Callable[[Prepared, "Emitter"], None]
    sources: tuple[str, ...] = ()
    scratch: Callable[[Prepared], int] = _no_scratch
    applies: Callable[[Prepared], bool] = _always
    dtype: str | None = None    # the `kernel_dtype` of the records it lowers
    # How the kernel can compute a band of output rows from a band of input rows (patch-based
    # execution): "geo", it reads its rows from its parameter struct's `geo` (tq_window) at run
    # time; "count", an element-wise kernel walking `count` elements flat; "bcast", one walking
    # `shape` (tq_bcast) without broadcasting; "" not at all.
    rows: str = ""


@dataclass
class OpDef:
    """An op: its prepare step (None while only typed ones are registered), the prepare steps for
    other activation types registered from their own modules (dtype -> fn), and its variants."""

    name: str
    prepare: PrepareFn | None
    variants: list[Variant] = field(default_factory=list)
    typed: dict[str, PrepareFn] = field(default_factory=dict)


REGISTRY: dict[str, OpDef] = {}


def register_op(*names: str, dtype: str | None = None) -> Callable[[PrepareFn], PrepareFn]:
    """Decorator for an op's prepare function (several builtins may share one). With `dtype`
    (e.g. "float32"), the prepare step for instances whose first input has that type, kept apart
    from the op's own one so another module can add it."""
    def deco(fn: PrepareFn) -> PrepareFn:
        for name in names:
            spec = REGISTRY.setdefault(name, OpDef(name, None))
            if (spec.prepare is not None) if dtype is None else (dtype in spec.typed):
                raise InternalError(f"op {name} registered twice", "tinyq.ops")
            if dtype is None:
                spec.prepare = fn
            else:
                spec.typed[dtype] = fn
        return fn
    return deco


ROOMY = 1 << 30     # a `ram_room` any scratch fits in (`lower(..., room=...)`): no estimate


def variant(op: str, family: str, sources: tuple[str, ...] | list[str] = (), *,
            scratch: Callable[..., int] | None = None, applies: Callable[..., bool] | None = None,
            name: str | None = None, dtype: str | None = None, rows: str = "",
            first: bool = False) -> Callable[[LowerFn], LowerFn]:
    """Decorator for a kernel variant's lowering function `lower(data, em)`; `dtype` as the
    prepare step's whose records it lowers; `rows`: the kernel runs on a band of rows given by
    its params' `geo` (see `Variant.rows`). `first`: tried before the op's variants registered so
    far (a special case registered from another op's module, which imports after the op's own)."""
    if family not in FAMILIES:
        raise InternalError(f"unknown kernel family {family!r} for {op}", "tinyq.ops")
    if rows not in ("", "geo", "count", "bcast"):
        raise InternalError(f"unknown rows contract {rows!r} for {op}", "tinyq.ops")

    def deco(fn: LowerFn) -> LowerFn:
        spec = REGISTRY.get(op)
        if spec is None or (spec.prepare is None if dtype is None else dtype not in spec.typed):
            raise InternalError(f"variant for {op} registered before its prepare step", "tinyq.ops")
        default = f"{op.lower()}_{family}" + (f"_{dtype}" if dtype else "")
        v = Variant(op, family, name or default, fn, tuple(sources), scratch or _no_scratch, applies or _always,
                    dtype, rows)
        spec.variants.insert(0, v) if first else spec.variants.append(v)
        return fn
    return deco


def load_all() -> dict[str, OpDef]:
    """Import every op module so that they register themselves."""
    import tinyq.ops as pkg
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in ("registry", "emitter", "lower") and not mod.name.startswith("_"):
            importlib.import_module(f"tinyq.ops.{mod.name}")
    return REGISTRY


def prepare(op: Op, g: Graph) -> Prepared | Refusal:
    """The op's prepared record, or the reason it cannot be compiled."""
    load_all()
    spec = REGISTRY.get(op.opcode)
    for t in op.inputs + op.outputs:
        dtype = g.t(t).dtype if t >= 0 else "int8"
        if dtype not in DTYPE_SIZE and op.opcode not in UNSIZED_TYPE_OPS.get(dtype, ()):
            return Refusal(f"tensor '{g.t(t).name}' has type {dtype.upper()}, which tinyq does not compile "
                           "(int8, uint8, int16, int32, int64, bool and float32 tensors)")
    if spec is None:
        from tinyq.ops.optable import TFLM_OPS, WHY_NOT  # (the op table imports this module)
        why = WHY_NOT.get(op.opcode)
        if why:
            return Refusal(f"no kernel ({why.removeprefix('not compiled: ').removeprefix('not planned: ')})")
        if op.opcode in TFLM_OPS:
            return Refusal("no kernel yet (a TFLM op tinyq does not compile: see the op table in docs/ARCHITECTURE.md)")
        return Refusal("no kernel")
    first = g.t(op.inputs[0]).dtype if op.inputs and op.inputs[0] >= 0 else None
    fn = spec.typed.get(first, spec.prepare) if first else spec.prepare
    if fn is None:
        return Refusal(f"no kernel for {first} tensors")
    try:
        return fn(op, g)
    except Refusal as r:
        return r
    except (IndexError, KeyError, ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        # a fault in tinyq's prepare step (validation belongs in Refusals): say so, don't blame the file
        raise InternalError(f"{exc.__class__.__name__}: {exc}", f"prepare of op {op.index} {op.opcode}") from exc


def pick(data: Prepared, family: str) -> Variant | None:
    """The first variant that applies to this layer, along the family's fallback chain."""
    variants = REGISTRY[data.opcode].variants
    for fam in FALLBACK[family]:
        for v in variants:
            if v.family == fam and v.dtype == data.kernel_dtype and v.applies(data):
                return v
    return None


def pick_lean(data: Prepared, family: str, widen: bool = True) -> Variant | None:
    """The variant of least scratch that applies to this layer along the family's chain (what a
    plan takes where the op's scratch sets the arena's peak): the portable kernels only where
    nothing else applies; `widen` False keeps the family `pick` chose (a dsp8 layer stays int8).
    Ties go to the first registered (the faster, by the registry's order)."""
    first = pick(data, family)
    if first is None or first.family == "portable":
        return first
    fams = [f for f in FALLBACK[family] if f != "portable" and (widen or f == first.family)]
    cands = [v for f in fams for v in REGISTRY[data.opcode].variants
             if v.family == f and v.dtype == data.kernel_dtype and v.applies(data)]
    return min(cands, key=lambda v: (v.scratch(data), v is not first))
