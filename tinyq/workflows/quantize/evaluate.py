"""Run .tflite models with LiteRT's interpreter for accuracy and agreement (not bit-exactness:
that is `tinyq verify`'s job, against TFLM)."""
from __future__ import annotations

import sys

import numpy as np


def predict(model: bytes, x: np.ndarray, progress: bool = True, desc: str = "") -> np.ndarray:
    """Float outputs for float inputs, quantizing/dequantizing at an int8 model's edges."""
    from ai_edge_litert.interpreter import Interpreter

    from tinyq.workflows.quantize.quiet import quiet

    with quiet():                          # "Created TensorFlow Lite XNNPACK delegate" etc.
        interp = Interpreter(model_content=model)
        interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    res = []
    it = range(len(x))
    if progress:
        from tqdm import tqdm
        # delay: a bar only when evaluation takes more than a second
        it = tqdm(it, desc=f"evaluating {desc}".rstrip(), unit="sample", file=sys.stderr, leave=False, delay=1.0)
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
