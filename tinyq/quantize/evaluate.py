"""Run .tflite models with LiteRT's interpreter for accuracy and agreement (not bit-exactness:
that is `tinyq verify`'s job, against TFLM)."""
from __future__ import annotations

import sys

import numpy as np


def predict(model: bytes, x: np.ndarray, progress: bool = True) -> np.ndarray:
    """Float outputs for float inputs, quantizing/dequantizing at an int8 model's edges."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    res = []
    it = range(len(x))
    if progress and len(x) >= 200:
        from tqdm import tqdm
        it = tqdm(it, desc="evaluating", unit="sample", file=sys.stderr, leave=False)
    for i in it:
        xi = x[i:i + 1]
        if inp["dtype"] != np.float32:
            scale, zp = inp["quantization"]
            info = np.iinfo(inp["dtype"])
            xi = np.clip(np.round(xi / scale) + zp, info.min, info.max).astype(inp["dtype"])
        interp.set_tensor(inp["index"], xi)
        interp.invoke()
        y = interp.get_tensor(out["index"])
        if out["dtype"] != np.float32:
            scale, zp = out["quantization"]
            y = (y.astype(np.float32) - zp) * scale
        res.append(y[0])
    return np.stack(res)
