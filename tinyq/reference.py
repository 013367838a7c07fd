"""The golden reference: TFLM's own Python interpreter (the `tflite-micro` package)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyq.errors import TinyqError, ToolchainError


class ReferenceError_(TinyqError):
    """TFLM itself cannot run the model, so there is nothing to compare against."""


class TflmReference:
    """Runs a .tflite through TFLM's interpreter, optionally keeping every intermediate tensor."""

    def __init__(self, model_path: str | Path, preserve_all: bool = False):
        try:
            from tflite_micro import runtime
        except ImportError:  # pragma: no cover
            raise ToolchainError("the TFLM reference interpreter is not installed",
                                 "pip install tflite-micro") from None
        cfg = (runtime.InterpreterConfig.kPreserveAllTensors if preserve_all
               else runtime.InterpreterConfig.kAllocationRecording)
        data = Path(model_path).read_bytes()
        # TFLM needs an arena; 10x the model or 4 MB, whichever is larger, always suffices here.
        try:
            self.interp = runtime.Interpreter.from_bytes(data, arena_size=max(len(data) * 10, 4 << 20),
                                                         intrepreter_config=cfg)
        except RuntimeError as exc:
            raise ReferenceError_(
                f"TFLM's interpreter cannot run {Path(model_path).name}: {exc}",
                "the model uses something TFLM does not support (often runtime shape ops from an "
                "unknown batch size); re-convert with a fixed batch of 1 to verify it") from None

    def run(self, inputs: list[np.ndarray], num_outputs: int) -> list[np.ndarray]:
        for i, x in enumerate(inputs):
            self.interp.set_input(x, i)
        self.interp.invoke()
        return [np.array(self.interp.get_output(i)) for i in range(num_outputs)]

    def tensor(self, index: int) -> np.ndarray:
        """An intermediate tensor after run() (needs preserve_all=True)."""
        return np.array(self.interp.GetTensor(index, 0)["tensor_data"])
