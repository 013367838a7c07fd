"""The intermediate representation: tensors and ops of one graph in execution order."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinyq.errors import InternalError

# Bytes per element of the dtypes the frontend understands.
DTYPE_SIZE = {
    "int8": 1, "uint8": 1, "bool": 1, "int16": 2, "float16": 2,
    "int32": 4, "float32": 4, "int64": 8, "float64": 8,
}


@dataclass
class Tensor:
    """One tensor. `data` is set for constants (weights, biases, shape operands)."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: np.ndarray | None = None        # float32, per-tensor (len 1) or per-channel
    zero_point: np.ndarray | None = None   # int64, same length as scale
    quantized_dimension: int = 0
    data: np.ndarray | None = None
    shape_signature: tuple[int, ...] | None = None  # -1 marks an unknown (batch) dimension
    is_variable: bool = False   # state an op keeps across invocations (an LSTM's hidden and cell state)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def is_quantized(self) -> bool:
        return self.scale is not None and len(self.scale) > 0

    @property
    def per_channel(self) -> bool:
        return self.scale is not None and len(self.scale) > 1

    @property
    def num_elements(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def itemsize(self) -> int:
        """Bytes per element; 0 for a dtype tinyq does not know (the validator refuses those
        wherever an op or the graph uses them)."""
        return DTYPE_SIZE.get(self.dtype, 0)

    @property
    def nbytes(self) -> int:
        return self.num_elements * self.itemsize

    @property
    def qscale(self) -> float:
        """The per-tensor scale as a Python float (exactly the float32 value in the file)."""
        if self.scale is None or not len(self.scale):
            raise InternalError(f"tensor '{self.name}' has no quantization scale", "tinyq.ir")
        return float(np.float32(self.scale[0]))

    @property
    def qzero(self) -> int:
        if self.zero_point is None:
            raise InternalError(f"tensor '{self.name}' has no zero point", "tinyq.ir")
        return int(self.zero_point[0]) if len(self.zero_point) else 0


@dataclass
class Op:
    """One operator. `inputs` may hold -1 for an omitted optional input (e.g. no bias).

    `epilogue` holds ops fused into this one (a residual ADD after a CONV_2D): each reads this
    op's result (`body_output`, a tensor that is then never stored) and possibly other tensors;
    `outputs` are what the fused op stores, and `reads` lists every tensor it reads."""

    index: int
    opcode: str                     # builtin name as in the schema, e.g. "CONV_2D"
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    epilogue: list["Op"] = field(default_factory=list)
    body_output: int = -1           # with an epilogue: the op's own (unstored) result

    @property
    def reads(self) -> list[int]:
        """Every tensor the (fused) op reads, its own inputs first, -1 for omitted ones."""
        extra = [t for e in self.epilogue for t in e.inputs if t != self.body_output and t not in self.inputs]
        return list(self.inputs) + extra

    @property
    def label(self) -> str:
        return "+".join([self.opcode, *(e.opcode for e in self.epilogue)])


def variable_key(options: dict[str, Any]) -> str:
    """A resource variable's identity: VAR_HANDLE's container and shared name (as the reader
    stores them, hex)."""
    return f"{options.get('container') or ''}/{options.get('shared_name') or ''}"


@dataclass
class InitSubgraph:
    """A subgraph CALL_ONCE runs: the constant it assigns to each variable (by variable_key),
    or `problem`, why tinyq cannot run it at generation time."""

    values: dict[str, Tensor] = field(default_factory=dict)
    problem: str = ""


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    name: str = "model"
    init_subgraphs: dict[int, InitSubgraph] = field(default_factory=dict)   # by subgraph index

    def t(self, index: int) -> Tensor:
        return self.tensors[index]

    def producers(self) -> dict[int, int]:
        """Tensor index -> index (position) of the op that writes it."""
        return {o: i for i, op in enumerate(self.ops) for o in op.outputs}

    def consumers(self) -> dict[int, list[int]]:
        """Tensor index -> positions of the ops that read it."""
        res: dict[int, list[int]] = {}
        for i, op in enumerate(self.ops):
            for t in op.reads:
                if t >= 0:
                    res.setdefault(t, []).append(i)
        return res

    @property
    def param_bytes(self) -> int:
        """Raw bytes of all constant tensors (what the flatbuffer stores)."""
        return int(sum(t.data.nbytes for t in self.tensors if t.data is not None))

    def renumber(self) -> None:
        """Make op.index equal to the op's position after passes removed or added ops."""
        for i, op in enumerate(self.ops):
            op.index = i
