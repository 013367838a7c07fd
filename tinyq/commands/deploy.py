"""tinyq deploy: plan, generate, build, flash and benchmark in one command."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tinyq.commands._options import add_flash_args
from tinyq.errors import TinyqError
from tinyq.ops.lower import KERNEL_CHOICES, family_help
from tinyq.plan.patch import PATCH_HELP
from tinyq.workflows.bench import INPUT_SOURCES
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
    p.add_argument("--samples", type=int, help="inputs to benchmark (default 10; with --eval all of its samples)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", help=".npy of inputs (N x input shape) in the model's input type (float data "
                                  "for an integer input is quantized) instead of random ones")
    p.add_argument("--inputs", choices=INPUT_SOURCES, default="auto",
                   help="without --data: random inputs generated on the device from --seed (device; no input "
                        "bytes over the link), or drawn on the host and sent (host); auto: the device when "
                        "its firmware offers it")
    p.add_argument("--eval", metavar="XY.npz",
                   help="labelled float samples (.npz with x, and y): stream them through the board and report "
                        "top-1 on the device, agreement with the host (LiteRT) and the confusion matrix; "
                        "--samples caps how many (default: all)")
    p.add_argument("--baud", type=int, help="serial rate with --port (default: the board's max_baud, then its baud)")
    p.add_argument("--flasher", choices=["pyocd", "openocd", "jlink", "nrfjprog"])
    p.add_argument("--out", default="build/tinyq", help="where the project and report go")
    p.add_argument("--config", default="tinyq.toml", help="project file with a [deploy] table")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--kernels", choices=KERNEL_CHOICES, default="auto", help=family_help())
    p.add_argument("--patch", default="auto", metavar="MODE", help=PATCH_HELP)
    add_flash_args(p)
    p.set_defaults(func=run)


def _config(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        return {}
    try:
        return tomllib.loads(p.read_text()).get("deploy", {})
    except tomllib.TOMLDecodeError as exc:
        raise TinyqError(f"{p} is not valid TOML: {exc}") from None


def _input_shape(model: Path) -> list[int]:
    """The model's input shape without its batch of one (what --eval's samples must have)."""
    from tinyq.passes.pipeline import load
    g = load(model)
    shape = list(g.t(g.inputs[0]).shape)
    return shape[1:] if shape and shape[0] == 1 else shape


def default_model() -> Path:
    """The bundled example (examples/digits), trained and quantized on first use."""
    from tinyq.workflows.example import example_model
    return example_model()


def run(args: argparse.Namespace) -> int:
    cfg = _config(args.config)
    model = Path(args.model or cfg.get("model") or default_model())
    opt = DeployOptions(kernels=args.kernels, patch=args.patch, flash=args.flash, flash_budget=args.flash_budget,
                        model=model, board=args.board or cfg.get("board", "nrf52840"),
                        emulate=args.emulate or (not args.port and bool(cfg.get("emulate", False))),
                        port=args.port or cfg.get("port"), samples=10 if args.samples is None else args.samples, seed=args.seed,
                        data=args.data or cfg.get("data"), out=Path(args.out), flasher=args.flasher,
                        quiet=False, inputs=args.inputs, baud=args.baud)
    ev = None
    if args.eval:
        from tinyq.workflows.compare import eval_inputs, host_classes
        from tinyq.workflows.quantize.calib import load_data
        from tinyq.workflows.verify import check_output_dir

        if args.data:
            raise TinyqError("--eval and --data both give the inputs", "use one of them")
        out = check_output_dir(args.out, "--out")
        x, y = load_data(args.eval, tuple(_input_shape(model)), labels=True)
        n = len(x) if args.samples is None else min(args.samples, len(x))
        x, y = x[:n], None if y is None else y[:n]
        opt.data, opt.samples, opt.progress = str(eval_inputs(model, x, out)), n, True
        ev = (y, host_classes(model, x))
    rep = deploy(opt)
    if ev is not None:
        from tinyq.workflows.compare import device_accuracy
        rep.eval = device_accuracy(rep.bench.outputs, ev[0], ev[1])
    Path(args.out).mkdir(parents=True, exist_ok=True)
    md = Path(args.out) / "report.md"
    md.write_text(rep.markdown())
    (Path(args.out) / "report.json").write_text(json.dumps(rep.to_dict(), indent=2))
    print(json.dumps(rep.to_dict(), indent=2) if args.json else rep.text() + f"\n  report: {md}")
    return 0 if rep.bit_exact else 1
