"""What a converted .tflite contains: its ops and which of them compute in float."""
from __future__ import annotations

from dataclasses import dataclass

_FLOAT_TYPES = {0, 1, 11}        # TensorType FLOAT32, FLOAT16, FLOAT64


@dataclass
class OpInfo:
    name: str                    # builtin name (CONV_2D) or the custom code
    float_io: bool               # any input or output tensor is floating point


def list_ops(blob: bytes) -> list[OpInfo]:
    """The ops of every subgraph, in order."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(blob, 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = []
    for i in range(model.OperatorCodesLength()):
        c = model.OperatorCodes(i)
        code = max(c.BuiltinCode(), c.DeprecatedBuiltinCode())     # the schema's rule for old files
        custom = c.CustomCode()
        codes.append(custom.decode() if custom else names.get(code, f"BUILTIN_{code}"))
    out = []
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        for o in range(sg.OperatorsLength()):
            op = sg.Operators(o)
            idx = [op.Inputs(k) for k in range(op.InputsLength())] + \
                  [op.Outputs(k) for k in range(op.OutputsLength())]
            is_float = any(t >= 0 and sg.Tensors(t).Type() in _FLOAT_TYPES for t in idx)
            out.append(OpInfo(codes[op.OpcodeIndex()], is_float))
    return out


def float_ops(blob: bytes) -> list[str]:
    """Names of the ops left computing in float (the QUANTIZE/DEQUANTIZE around them excluded)."""
    ops = [o.name for o in list_ops(blob) if o.float_io and o.name not in ("QUANTIZE", "DEQUANTIZE")]
    return sorted(set(ops))


def uncompilable_ops(blob: bytes) -> list[str]:
    """Ops that `tinyq generate` has no kernel for."""
    from tinyq.ops.registry import load_all

    known = load_all()
    return sorted({o.name for o in list_ops(blob)} - set(known))
