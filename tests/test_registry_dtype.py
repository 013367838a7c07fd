"""Typed prepare steps: `register_op(..., dtype="float32")` and the variants that lower their records."""
from __future__ import annotations

import numpy as np
import pytest

from tinyq.errors import InternalError
from tinyq.ir import Graph, Op, Tensor
from tinyq.ops import registry
from tinyq.ops.registry import REGISTRY, Prepared, Refusal, load_all, pick, prepare, register_op, variant


def _fc(dtype: str) -> tuple[Op, Graph]:
    q = {"scale": np.array([0.1], np.float32), "zero_point": np.array([0])} if dtype == "int8" else {}
    ts = [Tensor(0, "x", (1, 4), dtype, **q),
          Tensor(1, "w", (3, 4), dtype, data=np.ones((3, 4), dtype), **q),
          Tensor(2, "y", (1, 3), dtype, **q)]
    return Op(0, "FULLY_CONNECTED", [0, 1], [2]), Graph(ts, [], [0], [2])


@pytest.mark.parametrize("dtype,kernel_dtype", [("int8", None), ("float32", "float32")])
def test_prepare_dispatches_on_the_first_input_type(dtype: str, kernel_dtype: str | None) -> None:
    load_all()
    data = prepare(*_fc(dtype))
    assert isinstance(data, Prepared) and data.kernel_dtype == kernel_dtype
    for family in registry.FAMILIES:
        v = pick(data, family)
        assert v is not None and v.dtype == kernel_dtype    # never the other type's kernel


def test_float_input_with_int8_weights_is_a_hybrid_layer() -> None:
    op, g = _fc("float32")
    q = {"scale": np.array([0.1], np.float32), "zero_point": np.array([0])}
    g.tensors[1] = Tensor(1, "w", (3, 4), "int8", data=np.ones((3, 4), np.int8), **q)
    data = prepare(op, g)
    assert isinstance(data, Prepared) and data.kernel_dtype == "float32"
    v = pick(data, "portable")
    assert v is not None and v.name == "fully_connected_hybrid"
    v = pick(data, "dsp")      # SMLAD on the int8 weights (hybrid_dsp.c)
    assert v is not None and v.name == "fully_connected_dsp_hybrid"
    g.tensors[1] = Tensor(1, "w", (3, 4), "int8", data=np.ones((3, 4), np.int8),
                          scale=np.array([0.1], np.float32), zero_point=np.array([3]))
    got = prepare(op, g)
    assert isinstance(got, Refusal) and "symmetric" in got.reason
    # an int8 constant where only float32 fits (an ADD operand) is refused, saying what may be int8
    ts = [Tensor(0, "x", (1, 4), "float32"), Tensor(1, "c", (1, 4), "int8", data=np.ones((1, 4), np.int8), **q),
          Tensor(2, "y", (1, 4), "float32")]
    got = prepare(Op(0, "ADD", [0, 1], [2]), Graph(ts, [], [0], [2]))
    assert isinstance(got, Refusal) and "dynamic range" in got.reason


def test_typed_registration_is_separate_and_checked() -> None:
    name = "TEST_ONLY_TYPED_OP"
    try:
        fn = register_op(name, dtype="float32")(lambda op, g: Prepared(op.index, op.opcode))
        with pytest.raises(InternalError):
            register_op(name, dtype="float32")(fn)
        with pytest.raises(InternalError):      # no untyped prepare step for it yet
            variant(name, "portable")(lambda d, em: None)
        variant(name, "portable", dtype="float32")(lambda d, em: None)
        register_op(name)(fn)                   # the op's own step may still come (load order)
        assert REGISTRY[name].prepare is fn and REGISTRY[name].typed == {"float32": fn}
        # the untyped record (kernel_dtype None) has no variant of its own: nothing to pick
        assert pick(Prepared(0, name), "portable") is None
    finally:
        REGISTRY.pop(name, None)
