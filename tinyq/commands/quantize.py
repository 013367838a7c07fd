"""tinyq quantize MODEL: post-training quantization (int8, int16x8, float16, dynamic, float32), or --compare."""
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
    p.add_argument("--mode", default="int8", choices=["int8", "int16x8", "float16", "dynamic", "float32"],
                   help="int16x8: int16 activations, int8 weights, int64 biases (default: %(default)s)")
    p.add_argument("--io", choices=["int8", "int16", "float32"],
                   help="input/output type: int8 (int8's default), int16 (int16x8's default) or float32")
    p.add_argument("--compare", action="store_true", help="convert to every mode and write a report")
    p.add_argument("--eval", help="labelled data for --compare: .npz with x and y (default: the calibration data)")
    p.add_argument("--report", default="quantize_report", help="report folder for --compare (default: %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tinyq.workflows.quantize.calib import load_data
    from tinyq.workflows.quantize.loader import load_source

    if not args.compare and args.out is not None and not args.out.strip():
        raise TinyqError("-o: the output file name is empty", "give a file name, e.g. -o model_int8.tflite")
    if not args.compare and not args.out:
        raise TinyqError("say where to write the model: -o OUT.tflite", "or use --compare --report DIR")
    from tinyq.workflows.quantize.convert import INTEGER_MODES, check_io

    io = check_io(args.mode, args.io)
    if args.calib is None and (args.mode in INTEGER_MODES or args.compare):
        raise TinyqError(f"{'int8' if args.compare else args.mode} quantization needs calibration data",
                         "pass --calib DATA (.npy/.npz with the model's input shape, or an image folder)")
    if args.out is not None and not args.compare:
        from tinyq.workflows.verify import check_output_file
        check_output_file(args.out, "-o")
    if args.compare:
        from tinyq.workflows.verify import check_output_dir
        check_output_dir(args.report, "--report")
    src = load_source(args.model)
    calib = None
    if args.calib:
        calib, _ = load_data(args.calib, src.input_shape)
        _say_calibration(len(calib), args.calib)
    if args.compare:
        return _compare(args, src, calib)
    from tinyq.workflows.quantize.convert import convert, describe_recurrent

    print(f"converting {src.path.name} to {args.mode} ...", file=sys.stderr)
    blob = convert(src, args.mode, calib, io=io)
    if describe_recurrent(src, blob):
        print(describe_recurrent(src, blob), file=sys.stderr)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(blob)
    kind = {"int8": f"full integer: {io} input/output, per-channel weights",
            "int16x8": f"int16 activations, {io} input/output, int8 per-channel weights, int64 biases",
            "float16": "float16 weights", "dynamic": "int8 weights, float activations",
            "float32": "no quantization"}[args.mode]
    print(f"wrote {args.out}: {len(blob):,} bytes ({args.mode}: {kind})")
    if args.mode in INTEGER_MODES:
        _say_uncompilable(blob)
    return 0


def _say_calibration(n: int, where: str) -> None:
    from tinyq.workflows.quantize.convert import MIN_CALIB

    print(f"calibration: {n} samples from {where}", file=sys.stderr)
    if n < MIN_CALIB:
        print(f"warning: only {n} calibration samples; about {MIN_CALIB} or more give reliable int8 ranges",
              file=sys.stderr)


def _say_uncompilable(blob: bytes) -> None:
    from tinyq.workflows.quantize.tflite_ops import uncompilable_ops

    missing = uncompilable_ops(blob)
    if missing:
        print(f"warning: `tinyq generate` has no kernel yet for {', '.join(missing)}", file=sys.stderr)


def _compare(args: argparse.Namespace, src, calib) -> int:
    from tinyq.workflows.quantize.calib import load_data
    from tinyq.workflows.quantize.report import compare_modes, write_report

    if args.eval:
        x_eval, y_eval = load_data(args.eval, src.input_shape, labels=True)
    else:
        x_eval, y_eval = calib, None        # agreement with the float model on the calibration data
    out = Path(args.report)
    results = compare_modes(src, calib, x_eval, y_eval, out)
    md = write_report(src, results, len(calib), len(x_eval), out)
    print(md.read_text().split("\n\n![")[0])
    print(f"\nreport: {md} (chart: {md.with_suffix('.png')}, models: {out}/)")
    return 0
