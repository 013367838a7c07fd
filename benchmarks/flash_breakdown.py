"""Where the firmware's flash goes: per part (model constants, generated code, kernels, benchmark
harness, C library) and per symbol, from the linked ELF of the emulated Cortex-M4 build.

    python benchmarks/flash_breakdown.py [MODEL.tflite ...] [--flash auto|small|fast] [--kernels ...] [--top N]

Builds each model's firmware as `tinyq deploy --emulate` does (default: the four MLPerf Tiny
int8 models from ../shared, --flash small), without running it, and splits the flash figure the
deploy report prints (text + rodata + data: what the ELF puts in flash) by the linker map's input
sections. The model's constants are model.c's read-only arrays; the rest of model.c is the
generated code and parameter structs. Prints the model's raw weight bytes (what the .tflite's
constant tensors hold) and the target of tinyq issue 14 (raw + 16 KB) beside it."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MLPERF = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]
FLASH_SECTIONS = (".isr_vector", ".text", ".ARM.exidx", ".rodata", ".data")
HARNESS = {"bench_main.o", "frame_parser.o", "crc32.o", "startup.o", "board.o"}


def map_sections(map_text: str) -> list[tuple[str, str, int]]:
    """(input section, object file, bytes) of every input section the map places in flash,
    alignment fill as ('*fill*', '', bytes)."""
    out: list[tuple[str, str, int]] = []
    where, pending = "", ""
    body = map_text[map_text.index("Linker script and memory map"):]
    for line in body.splitlines():
        if re.match(r"^\.\S", line):
            where = line.split()[0]
        if where not in FLASH_SECTIONS:
            continue
        t = line.split()
        if pending and len(t) >= 3 and t[0].startswith("0x") and t[1].startswith("0x"):
            out.append((pending, t[2].split("/")[-1], int(t[1], 16)))      # name on the line before
            pending = ""
            continue
        pending = ""
        if len(t) == 1 and t[0].startswith(".") and line.startswith(" "):
            pending = t[0]
        elif len(t) >= 4 and t[0].startswith(".") and line.startswith(" ") and t[1].startswith("0x"):
            out.append((t[0], t[3].split("/")[-1], int(t[2], 16)))
        elif len(t) >= 3 and t[0] == "*fill*":
            out.append(("*fill*", "", int(t[2], 16)))
    return out


def part_of(section: str, obj: str) -> str:
    if section == "*fill*":
        return "alignment fill"
    if obj == "model.o":
        return "model constants" if section.startswith(".rodata.tq_") else "model code + params"
    if obj in HARNESS:
        return "harness (bench, startup, board)"
    if obj.startswith(("libc", "libgcc", "libm", "libnosys")) or "(" in obj:
        return "C library"
    return "kernels"


def link(spec, model_dir: Path, out: Path) -> tuple[Path, Path]:
    """The firmware as tinyq's gcc build makes it (same flags and linker script), one object file
    per source so that the map names them: (elf, map)."""
    import shutil
    gcc = shutil.which("arm-none-eabi-gcc") or "arm-none-eabi-gcc"
    out.mkdir(parents=True, exist_ok=True)
    (out / "linker.ld").write_text(spec.linker_script)
    incs = [f"-I{d}" for d in [*spec.include_dirs, model_dir]]
    objs = []
    for src in [*spec.sources, *sorted(model_dir.glob("*.c"))]:
        obj = out / (Path(src).stem + ".o")
        subprocess.run([gcc, *spec.cflags, *incs, "-c", str(src), "-o", str(obj)], check=True)
        objs.append(str(obj))
    elf, map_path = out / "firmware.elf", out / "firmware.map"
    subprocess.run([gcc, *objs, *spec.ldflags, f"-T{out / 'linker.ld'}", f"-Wl,-Map={map_path}", "-o", str(elf)],
                   check=True, capture_output=True)
    return elf, map_path


def breakdown(elf: Path, map_path: Path) -> tuple[Counter, Counter, Counter]:
    """(bytes per part, per kernel object, per symbol) of the flash."""
    parts, kernels, symbols = Counter(), Counter(), Counter()
    for section, obj, size in map_sections(map_path.read_text()):
        part = part_of(section, obj)
        parts[part] += size
        if part == "kernels":
            kernels[obj] += size
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "--size-sort", "-t", "d", str(elf)], capture_output=True,
                        text=True, check=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTrRdD":
            symbols[f[3]] += int(f[1])
    return parts, kernels, symbols


def table_kind(symbol: str) -> str:
    """A model constant's kind from its name (tq_<hint>_<n>, tinyq/ops/emitter.py)."""
    m = re.fullmatch(r"tq_([a-z0-9_]+?)_\d+", symbol)
    if not m:
        return symbol
    return "const tensor" if re.fullmatch(r"t\d+", m.group(1)) else m.group(1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*")
    ap.add_argument("--flash", choices=["auto", "small", "fast"], default="small")
    ap.add_argument("--kernels", default="auto")
    ap.add_argument("--top", type=int, default=12, help="largest code symbols to list")
    args = ap.parse_args()
    from tinyq.boards import load_board
    from tinyq.targets.firmware import build_spec, emulation_board
    from tinyq.targets.gcc_build import elf_sizes
    from tinyq.workflows.compile import compile

    models = [Path(m) for m in args.models] or [SHARED / "models" / "mlperf_tiny" / f"{m}.tflite" for m in MLPERF]
    models = [m for m in models if m.is_file()] or []
    if not models:
        print("no models found (the MLPerf models live in ../shared)")
        return 0
    target = load_board("nrf52840")
    run_board = emulation_board(target)
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            gen = compile(m, board=target, kernels=args.kernels, flash=args.flash)
            work = Path(tmp) / m.stem
            gen.write(work / "model")
            elf, map_path = link(build_spec(run_board), work / "model", work / "fw")
            text, data, _ = elf_sizes(elf)
            parts, kernels, symbols = breakdown(elf, map_path)
            assert sum(parts.values()) == text + data, (sum(parts.values()), text + data)
            raw = gen.graph.param_bytes
            flash = text + data
            print(f"\n{m.stem}: flash {flash:,} B (--flash {args.flash}); raw weights {raw:,} B, "
                  f"target raw + 16 KB = {raw + 16384:,} B ({flash - raw - 16384:+,} B)")
            for part, size in parts.most_common():
                print(f"  {part:<34} {size:>9,}")
            tables = Counter()
            for sym, size in symbols.items():
                if table_kind(sym) != sym:
                    tables[table_kind(sym)] += size
            print("  model constants by kind: " + ", ".join(f"{k} {v:,}" for k, v in tables.most_common()))
            print("  kernels: " + ", ".join(f"{k.removesuffix('.o')} {v:,}" for k, v in kernels.most_common()))
            code = [(s, n) for s, n in symbols.most_common() if table_kind(s) == s][:args.top]
            print("  largest other symbols: " + ", ".join(f"{s} {n:,}" for s, n in code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
