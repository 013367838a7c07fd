"""The golden reference: TFLM's own Python interpreter (the `tflite-micro` package).

It runs in a child process: TFLM aborts the whole process on some models it rejects (a failed
TFLITE_CHECK), and that must become a clear error, not a dead CLI.

Where TFLM itself cannot run a model (its current commit has no TILE kernel, its FILL rejects
a computed shape, it has no uint8 -> uint8 QUANTIZE), `run_golden` falls back to LiteRT's
reference kernels (`OpResolverType.BUILTIN_REF`, package ai-edge-litert: mostly the reference_ops
code TFLM's kernels are built from, though not identical everywhere: its FULLY_CONNECTED rounds
differently at rare ties) and says so."""
from __future__ import annotations

import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinyq.errors import TinyqError


class ReferenceError_(TinyqError):
    """TFLM itself cannot run the model, so there is nothing to compare against."""


TFLM = "TFLM"
LITERT_REF = "LiteRT BUILTIN_REF"   # the fallback where TFLM cannot run an integer model
LITERT = "LiteRT"                   # float models: LiteRT's own kernels, within a tolerance


@dataclass
class Golden:
    """Reference outputs per sample, the requested intermediate tensors, and which interpreter
    gave them (TFLM, or LiteRT's reference kernels where TFLM cannot run the model)."""

    outputs: list[list[np.ndarray]]
    layers: list[list[np.ndarray]] = field(default_factory=list)
    reference: str = TFLM
    tflm_error: str = ""     # why TFLM could not run it, when the fallback was used


def _run(model_path: str | Path, inputs: list[np.ndarray], num_outputs: int, layer_tensors: list[int] | None,
         timeout: float, engine: str) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]], list[str]]:
    job = {"model": str(model_path), "inputs": inputs, "num_outputs": num_outputs,
           "layers": layer_tensors or [], "engine": engine}
    who = "TFLM's interpreter" if engine == TFLM else "LiteRT's reference kernels"
    try:
        res = subprocess.run([sys.executable, "-m", "tinyq.targets.reference"], input=pickle.dumps(job),
                             capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ReferenceError_(f"{who} did not finish within {timeout:.0f} s") from None
    if res.returncode != 0:
        tail = res.stderr.decode(errors="replace").strip().splitlines()[-6:]
        how = f"signal {-res.returncode}" if res.returncode < 0 else f"exit {res.returncode}"
        raise ReferenceError_(
            f"{who} failed on {Path(model_path).name} ({how}): " + " | ".join(tail),
            "TFLM rejects this model, so there is no reference to compare with; a model converted "
            "with a fixed batch of 1 and sensible quantization ranges avoids most such failures")
    out = pickle.loads(res.stdout)
    return out["outputs"], out["layers"], out.get("notes", [])


def run_reference(model_path: str | Path, inputs: list[np.ndarray], num_outputs: int,
                  layer_tensors: list[int] | None = None, timeout: float = 1800
                  ) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Run every sample through TFLM, in order, on one interpreter (resource variables carry
    over from one sample to the next, as on the device). inputs: one array per model input,
    leading sample axis. Returns (outputs per sample, the requested intermediate tensors per
    sample)."""
    outs, layers, _ = _run(model_path, inputs, num_outputs, layer_tensors, timeout, TFLM)
    return outs, layers


def run_golden(model_path: str | Path, inputs: list[np.ndarray], num_outputs: int,
               layer_tensors: list[int] | None = None, timeout: float = 1800, fallback: bool = True) -> Golden:
    """TFLM's outputs; where TFLM cannot run the model and `fallback`, LiteRT's reference
    kernels' (Golden.reference says which). If both fail, TFLM's error."""
    try:
        return Golden(*run_reference(model_path, inputs, num_outputs, layer_tensors, timeout))
    except ReferenceError_ as tflm_exc:
        if not fallback:
            raise
        try:
            outs, layers, notes = _run(model_path, inputs, num_outputs, layer_tensors, timeout, LITERT_REF)
        except ReferenceError_ as ref_exc:
            raise ReferenceError_(f"{tflm_exc}; the fallback, {ref_exc}", tflm_exc.hint) from None
        return Golden(outs, layers, LITERT_REF, str(tflm_exc) + "".join(f" ({n})" for n in notes))


def run_litert(model_path: str | Path, inputs: list[np.ndarray], num_outputs: int,
               layer_tensors: list[int] | None = None) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Run every sample through LiteRT's interpreter (`ai_edge_litert`), the reference of float
    models. Same arguments and results as `run_reference`."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        raise ReferenceError_("LiteRT's interpreter (ai_edge_litert) is not installed",
                              "pip install ai-edge-litert") from None
    try:
        # TFLite's own kernels (its float and hybrid ones), not the XNNPACK delegate
        interp = Interpreter(model_path=str(model_path), num_threads=1,
                             experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                             experimental_preserve_all_tensors=bool(layer_tensors))
        interp.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        raise ReferenceError_(f"LiteRT cannot load {Path(model_path).name}: {exc}") from None
    ins, outs = interp.get_input_details(), interp.get_output_details()
    outputs, layers = [], []
    for s in range(len(inputs[0])):
        for d, x in zip(ins, inputs):
            interp.set_tensor(d["index"], x[s].reshape(d["shape"]).astype(d["dtype"]))
        interp.invoke()
        outputs.append([np.array(interp.get_tensor(outs[i]["index"])) for i in range(num_outputs)])
        layers.append([np.array(interp.get_tensor(t)) for t in layer_tensors or []])
    return outputs, layers


def _worker() -> None:
    """Child process: read a pickled job on stdin, write pickled results on stdout."""
    job = pickle.loads(sys.stdin.buffer.read())
    if job.get("engine") == LITERT_REF:
        _worker_litert(job)
        return
    from tflite_micro import runtime

    data = Path(job["model"]).read_bytes()
    cfg = (runtime.InterpreterConfig.kPreserveAllTensors if job["layers"]
           else runtime.InterpreterConfig.kAllocationRecording)
    try:
        interp = runtime.Interpreter.from_bytes(data, arena_size=max(len(data) * 10, 4 << 20),
                                                intrepreter_config=cfg)
    except RuntimeError as exc:
        print(f"cannot allocate the model: {exc}", file=sys.stderr)
        sys.exit(3)
    outputs, layers = [], []
    for s in range(len(job["inputs"][0])):
        for i, x in enumerate(job["inputs"]):
            interp.set_input(x[s], i)
        try:
            interp.invoke()
        except RuntimeError as exc:
            print(f"invoke failed: {exc}", file=sys.stderr)
            sys.exit(4)
        outputs.append([np.array(interp.get_output(i)) for i in range(job["num_outputs"])])
        layers.append([np.array(interp.GetTensor(t, 0)["tensor_data"]) for t in job["layers"]])
    sys.stdout.buffer.write(pickle.dumps({"outputs": outputs, "layers": layers}))


def _litert_interpreter(path: str, preserve: bool) -> tuple[Any, list[str]]:
    """LiteRT's interpreter on its reference kernels. Where its resolver registers an op only up to
    an older version than the file names (TILE 3: the version that added int8, which its templated
    copy kernel handles anyway), the file's op version is lowered until the resolver has it; the
    notes say which."""
    import re

    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    data, notes = Path(path).read_bytes(), []
    for _ in range(16):
        try:
            interp = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                                 experimental_preserve_all_tensors=preserve)
            interp.allocate_tensors()
            return interp, notes
        except (RuntimeError, ValueError) as exc:
            m = re.search(r"Didn't find op for builtin opcode '(\w+)' version '(\d+)'", str(exc))
            if not m or int(m.group(2)) <= 1:
                raise
            data = _lower_op_version(data, m.group(1), int(m.group(2)))
            notes.append(f"{m.group(1)} version {m.group(2)} run as {int(m.group(2)) - 1}")
    raise RuntimeError("cannot find op versions LiteRT's reference resolver registers")


def _lower_op_version(data: bytes, opname: str, version: int) -> bytes:
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    m = fbu.convert_bytearray_to_object(bytearray(data))
    code = getattr(schema.BuiltinOperator, opname)
    for c in m.operatorCodes:
        if max(c.builtinCode, c.deprecatedBuiltinCode) == code and c.version == version:
            c.version = version - 1
    return bytes(fbu.convert_object_to_bytearray(m))


def _worker_litert(job: dict) -> None:
    """The same job on LiteRT's interpreter with its reference kernels only (no XNNPACK, no
    optimized kernels), samples in order on one interpreter."""
    try:
        interp, notes = _litert_interpreter(job["model"], bool(job["layers"]))
    except (RuntimeError, ValueError) as exc:
        print(f"cannot allocate the model: {exc}", file=sys.stderr)
        sys.exit(3)
    ins, outs = interp.get_input_details(), interp.get_output_details()
    outputs, layers = [], []
    for s in range(len(job["inputs"][0])):
        for d, x in zip(ins, job["inputs"]):
            interp.set_tensor(d["index"], np.ascontiguousarray(x[s]).reshape(d["shape"]))
        try:
            interp.invoke()
        except RuntimeError as exc:
            print(f"invoke failed: {exc}", file=sys.stderr)
            sys.exit(4)
        outputs.append([np.array(interp.get_tensor(d["index"])) for d in outs[:job["num_outputs"]]])
        layers.append([np.array(interp.get_tensor(t)) for t in job["layers"]])
    sys.stdout.buffer.write(pickle.dumps({"outputs": outputs, "layers": layers, "notes": notes}))


if __name__ == "__main__":
    _worker()
