"""Where the C sources, templates and board files live, in a checkout or an installed wheel."""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # A checkout (or editable install) has them beside the package; a wheel carries them in _data.
    for candidate in (_PKG.parent / name, _PKG / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tinyq data folder '{name}' not found next to {_PKG}")


def firmware_dir() -> Path:
    return _find("firmware")


def kernels_dir() -> Path:
    return firmware_dir() / "kernels"


def templates_dir() -> Path:
    return _find("templates")


def boards_dir() -> Path:
    return _find("boards")
