"""The op registry: for each TFLite builtin, how to emit its C call and what it costs.

Each op lives in its own module under tinyq/ops/ (one op per file, like TFLM's kernels) and
registers itself with @register. The C kernel sources it needs live in firmware/kernels/.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from tinyq.ir import Graph, Op

if TYPE_CHECKING:
    from tinyq.backend.emitter import Emitter

EmitFn = Callable[[Op, Graph, "Emitter"], None]
MacsFn = Callable[[Op, Graph], int]
# Pairs (input position, output position) whose buffers may be the same memory: the kernel reads
# each element of that input before it writes the element of the output at the same offset.
InplaceFn = Callable[[Op, Graph], list[tuple[int, int]]]
CheckFn = Callable[[Op, Graph], "str | None"]


@dataclass
class OpSpec:
    name: str
    emit: EmitFn
    sources: tuple[str, ...] = ()
    macs: MacsFn = field(default=lambda op, g: 0)
    inplace: InplaceFn | None = None
    check: CheckFn | None = None     # returns why this instance is unsupported, or None


REGISTRY: dict[str, OpSpec] = {}


def register(name: str, sources: tuple[str, ...] | list[str] = (), macs: MacsFn | None = None,
             inplace: InplaceFn | None = None, check: CheckFn | None = None
             ) -> Callable[[EmitFn], EmitFn]:
    """Decorator for an op's emit function."""
    def deco(fn: EmitFn) -> EmitFn:
        REGISTRY[name] = OpSpec(name, fn, tuple(sources), macs or (lambda op, g: 0), inplace, check)
        return fn
    return deco


def load_all() -> dict[str, OpSpec]:
    """Import every op module so that they register themselves."""
    import importlib
    import pkgutil

    import tinyq.ops as pkg
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in ("registry",) and not mod.name.startswith("_"):
            importlib.import_module(f"tinyq.ops.{mod.name}")
    return REGISTRY
