"""Resource variables, the state streaming models keep between invocations: VAR_HANDLE,
READ_VARIABLE, ASSIGN_VARIABLE and CALL_ONCE. Each variable (by VAR_HANDLE's container and
shared name) is a static buffer outside the arena (`Emitter.static`), zero at start-up and after
tinyq_model_reset(); CALL_ONCE assigns the initial values its subgraph holds (constants, resolved
here) on the first invocation. READ and ASSIGN copy the bytes, as TFLM's kernels do, whatever the
quantization."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyq.ir import DTYPE_SIZE, Graph, Op, variable_key
from tinyq.ops.emitter import Emitter
from tinyq.ops.registry import Prepared, Refusal, register_op, variant


@dataclass(frozen=True, eq=False)
class Variable:
    key: str
    dtype: str
    count: int
    name: str       # the shared name, for comments

    @property
    def nbytes(self) -> int:
        return self.count * DTYPE_SIZE[self.dtype]


def _handle_key(g: Graph, resource: int) -> str:
    for op in g.ops:
        if op.opcode == "VAR_HANDLE" and op.outputs == [resource]:
            return variable_key(op.options)
    raise Refusal(f"resource tensor {resource} is not made by a VAR_HANDLE")


def variable(g: Graph, key: str) -> Variable:
    """The variable `key` as every op of the graph (and every initial value) uses it: one type
    and one size, or a Refusal saying where they disagree."""
    seen: list[tuple[str, int, str]] = []
    for op in g.ops:
        if op.opcode == "READ_VARIABLE" and op.inputs and _handle_key(g, op.inputs[0]) == key:
            t = g.t(op.outputs[0])
            seen.append((t.dtype, t.num_elements, f"op {op.index} reads"))
        elif op.opcode == "ASSIGN_VARIABLE" and len(op.inputs) == 2 and _handle_key(g, op.inputs[0]) == key:
            t = g.t(op.inputs[1])
            seen.append((t.dtype, t.num_elements, f"op {op.index} assigns"))
    for k, init in g.init_subgraphs.items():
        if key in init.values:
            t = init.values[key]
            seen.append((t.dtype, t.num_elements, f"subgraph {k} initialises"))
    if not seen:
        raise Refusal("the variable is never read or assigned")
    dtypes = {s[0] for s in seen}
    counts = {s[1] for s in seen}
    if len(dtypes) != 1 or len(counts) != 1:
        raise Refusal("the variable's uses disagree: " + ", ".join(f"{w} {d}[{n}]" for d, n, w in seen))
    dtype = dtypes.pop()
    if dtype not in DTYPE_SIZE:
        raise Refusal(f"variables of type {dtype} are not supported")
    name = bytes.fromhex(key.split("/", 1)[1]).decode(errors="replace") if key.split("/", 1)[1] else key
    return Variable(key, dtype, counts.pop(), name)


@dataclass(frozen=True, eq=False)
class VarData(Prepared):
    """READ_VARIABLE (tensor = its output) / ASSIGN_VARIABLE (tensor = the value) / VAR_HANDLE."""

    var: Variable | None
    tensor: int = -1


@dataclass(frozen=True, eq=False)
class CallOnceData(Prepared):
    inits: tuple[tuple[Variable, np.ndarray], ...]


@register_op("VAR_HANDLE")
def prepare_handle(op: Op, g: Graph) -> VarData:
    """A handle is resolved here: no code, no memory."""
    return VarData(op.index, op.opcode, variable(g, variable_key(op.options)))


@register_op("READ_VARIABLE", "ASSIGN_VARIABLE")
def prepare_access(op: Op, g: Graph) -> VarData:
    var = variable(g, _handle_key(g, op.inputs[0]))
    return VarData(op.index, op.opcode, var, op.outputs[0] if op.opcode == "READ_VARIABLE" else op.inputs[1])


@register_op("CALL_ONCE")
def prepare_call_once(op: Op, g: Graph) -> CallOnceData:
    k = int(op.options.get("init_subgraph_index", -1))
    init = g.init_subgraphs.get(k)
    if init is None:
        raise Refusal(f"init subgraph {k} does not exist")
    if init.problem:
        raise Refusal(f"init subgraph {k} cannot be resolved at generation time: {init.problem}")
    inits = []
    for key, t in sorted(init.values.items()):
        var = variable(g, key)
        inits.append((var, np.ascontiguousarray(t.data).reshape(-1).view(np.dtype(t.data.dtype))))
    return CallOnceData(op.index, op.opcode, tuple(inits))


@variant("VAR_HANDLE", "portable")
def lower_handle(d: VarData, em: Emitter) -> None:
    assert d.var is not None
    em.static(d.var.key, d.var.dtype, d.var.count, f"variable '{d.var.name}' {d.var.dtype}[{d.var.count}]")


@variant("READ_VARIABLE", "portable")
def lower_read(d: VarData, em: Emitter) -> None:
    assert d.var is not None
    buf = em.static(d.var.key, d.var.dtype, d.var.count)
    em.call(f"memcpy({em.tensor(d.tensor)}, {buf}, {d.var.nbytes})")


@variant("ASSIGN_VARIABLE", "portable")
def lower_assign(d: VarData, em: Emitter) -> None:
    assert d.var is not None
    buf = em.static(d.var.key, d.var.dtype, d.var.count)
    em.call(f"memcpy({buf}, {em.tensor(d.tensor)}, {d.var.nbytes})")


@variant("CALL_ONCE", "portable")
def lower_call_once(d: CallOnceData, em: Emitter) -> None:
    """The initial values, assigned on the first invocation after start-up or a reset."""
    body = " ".join(f"memcpy({em.static(v.key, v.dtype, v.count)}, {em.const(vals, 'init')}, {v.nbytes});"
                    for v, vals in d.inits)
    em.call(f"if (!tq_call_once_done) {{ tq_call_once_done = 1; {body} }}")
