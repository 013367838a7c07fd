"""RAM and flash of a compiled model against a board's budget, known before anything is built."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tinyq.boards import Board
from tinyq.errors import DoesNotFitError
from tinyq.ops.lower import Lowered
from tinyq.plan.compiled import Compiled

# Estimates for what is not the model itself, measured on the benchmark firmware (GCC -O2,
# Cortex-M4): startup, board support, protocol, CRC, newlib's memcpy/memset; and per kernel.
RUNTIME_FLASH = 3_500
KERNEL_FLASH = 900
RUNTIME_RAM = 320          # firmware statics besides the arena (info text, CRC state)
PER_LAYER_RAM = 4          # the per-layer counter table


@dataclass
class Budget:
    board: str
    arena_bytes: int
    static_ram_bytes: int        # arena + other statics
    stack_bytes: int
    serial_bytes: int
    ram_bytes: int               # everything the application needs in RAM
    ram_budget: int
    weights_bytes: int           # constants in flash
    code_bytes: int              # estimate until built, then the ELF's
    flash_bytes: int
    flash_budget: int
    measured: bool = False       # sizes come from the built ELF
    peak_tensors: list[dict] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return self.ram_bytes <= self.ram_budget and self.flash_bytes <= self.flash_budget

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fits"] = self.fits
        d["ram_excluding_stack"] = self.ram_bytes - self.stack_bytes
        return d


def arena_limit(lowered: Lowered, board: Board) -> int:
    """The largest arena that leaves room on the board for the stack, the serial buffers and the
    other statics (the same estimate `budget` makes)."""
    static = lowered.static_bytes + RUNTIME_RAM + PER_LAYER_RAM * len(lowered.graph.ops)
    return board.ram_budget - board.stack_bytes - board.serial_bytes - static


def peak_tensors(gen: Compiled) -> list[dict]:
    """The buffers live at the op where the arena is fullest (what to shrink to fit)."""
    plan = gen.plan
    best_pos, _ = plan.peak()
    res = []
    for b in sorted(plan.live_at(best_pos), key=lambda b: -b.size):
        kind, idx = b.key
        name = gen.graph.t(idx).name if kind == "t" else f"scratch of op {idx}"
        res.append({"tensor": name, "bytes": b.size, "offset": plan.offsets[b.key], "op": best_pos})
    return res


def budget(gen: Compiled, board: Board, text: int | None = None, data: int = 0, bss: int | None = None) -> Budget:
    """The budget from the plan, or from a built ELF's text/data/bss when given."""
    kernels = len([s for s in gen.sources if s.endswith(".c")])   # only what the variants use
    if text is None:
        code = RUNTIME_FLASH + KERNEL_FLASH * kernels
        flash = gen.const_bytes + code
        static = gen.arena_bytes + gen.variable_bytes + RUNTIME_RAM + PER_LAYER_RAM * len(gen.graph.ops)
        measured = False
    else:
        flash = text + data
        code = max(flash - gen.const_bytes, 0)
        static = data + (bss or 0)
        measured = True
    ram = static + board.stack_bytes + board.serial_bytes
    return Budget(board.name, gen.arena_bytes, static, board.stack_bytes, board.serial_bytes, ram,
                  board.ram_budget, gen.const_bytes, code, flash, board.flash_budget, measured,
                  peak_tensors(gen))


def require_fit(b: Budget, model: str) -> None:
    """Refuse, with the numbers, a model that does not fit the board."""
    if b.fits:
        return
    parts = []
    if b.ram_bytes > b.ram_budget:
        parts.append(f"RAM: needs {b.ram_bytes:,} B of {b.ram_budget:,} B, {b.ram_bytes - b.ram_budget:,} B too many "
                     f"(arena {b.arena_bytes:,} B, stack {b.stack_bytes:,} B)")
    if b.flash_bytes > b.flash_budget:
        parts.append(f"flash: needs {b.flash_bytes:,} B of {b.flash_budget:,} B, "
                     f"{b.flash_bytes - b.flash_budget:,} B too many (weights {b.weights_bytes:,} B)")
    peak = ", ".join(f"{t['tensor']} ({t['bytes']:,} B)" for t in b.peak_tensors[:4])
    raise DoesNotFitError(f"{model} does not fit {b.board}: " + "; ".join(parts) +
                          (f". Live at the arena's peak (op {b.peak_tensors[0]['op']}): {peak}" if peak else ""),
                          "use a smaller input resolution or width multiplier, or a board with more memory")
