"""Typed reports of bench and deploy (verify's is `tinyq.workflows.verify.VerifyReport`).

Each has typed fields for Python callers, one `to_dict()` (the `--json` output and `report.json`)
and its text forms. They also read as that dict (`report["bit_exact"]`), so a script written against
the JSON reads the object the same way."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class _AsDict(Mapping[str, Any]):
    """The report seen as its JSON object."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


@dataclass
class LayerFigures:
    index: int
    op: str
    label: str
    macs: int
    mean: float                     # instructions (emulated) or cycles (hardware) per inference: the
                                    # median over the inputs (a first run's one-time work aside)
    tensor: str = ""                # its output tensor's name in the model file

    @property
    def count(self) -> int:
        return round(self.mean)

    @property
    def macs_per(self) -> float | None:
        return round(self.macs / self.mean, 3) if self.mean else None


@dataclass(eq=False)
class BenchReport(_AsDict):
    """One benchmark run: bit-exactness against TFLM, the counter's figures, per layer."""

    board: str
    model: str
    samples: int
    mismatches: int
    counter: str                    # "instructions" (emulator) or "cycles" (hardware)
    totals: list[int]               # per inference
    stack_bytes: int
    arena_bytes: int
    macs: int
    counter_check: dict[str, Any]
    run_on: str
    layers: list[LayerFigures]
    clock_hz: int | None = None     # hardware runs: the board's clock, for latencies
    build: dict[str, Any] = field(default_factory=dict)   # sizes of the firmware it ran
    reference: str = "TFLM"         # what the outputs were compared with (see targets/reference.py)
    # float models: compared with LiteRT within `tolerance` (mismatches: elements beyond it)
    tolerance: float | None = None
    max_rel_err: float | None = None
    outputs: list[list[Any]] = field(default_factory=list, repr=False)   # the device's, per sample
    inputs: str = ""                # where the inputs came from and how they reached the device

    @property
    def bit_exact(self) -> bool:
        return self.mismatches == 0

    @property
    def median(self) -> int:
        s = sorted(self.totals)
        mid = len(s) // 2
        return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) // 2

    def to_dict(self) -> dict[str, Any]:
        unit, per = self.counter, "macs_per_" + self.counter[:-1]
        med = self.median
        d: dict[str, Any] = {
            "board": self.board, "model": self.model, "bit_exact": self.bit_exact, "samples": self.samples,
            "mismatches": self.mismatches, "counter": unit,
            unit: med, f"{unit}_min": min(self.totals), f"{unit}_max": max(self.totals),
            "repeatable": len(set(self.totals)) == 1, "stack_bytes": self.stack_bytes,
            "arena_bytes": self.arena_bytes, "macs": self.macs, per: round(self.macs / med, 3) if med else None,
            "counter_check": self.counter_check, "run_on": self.run_on, "reference": self.reference,
            "inputs": self.inputs,
        }
        if self.tolerance is not None:
            d.update(tolerance=self.tolerance, max_rel_err=self.max_rel_err)
        if self.clock_hz:
            for key, v in (("latency_ms", med), ("latency_ms_min", min(self.totals)),
                           ("latency_ms_max", max(self.totals))):
                d[key] = round(v / self.clock_hz * 1e3, 3)
        d["layers"] = [{"index": x.index, "op": x.op, "label": x.label, "tensor": x.tensor, "macs": x.macs, unit: x.count,
                        per: x.macs_per}
                       for x in self.layers]
        d.update(self.build)
        return d

    def text(self) -> str:
        from tinyq.workflows.bench import format_bench
        return format_bench(self.to_dict())


@dataclass(eq=False)
class DeployReport(_AsDict):
    """A deploy: the benchmark of the built firmware, its memory against the board, stage times."""

    bench: BenchReport
    memory: dict[str, Any]          # ram/flash figures from the built ELF and the plan
    kernels: str
    elf: str
    stage_seconds: dict[str, float]
    wall_seconds: float
    eval: dict[str, Any] | None = None      # --eval: device top-1, agreement with the host, confusion


    @property
    def bit_exact(self) -> bool:
        return self.bench.bit_exact

    def to_dict(self) -> dict[str, Any]:
        d = {**self.bench.to_dict(), **self.memory, "kernels": self.kernels, "elf": self.elf,
             "stage_seconds": self.stage_seconds, "wall_seconds": self.wall_seconds}
        if self.eval is not None:
            d["eval"] = self.eval
        return d

    def text(self) -> str:
        from tinyq.workflows.deploy import format_report
        return format_report(self.to_dict())

    def markdown(self) -> str:
        from tinyq.workflows.deploy import markdown_report
        return markdown_report(self.to_dict())
