"""tinyq bench --port PORT --model MODEL: benchmark firmware that is already running."""
from __future__ import annotations

import argparse
import json

from tinyq.boards import load_board
from tinyq.targets.protocol import Link, open_port
from tinyq.workflows.bench import format_bench, run_bench
from tinyq.workflows.compile import compile


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmark a flashed board over serial, bit-exact against the host")
    p.add_argument("--port", required=True, help="serial device (/dev/ttyACM0) or URL (socket://127.0.0.1:PORT)")
    p.add_argument("--model", required=True, help="the .tflite the firmware was built from")
    p.add_argument("--board", default="nrf52840")
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", help=".npy of int8 inputs (N x input shape)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    board = load_board(args.board)
    port = open_port(args.port, board.baud)   # first: a missing device fails before any compile work
    try:
        gen = compile(args.model, board=board)   # the board's kernel family, as the firmware was built
        rep = run_bench(Link(port, timeout=args.timeout), gen, args.model, board, args.samples, args.seed, args.data)
    finally:
        port.close()
    print(json.dumps(rep, indent=2) if args.json else format_bench(rep))
    return 0 if rep["bit_exact"] else 1
