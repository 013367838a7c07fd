"""TFLM's builtin operators (its micro_ops.h registrations, signal-processing custom ops aside) with
the types TFLM's reference kernels take, and what tinyq compiles of each: the op table in
docs/ARCHITECTURE.md is `python -m tinyq.ops.optable` (a test fails when it is stale), and
`tinyq inspect` names the TFLM ops tinyq still lacks."""
from __future__ import annotations

from tinyq.ops.registry import REGISTRY, load_all

# op -> the types TFLM's kernel takes (activations; 16x8 = int16 activations, int8 weights)
TFLM_OPS: dict[str, str] = {
    "ABS": "float32, int8, int16", "ADD": "float32, int8, int16, int32", "ADD_N": "float32, int8",
    "ARG_MAX": "float32, int8, int32 -> int32", "ARG_MIN": "float32, int8, int32 -> int32",
    "ASSIGN_VARIABLE": "any", "AVERAGE_POOL_2D": "float32, int8, int16", "BATCH_MATMUL": "float32, int8, int16",
    "BATCH_TO_SPACE_ND": "float32, int8", "BROADCAST_ARGS": "int32, int64", "BROADCAST_TO": "any",
    "CALL_ONCE": "-", "CAST": "integer, float32, bool", "CEIL": "float32",
    "CONCATENATION": "float32, int8, int16, int32, int64, bool", "CONV_2D": "float32, int8, 16x8", "COS": "float32",
    "CUMSUM": "float32, int8", "DEPTH_TO_SPACE": "float32, int8", "DEPTHWISE_CONV_2D": "float32, int8, 16x8",
    "DEQUANTIZE": "int8, uint8, int16 -> float32", "DIV": "float32, int8",
    "DYNAMIC_UPDATE_SLICE": "float32, int8, int16, int32, int64", "ELU": "float32, int8",
    "EMBEDDING_LOOKUP": "float32, int8 (hybrid)", "EQUAL": "bool, float32, int8, int32, int64", "EXP": "float32",
    "EXPAND_DIMS": "any", "FILL": "float32, int8, int16, int32, bool", "FLOOR": "float32",
    "FLOOR_DIV": "float32", "FLOOR_MOD": "float32", "FULLY_CONNECTED": "float32, int8, 16x8",
    "GATHER": "float32, int8, int32 (int32/int64 indices)", "GATHER_ND": "float32, int8 (int32 indices)",
    "GREATER": "float32, int8, int16, int32, int64", "GREATER_EQUAL": "float32, int8, int16, int32, int64",
    "HARD_SWISH": "float32, int8", "IF": "control flow", "L2_NORMALIZATION": "float32, int8",
    "L2_POOL_2D": "float32", "LEAKY_RELU": "float32, int8, int16", "LESS": "float32, int8, int16, int32, int64",
    "LESS_EQUAL": "float32, int8, int16, int32, int64", "LOG": "float32", "LOG_SOFTMAX": "float32, int8",
    "LOGICAL_AND": "bool", "LOGICAL_NOT": "bool", "LOGICAL_OR": "bool", "LOGISTIC": "float32, int8, int16",
    "MAX_POOL_2D": "float32, int8, int16", "MAXIMUM": "float32, int8, int32", "MEAN": "float32, int8, int16",
    "MINIMUM": "float32, int8, int32", "MIRROR_PAD": "float32, int8, int16", "MUL": "float32, int8, int16, int32",
    "NEG": "float32", "NOT_EQUAL": "bool, float32, int8, int32, int64", "PACK": "float32, int8, int32, int64",
    "PAD": "float32, int8, int16, int32", "PADV2": "float32, int8, int16, int32", "PRELU": "float32, int8",
    "QUANTIZE": "float32/int8/uint8/int16/int32 pairs", "READ_VARIABLE": "any", "REDUCE_ALL": "bool",
    "REDUCE_MAX": "float32, int8", "REDUCE_MIN": "float32, int8", "RELU": "float32, int8, int16",
    "RELU6": "float32, int8, int16", "RESHAPE": "any", "RESIZE_BILINEAR": "float32, int8",
    "RESIZE_NEAREST_NEIGHBOR": "float32, int8, int16", "REVERSE_V2": "float32, int8, int16, int32",
    "ROUND": "float32", "RSQRT": "float32, int8", "SELECT_V2": "float32, int8, int16, int32, bool",
    "SHAPE": "-> int32", "SIN": "float32", "SLICE": "float32, int8, int16, int32, bool",
    "SOFTMAX": "float32, int8, int16", "SPACE_TO_BATCH_ND": "float32, int8", "SPACE_TO_DEPTH": "float32, int8",
    "SPLIT": "float32, int8, int16, int32", "SPLIT_V": "float32, int8, int16, int32", "SQRT": "float32",
    "SQUARE": "float32", "SQUARED_DIFFERENCE": "float32, int8, int16, int32", "SQUEEZE": "any",
    "STRIDED_SLICE": "float32, int8, int16, int32, bool", "SUB": "float32, int8, int16, int32",
    "SUM": "float32, int8, int16", "SVDF": "float32, int8 (int16 state)", "TANH": "float32, int8, int16",
    "TRANSPOSE": "float32, int8, int16", "TRANSPOSE_CONV": "float32, int8, 16x8",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "float32, int8 (int16 gates), 16x8", "UNPACK": "float32, int8, int32",
    "VAR_HANDLE": "-", "WHILE": "control flow", "ZEROS_LIKE": "float32, int32, int64",
}

# what tinyq compiles of each op it has (types; "bytes" = any element type, copied unchanged)
TINYQ: dict[str, str] = {
    "ABS": "int8, int16", "ADD": "int8, int16", "ADD_N": "int8", "ARG_MAX": "int8, int16, int32 -> int32, int64",
    "ARG_MIN": "int8, int16, int32 -> int32, int64", "ASSIGN_VARIABLE": "bytes (static RAM)",
    "AVERAGE_POOL_2D": "int8", "BATCH_MATMUL": "int8", "BATCH_TO_SPACE_ND": "bytes", "BROADCAST_TO": "bytes",
    "CALL_ONCE": "constant initial values",
    "CAST": "int8, uint8, int16, int32, int64, float32, bool", "CONCATENATION": "int8", "CONV_2D": "int8, 16x8",
    "CUMSUM": "int8", "DEPTH_TO_SPACE": "bytes", "DIV": "int8", "DEPTHWISE_CONV_2D": "int8",
    "DEQUANTIZE": "int8, uint8, int16 -> float32",
    "DYNAMIC_UPDATE_SLICE": "bytes (int32/int64 indices)", "ELU": "int8", "EQUAL": "int8, int32, bool",
    "EXPAND_DIMS": "bytes (a view)", "FILL": "bytes",
    "FULLY_CONNECTED": "int8", "GATHER": "bytes (int32/int64 indices)", "GATHER_ND": "bytes (int32 indices)",
    "GREATER": "int8, int32", "GREATER_EQUAL": "int8, int32", "HARD_SWISH": "int8",
    "L2_NORMALIZATION": "int8", "LEAKY_RELU": "int8, int16", "LESS": "int8, int32", "LESS_EQUAL": "int8, int32",
    "LOG_SOFTMAX": "int8", "LOGICAL_AND": "bool", "LOGICAL_NOT": "bool", "LOGICAL_OR": "bool",
    "LOGISTIC": "int8", "MAX_POOL_2D": "int8", "MAXIMUM": "int8", "MEAN": "int8",
    "MINIMUM": "int8", "MIRROR_PAD": "bytes", "MUL": "int8", "NEG": "int8 (TFLite's)",
    "NOT_EQUAL": "int8, int32, bool", "PACK": "bytes", "PAD": "int8, int16", "PADV2": "int8, int16",
    "PRELU": "int8", "QUANTIZE": "all TFLM's pairs, uint8 -> uint8", "READ_VARIABLE": "bytes (static RAM)",
    "REDUCE_ALL": "bool", "REDUCE_MAX": "int8", "REDUCE_MIN": "int8", "RELU": "int8", "RELU6": "int8",
    "RESHAPE": "bytes (a view)",
    "RESIZE_BILINEAR": "int8", "RESIZE_NEAREST_NEIGHBOR": "int8", "REVERSE_V2": "bytes", "RSQRT": "int8",
    "SELECT_V2": "bytes", "SLICE": "bytes", "SOFTMAX": "int8", "SPACE_TO_BATCH_ND": "bytes",
    "SPACE_TO_DEPTH": "bytes", "SPLIT": "bytes (views where contiguous)", "SPLIT_V": "bytes (views where contiguous)",
    "SQUARED_DIFFERENCE": "int8, int16", "SQUEEZE": "bytes (a view)", "STRIDED_SLICE": "int8, int16",
    "SUB": "int8, int16", "SUM": "int8, int16", "SVDF": "int8 (int16 state in static RAM)", "TANH": "int8",
    "TRANSPOSE": "int8", "TRANSPOSE_CONV": "int8, 16x8",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "int8, 16x8 (int16 gates and cell state; states in static RAM)",
    "UNPACK": "bytes (views where contiguous)", "VAR_HANDLE": "resolved at generation time", "ZEROS_LIKE": "bytes",
    # TFLite builtins TFLM lacks, compiled for the models that use them (checked against LiteRT's reference)
    "TILE": "bytes", "SELECT": "bytes", "RELU_N1_TO_1": "int8",
}

FLOAT_ONLY = "not compiled: float32 only in TFLM (tinyq compiles integer models)"
WHY_NOT = {op: FLOAT_ONLY for op, t in TFLM_OPS.items() if t == "float32"}
WHY_NOT.update({"IF": "not planned: control flow", "WHILE": "not planned: control flow",
                "SHAPE": "folded at generation time (shapes are static)",
                "EMBEDDING_LOOKUP": "not planned: hybrid (int8 table, float32 output); integer models use GATHER",
                "BROADCAST_ARGS": "folded at generation time where its operands are constant"})


def missing() -> list[str]:
    """TFLM's builtins with an integer kernel that tinyq does not compile yet."""
    load_all()
    return sorted(op for op in TFLM_OPS if op not in REGISTRY and op not in WHY_NOT)


def status(op: str) -> str:
    load_all()
    if op in REGISTRY:
        return TINYQ.get(op, "compiled")
    return WHY_NOT.get(op, "not yet")


def markdown() -> str:
    """The op table: every TFLM builtin, its TFLM types, tinyq's status."""
    rows = ["| op | TFLM | tinyq |", "|---|---|---|"]
    rows += [f"| {op} | {types} | {status(op)} |" for op, types in sorted(TFLM_OPS.items())]
    extra = sorted(op for op in load_all() if op not in TFLM_OPS)
    rows += [f"| {op} | (not in TFLM) | {status(op)} |" for op in extra]
    return "\n".join(rows)


def write(doc: str) -> None:
    """Replace the table between the optable markers of the Markdown file `doc`."""
    from pathlib import Path

    p = Path(doc)
    head, rest = p.read_text().split("<!-- optable:begin -->\n", 1)
    tail = rest.split("\n<!-- optable:end -->", 1)[1]
    p.write_text(f"{head}<!-- optable:begin -->\n{markdown()}\n<!-- optable:end -->{tail}")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--write"]:
        write(sys.argv[2])
    else:
        print(markdown())
