"""tinyq compare MODEL: every quantization mode, deployed and measured side by side."""
from __future__ import annotations

import argparse
import json
import sys

from tinyq.errors import TinyqError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="convert to every quantization mode, deploy each, one side-by-side report")
    p.add_argument("model", help=".keras/.h5 file or SavedModel folder")
    p.add_argument("--calib", required=True, help="representative data: .npy, .npz (x) or a folder of images")
    p.add_argument("--eval", required=True, help="labelled evaluation data: .npz with x and y (y optional)")
    p.add_argument("--board", default="nrf52840", help="board name (default: %(default)s)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="serial port of the board")
    where.add_argument("--emulate", action="store_true", help="run in QEMU instead of on hardware")
    p.add_argument("--samples", type=int, default=100, help="evaluation samples run on the device (default 100)")
    p.add_argument("--modes", default=",".join(("float32", "float16", "dynamic", "int16x8", "int8")),
                   help="comma-separated modes (default: all)")
    p.add_argument("--out", default="build/compare", help="models and firmware projects go here")
    p.add_argument("--report", metavar="DIR", help="write compare.md, compare.png and compare.json there")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tinyq.workflows.compare import MODES, check_samples, compare, format_table, write_report
    from tinyq.workflows.quantize.calib import load_data
    from tinyq.workflows.quantize.loader import load_source
    from tinyq.workflows.verify import check_output_dir

    check_samples(args.samples)
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise TinyqError(f"--modes: unknown mode(s) {', '.join(bad) or '(none given)'}", f"choose from {', '.join(MODES)}")
    if args.report is not None:
        check_output_dir(args.report, "--report")
    src = load_source(args.model)
    calib, _ = load_data(args.calib, src.input_shape)
    x, y = load_data(args.eval, src.input_shape, labels=True)
    rep = compare(args.model, calib, x, y, board=args.board, emulate=args.emulate, port=args.port, out=args.out,
                  samples=args.samples, modes=modes, quiet=args.json)
    if args.report is not None:
        md = write_report(rep, args.report)
        print(f"report: {md}", file=sys.stderr)
    print(json.dumps(rep.to_dict(), indent=2) if args.json else format_table(rep))
    return 0
