"""Read a .tflite flatbuffer into the IR, validating it before trusting any of it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from tinyq.errors import ModelError
from tinyq.frontend.validate import validate
from tinyq.ir import DTYPE_SIZE, Graph, InitSubgraph, Op, Tensor, variable_key

try:  # the schema module that ai-edge-litert installs (generated flatbuffer code)
    from ai_edge_litert import schema_py_generated as schema
except ImportError:  # pragma: no cover - tflite-micro ships the same module
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema  # type: ignore

_TYPE_NAMES = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
_OP_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
_OPTION_TYPES = {v: k for k, v in vars(schema.BuiltinOptions).items() if not k.startswith("_")}
_PADDING = {0: "SAME", 1: "VALID"}
MAX_MODEL_BYTES = 512 << 20   # a model file tinyq reads into memory at all
_ACTIVATION = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
_NP_DTYPES = {
    "int8": np.int8, "uint8": np.uint8, "bool": np.bool_, "int16": np.int16,
    "float16": np.float16, "int32": np.int32, "float32": np.float32, "int64": np.int64,
    "float64": np.float64,
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _options(opts: Any) -> dict[str, Any]:
    """Builtin options object -> plain dict with snake_case keys and enum names as strings."""
    if opts is None:
        return {}
    out: dict[str, Any] = {}
    for key, value in vars(opts).items():
        key = _snake(key)
        if key == "padding":
            value = _PADDING.get(value, value)
        elif key == "fused_activation_function":
            value = _ACTIVATION.get(value, value)
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, (bytes, bytearray)):
            value = bytes(value).hex()       # JSON-safe; no option tinyq reads is bytes
        elif isinstance(value, list):
            value = [v.hex() if isinstance(v, (bytes, bytearray)) else v for v in value]
        elif value is not None and not isinstance(value, (bool, int, float, str)):
            continue                         # nested tables (none in the options tinyq reads)
        out[key] = value
    return out


def read_tflite(path: str | Path) -> Graph:
    """Parse and validate a .tflite file. Raises ModelError with a clear message if it is bad."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}", "check the path; tinyq reads .tflite files")
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise ModelError(f"model file {path} is {size:,} bytes, more than tinyq reads "
                             f"({MAX_MODEL_BYTES >> 20} MiB)",
                             "a microcontroller model is at most a few MiB; is this the right file?")
        buf = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}",
                         "check the path and its permissions") from None
    return parse_tflite(buf, name=path.stem)


def parse_tflite(buf: bytes, name: str = "model") -> Graph:
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ModelError(
            f"'{name}' is not a TFLite flatbuffer (no 'TFL3' identifier)",
            "pass a .tflite file produced by the TFLite converter (e.g. `tinyq quantize`)",
        )
    try:
        model = schema.ModelT.InitFromPackedBuf(bytearray(buf), 0)
    except Exception as exc:  # flatbuffers raises assorted errors on truncated data
        raise ModelError(f"'{name}' is corrupt or truncated: {exc.__class__.__name__}: {exc}",
                         "re-export the model; the file could not be parsed") from None
    try:
        return _to_graph(model, buf, name)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"'{name}' is corrupt: {exc.__class__.__name__}: {exc}",
                         "re-export the model; its contents are inconsistent") from None


def _buffer_bytes(model: Any, index: int, buf: bytes, name: str) -> bytes | None:
    buffers = model.buffers or []
    if not 0 <= index < len(buffers):
        raise ModelError(f"'{name}': tensor refers to buffer {index}, but the file has {len(buffers)}")
    b = buffers[index]
    if b.data is not None and len(b.data):
        return bytes(np.asarray(b.data, dtype=np.uint8))
    if getattr(b, "offset", 0) and b.offset > 1:  # large models keep data after the flatbuffer
        if b.offset + b.size > len(buf):
            raise ModelError(f"'{name}': buffer {index} runs past the end of the file (truncated?)")
        return buf[b.offset:b.offset + b.size]
    return None


def _tensors(model: Any, sg: Any, buf: bytes, name: str) -> list[Tensor]:
    """The tensors of one subgraph, constants with their data."""
    tensors: list[Tensor] = []
    for i, t in enumerate(sg.tensors or []):
        dtype = _TYPE_NAMES.get(t.type, f"type{t.type}")
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
        if any(d < 0 for d in shape):
            raise ModelError(f"'{name}': tensor {i} has a negative dimension {shape}")
        q = t.quantization
        scale = zp = None
        qdim = 0
        if q is not None and q.scale is not None and len(q.scale):
            scale = np.asarray(q.scale, dtype=np.float32)
            zp = (np.asarray(q.zeroPoint, dtype=np.int64) if q.zeroPoint is not None
                  else np.zeros(len(scale), np.int64))
            qdim = int(q.quantizedDimension)
        raw = _buffer_bytes(model, t.buffer, buf, name)
        data = None
        if raw is not None:
            if dtype not in _NP_DTYPES:
                if dtype.startswith("type"):
                    raise ModelError(f"'{name}': constant tensor {i} has type number {dtype[4:]}, which no "
                                     "TFLite schema defines", "the file is corrupt or from a newer schema")
                # a string or other constant tinyq does not compile: kept as its raw bytes, so that
                # `inspect` shows it and the ops that read it refuse it
                tensors.append(Tensor(i, (t.name or b"").decode(errors="replace"), shape, dtype, scale, zp,
                                      qdim, np.frombuffer(raw, dtype=np.uint8).copy()))
                continue
            n = int(np.prod(shape, dtype=np.int64)) if shape else 1
            if len(raw) != n * DTYPE_SIZE[dtype]:
                raise ModelError(f"'{name}': tensor {i} ({t.name.decode(errors='replace')}) expects "
                                 f"{n * DTYPE_SIZE[dtype]} bytes of data but its buffer holds {len(raw)}")
            data = np.frombuffer(raw, dtype=_NP_DTYPES[dtype]).reshape(shape).copy()
        sig = tuple(int(d) for d in t.shapeSignature) if t.shapeSignature is not None else None
        tensors.append(Tensor(i, (t.name or b"").decode(errors="replace"), shape, dtype,
                              scale, zp, qdim, data, sig, bool(getattr(t, "isVariable", False))))
    return tensors


def _to_graph(model: Any, buf: bytes, name: str) -> Graph:
    if not model.subgraphs:
        raise ModelError(f"'{name}' has no subgraph")
    sg = model.subgraphs[0]
    codes = model.operatorCodes or []
    tensors = _tensors(model, sg, buf, name)

    def check_index(idx: int, where: str, allow_missing: bool = False) -> int:
        idx = int(idx)
        if allow_missing and idx == -1:
            return idx
        if not 0 <= idx < len(tensors):
            raise ModelError(f"'{name}': {where} refers to tensor {idx}, but there are {len(tensors)}",
                             "the file is corrupt: every tensor index must name one of its tensors")
        return idx

    ops: list[Op] = []
    option_types: list[str | None] = []
    for i, o in enumerate(sg.operators or []):
        if not 0 <= o.opcodeIndex < len(codes):
            raise ModelError(f"'{name}': op {i} has opcode index {o.opcodeIndex} out of range",
                             f"the file has {len(codes)} operator codes; it is corrupt")
        code = codes[o.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        opname = _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
        if opname == "CUSTOM":
            opname = "CUSTOM:" + (code.customCode or b"?").decode(errors="replace")
        ins = [check_index(x, f"op {i} ({opname}) input", True) for x in (o.inputs if o.inputs is not None else [])]
        outs = [check_index(x, f"op {i} ({opname}) output") for x in (o.outputs if o.outputs is not None else [])]
        ops.append(Op(i, opname, ins, outs, _options(o.builtinOptions), int(code.version)))
        option_types.append(None if o.builtinOptions is None else
                            _OPTION_TYPES.get(int(o.builtinOptionsType), type(o.builtinOptions).__name__))
    inputs = [check_index(x, "graph input") for x in (sg.inputs if sg.inputs is not None else [])]
    outputs = [check_index(x, "graph output") for x in (sg.outputs if sg.outputs is not None else [])]
    if not inputs or not outputs:
        raise ModelError(f"'{name}' declares no graph inputs or outputs")
    g = Graph(tensors, ops, inputs, outputs, name=_c_identifier(name))
    validate(g, option_types)
    for k in range(1, len(model.subgraphs)):
        g.init_subgraphs[k] = _init_subgraph(model, k, buf, name)
    return g


def _init_subgraph(model: Any, k: int, buf: bytes, name: str) -> InitSubgraph:
    """What a subgraph CALL_ONCE may run does, if it only assigns constants to resource
    variables (what the converter writes for a variable's initial value); otherwise why not."""
    sg = model.subgraphs[k]
    codes = model.operatorCodes or []
    tensors = _tensors(model, sg, buf, f"{name} subgraph {k}")
    handles: dict[int, str] = {}
    init = InitSubgraph()
    for i, o in enumerate(sg.operators or []):
        code = codes[o.opcodeIndex] if 0 <= o.opcodeIndex < len(codes) else None
        opname = _OP_NAMES.get(max(int(code.builtinCode), int(code.deprecatedBuiltinCode)), "?") if code else "?"
        ins = [int(x) for x in (o.inputs if o.inputs is not None else [])]
        outs = [int(x) for x in (o.outputs if o.outputs is not None else [])]
        if opname == "VAR_HANDLE" and len(outs) == 1:
            handles[outs[0]] = variable_key(_options(o.builtinOptions))
        elif (opname == "ASSIGN_VARIABLE" and len(ins) == 2 and ins[0] in handles
              and 0 <= ins[1] < len(tensors) and tensors[ins[1]].is_const):
            init.values[handles[ins[0]]] = tensors[ins[1]]
        else:
            init.problem = init.problem or f"its op {i} ({opname}) does more than assign a constant to a variable"
    return init


def _c_identifier(name: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)[:64]
    return ident if ident and not ident[0].isdigit() else "m_" + ident
