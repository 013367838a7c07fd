"""Build firmware directly with arm-none-eabi-gcc from a BuildSpec: ELF, HEX, BIN and sizes."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinyq.errors import ToolchainError
from tinyq.targets.firmware import BuildSpec

TOOL_HINT = "install the Arm toolchain: `apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi`"


@dataclass
class FirmwareImage:
    elf: Path
    hex: Path
    bin: Path
    text: int
    data: int
    bss: int

    @property
    def flash_bytes(self) -> int:
        return self.text + self.data

    @property
    def ram_bytes(self) -> int:
        """Static RAM: .data + .bss (the arena lives in .bss); the stack is reserved on top."""
        return self.data + self.bss


def tool(name: str) -> str:
    path = shutil.which(f"arm-none-eabi-{name}")
    if not path:
        raise ToolchainError(f"arm-none-eabi-{name} not found", TOOL_HINT)
    return path


def elf_sizes(elf: Path) -> tuple[int, int, int]:
    out = subprocess.run([tool("size"), "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    text = data = bss = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        name, size = parts[0], int(parts[1])
        if name in (".isr_vector", ".text", ".ARM.exidx", ".rodata"):
            text += size
        elif name == ".data":
            data += size
        elif name == ".bss":
            bss += size
    return text, data, bss


def build(spec: BuildSpec, model_dir: Path, out_dir: Path) -> FirmwareImage:
    """Compile the firmware and the generated model in model_dir into out_dir/firmware.elf."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ld = out_dir / "linker.ld"
    ld.write_text(spec.linker_script)
    sources = [str(s) for s in spec.sources] + sorted(str(p) for p in model_dir.glob("*.c"))
    incs = [f"-I{d}" for d in [*spec.include_dirs, model_dir]]
    elf = out_dir / "firmware.elf"
    cmd = [tool("gcc"), *spec.cflags, *incs, *sources, *spec.ldflags, f"-T{ld}",
           f"-Wl,-Map={out_dir / 'firmware.map'}", "-o", str(elf)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        msg = res.stderr[-3000:]
        if "will not fit" in msg or "do not fit" in msg or "overflowed by" in msg:
            raise ToolchainError(f"the firmware does not fit {spec.board.name}:\n{msg}",
                                 "run `tinyq plan` to see the budget; choose a bigger board or a smaller model")
        raise ToolchainError(f"firmware build failed:\n{msg}", "this is a tinyq bug; please report it")
    hexf, binf = elf.with_suffix(".hex"), elf.with_suffix(".bin")
    subprocess.run([tool("objcopy"), "-O", "ihex", str(elf), str(hexf)], check=True)
    subprocess.run([tool("objcopy"), "-O", "binary", str(elf), str(binf)], check=True)
    return FirmwareImage(elf, hexf, binf, *elf_sizes(elf))
