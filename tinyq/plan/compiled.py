"""`Compiled`: a lowered model with its arena plan and, once rendered, its C files. What budget,
plot, verify, bench and deploy read."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tinyq.ir import Graph
from tinyq.ops.lower import Lowered
from tinyq.plan.arena import ArenaPlan, plan_arena, validate
from tinyq.plan.liveness import buffers, byte_offset, root
from tinyq.resources import kernels_dir


def plan(lowered: Lowered) -> ArenaPlan:
    """Place every buffer; refuse (PlanError) a plan that breaks its own invariant."""
    p = plan_arena(buffers(lowered))
    validate(p)   # no two buffers live at once overlap, unless a kernel allows it
    return p


@dataclass
class Compiled:
    lowered: Lowered
    plan: ArenaPlan
    source: str = ""                                      # the model file's name
    files: dict[str, str] = field(default_factory=dict)   # rendered file name -> text

    @property
    def graph(self) -> Graph:
        return self.lowered.graph

    @property
    def kernels(self) -> str:
        return self.lowered.family

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def const_bytes(self) -> int:
        return self.lowered.const_bytes

    @property
    def variable_bytes(self) -> int:
        """Static RAM of the resource variables (outside the arena, kept across invocations)."""
        return self.lowered.static_bytes

    @property
    def layer_macs(self) -> list[int]:
        return self.lowered.layer_macs

    @property
    def macs(self) -> int:
        return sum(self.layer_macs)

    @property
    def sources(self) -> list[str]:
        return self.lowered.sources

    @property
    def labels(self) -> list[str]:
        return [layer.code.label for layer in self.lowered.layers]

    def tensor_offset(self, t: int) -> int:
        """Byte offset of a planned tensor in the arena."""
        return self.plan.offsets[("t", root(self.lowered, t))] + byte_offset(self.lowered, t)

    def write(self, out_dir: str | Path) -> list[Path]:
        """The rendered files and the kernel sources the model's variants use."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files.items():
            (out / name).write_text(text)
            written.append(out / name)
        for src in self.sources:
            shutil.copyfile(kernels_dir() / src, out / src)
            written.append(out / src)
        return written
