"""tinyq quantize MODEL: post-training quantization (int8, float16, dynamic, float32), or --compare."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tinyq.errors import TinyqError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quantize", help="Keras/SavedModel -> .tflite (full int8 by default), or compare modes")
    p.add_argument("model", help=".keras/.h5 file or SavedModel folder")
    p.add_argument("-o", "--out", help="output .tflite (single mode)")
    p.add_argument("--calib", help="representative data: .npy, .npz (x) or a folder of images")
    p.add_argument("--mode", default="int8", choices=["int8", "float16", "dynamic", "float32"])
    p.add_argument("--compare", action="store_true", help="convert to all four modes and write a report")
    p.add_argument("--eval", help="labelled data for --compare: .npz with x and y (default: the calibration data)")
    p.add_argument("--report", default="quantize_report", help="report folder for --compare")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tinyq.quantize.calib import load_data
    from tinyq.quantize.convert import MIN_CALIB, convert
    from tinyq.quantize.loader import load_source

    src = load_source(args.model)
    calib = None
    if args.calib:
        calib, _ = load_data(args.calib, src.input_shape)
        note = f" (fewer than {MIN_CALIB}: the int8 ranges may be poor)" if len(calib) < MIN_CALIB else ""
        print(f"calibration: {len(calib)} samples from {args.calib}{note}", file=sys.stderr)
    elif args.mode == "int8" or args.compare:
        raise TinyqError("int8 quantization needs calibration data", "pass --calib DATA (.npy/.npz or an image folder)")
    if args.compare:
        from tinyq.quantize.report import compare_modes, write_report
        x_eval, y_eval = (load_data(args.eval, src.input_shape, labels=True) if args.eval else (calib, None))
        out = Path(args.report)
        results = compare_modes(src, calib, x_eval, y_eval, out)
        md = write_report(src, results, len(calib), len(x_eval), out)
        print(md.read_text().split("\n\n![")[0])
        print(f"report: {md}")
        return 0
    if not args.out:
        raise TinyqError("say where to write the model: -o OUT.tflite")
    blob = convert(src, args.mode, calib)
    Path(args.out).write_bytes(blob)
    print(f"wrote {args.out}: {len(blob):,} bytes ({args.mode})")
    return 0
