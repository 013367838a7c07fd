"""tinyq deploy: plan, generate, build, flash and benchmark in one command."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tinyq.errors import TinyqError
from tinyq.ops.lower import KERNEL_CHOICES, family_help
from tinyq.workflows.deploy import DeployOptions, deploy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deploy", help="model -> firmware -> device (or emulator) -> measured report")
    p.add_argument("--model", help="int8 .tflite (default: tinyq.toml's [deploy] model, else the bundled example)")
    p.add_argument("--board", help="board name (default: tinyq.toml, else nrf52840)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--port", help="serial port of the board, or a pyserial URL")
    where.add_argument("--emulate", action="store_true", help="run in QEMU instead of on hardware")
    p.add_argument("--samples", type=int, default=10, help="inputs to benchmark (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", help=".npy of inputs (N x input shape) in the model's input type (float data "
                                  "for an integer input is quantized) instead of random ones")
    p.add_argument("--flasher", choices=["pyocd", "openocd", "jlink", "nrfjprog"])
    p.add_argument("--out", default="build/tinyq", help="where the project and report go")
    p.add_argument("--config", default="tinyq.toml", help="project file with a [deploy] table")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--kernels", choices=KERNEL_CHOICES, default="auto", help=family_help())
    p.set_defaults(func=run)


def _config(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        return {}
    try:
        return tomllib.loads(p.read_text()).get("deploy", {})
    except tomllib.TOMLDecodeError as exc:
        raise TinyqError(f"{p} is not valid TOML: {exc}") from None


def default_model() -> Path:
    """The bundled example (examples/digits), trained and quantized on first use."""
    from tinyq.workflows.example import example_model
    return example_model()


def run(args: argparse.Namespace) -> int:
    cfg = _config(args.config)
    model = Path(args.model or cfg.get("model") or default_model())
    opt = DeployOptions(kernels=args.kernels, model=model, board=args.board or cfg.get("board", "nrf52840"),
                        emulate=args.emulate or (not args.port and bool(cfg.get("emulate", False))),
                        port=args.port or cfg.get("port"), samples=args.samples, seed=args.seed,
                        data=args.data or cfg.get("data"), out=Path(args.out), flasher=args.flasher,
                        quiet=False)
    rep = deploy(opt)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    md = Path(args.out) / "report.md"
    md.write_text(rep.markdown())
    (Path(args.out) / "report.json").write_text(json.dumps(rep.to_dict(), indent=2))
    print(json.dumps(rep.to_dict(), indent=2) if args.json else rep.text() + f"\n  report: {md}")
    return 0 if rep.bit_exact else 1
