"""Command-line options several commands share."""
from __future__ import annotations

import argparse

from tinyq.ops.flash import CODE_ALLOWANCE, FLASH_CHOICES


def _bytes(text: str) -> int:
    """A byte count: digits, optionally with a K or M suffix (KiB, MiB)."""
    t = text.strip().upper().removesuffix("B")
    mult = {"K": 1024, "M": 1024 * 1024}.get(t[-1:], 1)
    digits = t[:-1] if mult > 1 else t
    if not digits.replace("_", "").replace(",", "").isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of bytes (e.g. 400000 or 390K), got {text!r}")
    return int(digits.replace("_", "").replace(",", "")) * mult


def add_flash_args(p: argparse.ArgumentParser) -> None:
    """--flash and --flash-budget: the DSP family's per-layer int16/int8 weight choice."""
    p.add_argument("--flash", choices=FLASH_CHOICES, default="auto",
                   help="DSP kernels' weights per layer: auto (default: fit the board, then widen to int16 the "
                        "layers that save the most instructions per byte, within --flash-budget), small (keep "
                        "int8 weights wherever a kernel can), fast (widen every layer that fits the board)")
    p.add_argument("--flash-budget", type=_bytes, default=None, metavar="BYTES",
                   help="flash the auto policy may fill (default: the .tflite's size + "
                        f"{CODE_ALLOWANCE // 1024} KiB, about what an interpreter build takes)")
