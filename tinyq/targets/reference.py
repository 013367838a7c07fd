"""The golden reference: TFLM's own Python interpreter (the `tflite-micro` package).

It runs in a child process: TFLM aborts the whole process on some models it rejects (a failed
TFLITE_CHECK), and that must become a clear error, not a dead CLI."""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

from tinyq.errors import TinyqError


class ReferenceError_(TinyqError):
    """TFLM itself cannot run the model, so there is nothing to compare against."""


def run_reference(model_path: str | Path, inputs: list[np.ndarray], num_outputs: int,
                  layer_tensors: list[int] | None = None, timeout: float = 1800
                  ) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Run every sample through TFLM. inputs: one array per model input, leading sample axis.
    Returns (outputs per sample, the requested intermediate tensors per sample)."""
    job = {"model": str(model_path), "inputs": inputs, "num_outputs": num_outputs,
           "layers": layer_tensors or []}
    try:
        res = subprocess.run([sys.executable, "-m", "tinyq.targets.reference"], input=pickle.dumps(job),
                             capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ReferenceError_(f"TFLM's interpreter did not finish within {timeout:.0f} s") from None
    if res.returncode != 0:
        tail = res.stderr.decode(errors="replace").strip().splitlines()[-6:]
        how = f"signal {-res.returncode}" if res.returncode < 0 else f"exit {res.returncode}"
        raise ReferenceError_(
            f"TFLM's interpreter failed on {Path(model_path).name} ({how}): " + " | ".join(tail),
            "TFLM rejects this model, so there is no reference to compare with; a model converted "
            "with a fixed batch of 1 and sensible quantization ranges avoids most such failures")
    out = pickle.loads(res.stdout)
    return out["outputs"], out["layers"]


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
        interp.invoke()
        outputs.append([np.array(interp.get_output(i)) for i in range(job["num_outputs"])])
        layers.append([np.array(interp.GetTensor(t, 0)["tensor_data"]) for t in job["layers"]])
    sys.stdout.buffer.write(pickle.dumps({"outputs": outputs, "layers": layers}))


if __name__ == "__main__":
    _worker()
