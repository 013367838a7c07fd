"""Collects what each variant's lowering asks for: constants, parameter structs, calls, scratch.

Tensor and scratch pointers are emitted as macros (T<idx>, S<op>) so the arena plan can be made
after all ops were emitted, once every scratch size is known.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinyq.ir import DTYPE_SIZE, Graph, Op

CTYPES = {
    "int8": "int8_t", "uint8": "uint8_t", "bool": "uint8_t", "int16": "int16_t", "uint16": "uint16_t",
    "int32": "int32_t", "int64": "int64_t", "float32": "float", "float64": "double",
}


@dataclass
class ConstArray:
    name: str
    ctype: str
    values: np.ndarray
    comment: str = ""

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes)

    def body(self) -> str:
        """The initializer list, 32 values a line."""
        flat = self.values.ravel()
        if self.ctype == "float":
            items = [_float_literal(float(v)) for v in flat.tolist()]
        elif self.ctype == "double":
            items = [float(v).hex() for v in flat.tolist()]
        elif self.ctype == "int32_t":
            # INT32_MIN cannot be written as a plain decimal literal in C.
            items = [str(v) if v != -2**31 else "INT32_MIN" for v in flat.tolist()]
        elif self.ctype == "int64_t":
            items = [f"INT64_C({v})" for v in flat.tolist()]
        else:
            items = [str(v) for v in flat.tolist()]
        if not items:
            items = ["0"]
        return ",\n".join(", ".join(items[i:i + 32]) for i in range(0, len(items), 32))


def _float_literal(v: float) -> str:
    if np.isinf(v):
        return "(1.0f/0.0f)" if v > 0 else "(-1.0f/0.0f)"
    return f"{v.hex()}f" if v == v else "(0.0f/0.0f)"


@dataclass
class StaticBuffer:
    """A buffer in static RAM outside the arena that outlives an invocation (a resource
    variable's value), zeroed at start-up and by tinyq_model_reset()."""
    name: str
    ctype: str
    count: int
    nbytes: int
    comment: str = ""


@dataclass
class OpCode:
    """What one op contributes to model.c."""
    index: int
    opcode: str
    label: str
    statements: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)   # struct definitions
    param_types: dict[str, str] = field(default_factory=dict)   # struct name -> its C type
    scratch_bytes: int = 0


class Emitter:
    """The interface op modules use. One instance per model; `begin_op` switches the current op."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.consts: list[ConstArray] = []
        self._const_by_key: dict[tuple[str, bytes], str] = {}
        self.const_tensor_names: dict[int, str] = {}
        self.includes: set[str] = set()
        self.sources: set[str] = set()
        self.ops: list[OpCode] = []
        self.op: Op | None = None
        self.used_tensors: set[int] = set()
        self.aliases: dict[int, tuple[int, int]] = {}  # tensor -> (tensor it views, byte offset)
        self.statics: dict[str, StaticBuffer] = {}     # by key (a resource variable's identity)

    # --- called by the generator -------------------------------------------------------------
    def begin_op(self, op: Op, scratch_bytes: int = 0) -> None:
        """Switch to `op`; its variant's scratch size is known before it is lowered."""
        self.op = op
        out = self.graph.t(op.outputs[0]) if op.outputs else None
        label = f"{op.label} {'x'.join(map(str, out.shape)) if out is not None else ''}".strip()
        self.ops.append(OpCode(op.index, op.opcode, label, scratch_bytes=int(scratch_bytes)))

    @property
    def cur(self) -> OpCode:
        return self.ops[-1]

    # --- called by op modules ----------------------------------------------------------------
    def tensor(self, index: int) -> str:
        """C expression for a tensor's data pointer (arena macro or const array)."""
        t = self.graph.t(index)
        if t.is_const:
            if index not in self.const_tensor_names:
                self.const_tensor_names[index] = self.const(t.data, f"t{index}", t.name)
            return self.const_tensor_names[index]
        self.used_tensors.add(index)
        return f"T{index}"

    def const(self, values: np.ndarray, hint: str = "c", comment: str = "") -> str:
        """Emit a const array (deduplicated by content) and return its name."""
        values = np.ascontiguousarray(values)
        ctype = CTYPES[str(values.dtype) if values.dtype != np.bool_ else "bool"]
        key = (ctype, values.tobytes())
        if key in self._const_by_key:
            return self._const_by_key[key]
        name = f"tq_{hint}_{len(self.consts)}"
        self.consts.append(ConstArray(name, ctype, values, comment))
        self._const_by_key[key] = name
        return name

    def params(self, ctype: str, fields: dict[str, object], suffix: str = "") -> str:
        """Emit `static const ctype opN_p = {.field = value, ...}` and return `&opN_p`
        (`opN_p<suffix>` for a second struct of the same op)."""
        name = f"op{self.cur.index}_p{suffix}"
        body = ",\n    ".join(f".{k} = {_c_value(v)}" for k, v in fields.items())
        self.cur.params.append(f"static const {ctype} {name} = {{\n    {body}\n}};")
        self.cur.param_types[name] = ctype
        return f"&{name}"

    def call(self, statement: str) -> None:
        """Add a C statement to this op's part of the invoke function."""
        self.cur.statements.append(statement if statement.rstrip().endswith((";", "}")) else statement + ";")

    def scratch(self) -> str:
        """The current op's scratch buffer (16-byte aligned, planned into the arena), of the size
        its variant's scratch function gave; "0" when that is zero."""
        return f"S{self.cur.index}" if self.cur.scratch_bytes else "0"

    def static(self, key: str, dtype: str, count: int, comment: str = "") -> str:
        """The static buffer for `key` (created on first use): its C name. Every use of one key
        must agree on type and size (the op's prepare step checks that)."""
        if key not in self.statics:
            self.statics[key] = StaticBuffer(f"tq_var_{len(self.statics)}", CTYPES[dtype], max(int(count), 1),
                                             DTYPE_SIZE[dtype] * int(count), comment)
        return self.statics[key].name

    def include(self, header: str) -> None:
        self.includes.add(header)

    def source(self, *files: str) -> None:
        self.sources.update(files)

    def alias(self, out_index: int, in_index: int, byte_offset: int = 0) -> None:
        """Make tensor `out_index` a view of `in_index` (e.g. RESHAPE): no copy, shared memory."""
        self.aliases[out_index] = (in_index, byte_offset)


def _c_value(v: object) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v)) if int(v) != -2**31 else "INT32_MIN"
    if isinstance(v, (float, np.floating)):
        return _float_literal(float(np.float32(v)))
    return str(v)
