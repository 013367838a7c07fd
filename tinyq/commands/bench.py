"""tinyq bench --port PORT --model MODEL: benchmark firmware that is already running."""
from __future__ import annotations

import argparse
import json
import math

from tinyq.boards import load_board
from tinyq.commands._options import add_flash_args
from tinyq.errors import TinyqError
from tinyq.targets.protocol import connect
from tinyq.workflows.bench import INPUT_SOURCES, run_bench
from tinyq.workflows.compile import compile
from tinyq.workflows.session import link_rates, warn_user


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmark a flashed board over serial, bit-exact against the host")
    p.add_argument("--port", required=True, help="serial device (/dev/ttyACM0) or URL (socket://127.0.0.1:PORT)")
    p.add_argument("--model", required=True, help="the .tflite the firmware was built from")
    p.add_argument("--board", default="nrf52840")
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", help=".npy of inputs (N x input shape) in the model's input type (uint8, int8, "
                                  "int16, float32); float data for an integer input is quantized with its scale")
    p.add_argument("--inputs", choices=INPUT_SOURCES, default="auto",
                   help="without --data: random inputs generated on the device from --seed (device) or sent "
                        "from the host (host); auto: the device when its firmware offers it")
    p.add_argument("--baud", type=int, help="serial rate (default: the board's max_baud, then its baud)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    add_flash_args(p)   # as the firmware was built
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


MAX_SAMPLES = 100_000
MAX_SEED = 2**32 - 1
MAX_TIMEOUT = 24 * 3600.0


def check_args(args: argparse.Namespace) -> None:
    """Numeric options in range, before anything is opened or compiled."""
    if not 1 <= args.samples <= MAX_SAMPLES:
        raise TinyqError(f"--samples must be from 1 to {MAX_SAMPLES:,}, not {args.samples}",
                         "the number of inputs to run on the device, e.g. --samples 10")
    if not 0 <= args.seed <= MAX_SEED:
        raise TinyqError(f"--seed must be from 0 to {MAX_SEED}, not {args.seed}",
                         "any non-negative integer picks a repeatable set of random inputs")
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= MAX_TIMEOUT):
        raise TinyqError(f"--timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:,.0f}, "
                         f"not {args.timeout}", "the time to wait for each answer, e.g. --timeout 10")


def run(args: argparse.Namespace) -> int:
    check_args(args)
    board = load_board(args.board)
    # first: a missing or silent device fails before any compile work
    link = connect(args.port, link_rates(board, args.baud), timeout=args.timeout, warn=warn_user)
    try:
        gen = compile(args.model, board=board, flash=args.flash,   # the board's kernels, as the firmware was built
                      flash_budget=args.flash_budget)
        rep = run_bench(link, gen, args.model, board, args.samples, args.seed, args.data, inputs=args.inputs)
    finally:
        link.port.close()
    print(json.dumps(rep.to_dict(), indent=2) if args.json else rep.text())
    return 0 if rep["bit_exact"] else 1
