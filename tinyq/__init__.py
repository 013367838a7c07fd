"""tinyq: TensorFlow/Keras models to measured microcontroller deployments.

The Python API (see README): `tinyq.compile`, `tinyq.workflows.verify`, `tinyq.workflows.deploy`."""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["compile", "verify", "deploy", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `import tinyq.ir` does not pull in every stage (and the API layer sits on
    # top of the pipeline rather than under it).
    if name == "compile":
        from tinyq.workflows.compile import compile
        return compile
    if name == "verify":
        from tinyq.workflows.verify import verify
        return verify
    if name == "deploy":
        from tinyq.workflows.deploy import deploy
        return deploy
    raise AttributeError(f"module 'tinyq' has no attribute {name!r}")
