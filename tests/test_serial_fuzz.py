"""The serial protocol under fire: seeded mutated sessions against the host Link (a fake device on
an in-memory port with a virtual clock, benchmarks/fuzz_serial.py), the firmware's frame parser
against its reference (firmware/fuzz, built with gcc here), and the real firmware in QEMU
resynchronising after garbage bursts."""
from __future__ import annotations

import random
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinyq.boards import load_board
from tinyq.targets.firmware import C_WARNINGS, build_spec
from tinyq.targets.gcc_build import build
from tinyq.targets.protocol import Link, encode, open_port
from tinyq.targets.qemu import Qemu
from tinyq.workflows.compile import compile

from conftest import ROOT, mlperf_path

sys.path.insert(0, str(ROOT / "benchmarks"))
import fuzz_serial  # noqa: E402

FUZZ_DIR = ROOT / "firmware" / "fuzz"


def _assert_clean(c) -> None:
    assert (c["traceback"], c["hang"], c["wrong"]) == (0, 0, 0), fuzz_serial.summary(c)


def test_mutated_sessions_never_traceback_hang_or_lie() -> None:
    t0 = time.monotonic()
    c = fuzz_serial.fuzz(400, seed=0)
    _assert_clean(c)
    kinds = {k for k in c if k.startswith("refused:")}
    assert c["ok"] > 1000 and len(kinds) >= 6, fuzz_serial.summary(c)   # it did exercise the link
    assert time.monotonic() - t0 < 20


@pytest.mark.parametrize("mutation", fuzz_serial.MUTATIONS)
def test_each_mutation_alone(mutation) -> None:
    c = fuzz_serial.fuzz(40, seed=7, only={mutation})
    _assert_clean(c)
    if mutation in ("duplicate", "late", "garbage"):
        assert c["ok"] > 0      # recovered from, not only refused


def test_honest_device_always_succeeds() -> None:
    c = fuzz_serial.fuzz(20, seed=3, only=set())
    assert c["ok"] == 20 * 8 and c["traceback"] == c["hang"] == c["wrong"] == 0


@pytest.mark.skipif(not shutil.which("gcc"), reason="gcc not installed")
def test_firmware_parser_matches_its_reference_on_the_seeds(tmp_path) -> None:
    """The libFuzzer harness, built without libFuzzer (ASan + UBSan, the firmware's warnings),
    on the seeds: the regressions (a second 0xA5, a CRC ending in 0xA5, a truncated request then
    its retry, a frame inside a broken one, refused headers) and what the fuzzer found."""
    exe = tmp_path / "fuzz_frame_parser"
    common = ROOT / "firmware" / "common"
    subprocess.run(["gcc", "-std=c99", "-O1", "-g", *C_WARNINGS, "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", "-DTQ_FUZZ_STANDALONE", f"-I{common}",
                    str(FUZZ_DIR / "fuzz_frame_parser.c"), str(common / "frame_parser.c"), str(common / "crc32.c"),
                    "-o", str(exe)], check=True, capture_output=True, text=True)
    seeds = sorted((FUZZ_DIR / "seeds").iterdir())
    res = subprocess.run([str(exe), "-v", *map(str, seeds)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-2000:]
    events: dict[str, list[str]] = {}
    for line in res.stdout.splitlines():
        if line.startswith(str(FUZZ_DIR)):
            cur = events.setdefault(Path(line).name, [])
        elif " " in line and not line.endswith("OK"):
            cur.append(line)
    ok = lambda name: [e for e in events[name] if e.startswith("ok")]  # noqa: E731
    assert ok("second_sync") == ["ok H 1 0", "ok Q 2 0"]
    assert ok("crc_ends_in_sync")[0] == "ok H 9 0" and len(ok("crc_ends_in_sync")) == 3
    assert events["truncated_then_retry"] == ["bad_crc R 3 20", "ok R 3 20", "ok H 4 0"]
    assert events["frame_inside_broken"] == ["bad_crc R 5 20", "ok C 6 4", "ok H 7 0"]
    assert ok("bad_headers") == ["ok H 8 0"]


def _burst(rng: random.Random) -> tuple[bytes, bool]:
    """Random bytes with sync bytes and fake headers; True if it leaves the device inside a
    plausible 'R' frame (which the host's retry must complete)."""
    parts = [rng.randbytes(rng.randrange(1, 80))]
    stuck = False
    for _ in range(rng.randrange(0, 4)):
        c = rng.randrange(6)
        if c == 0:
            parts.append(b"\xa5")
        elif c == 1:
            parts.append(b"\xa5\x5a")
        elif c == 2:   # a header the device refuses: it answers 'E', with a sequence number nobody awaits
            parts.append(b"\xa5\x5a" + rng.choice([b"Z", b"H", b"R"]) + struct.pack("<HI", rng.randrange(1 << 16), 3))
        elif c == 3:   # a valid-looking 'H' with a broken CRC
            parts.append(encode(b"H", b"", rng.randrange(1 << 16))[:-1] + b"\x00")
        else:
            parts.append(rng.randbytes(rng.randrange(1, 40)))
    if rng.random() < 0.05:   # ends inside an 'R' request the device will wait for
        parts.append(encode(b"R", bytes(640), rng.randrange(1 << 16))[:rng.randrange(12, 200)])
        stuck = True
    elif rng.random() < 0.3:
        parts.append(rng.choice([b"\xa5", b"\xa5\x5a", b"\xa5\xa5"]))   # ends in a sync byte
    return b"".join(parts), stuck


@pytest.mark.slow
def test_real_firmware_resyncs_after_every_garbage_burst(tmp_path) -> None:
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("needs arm-none-eabi-gcc and qemu-system-arm")
    gen = compile(mlperf_path("ad01_int8"))
    gen.write(tmp_path / "model")
    board = load_board("mps2_an386")
    image = build(build_spec(board), tmp_path / "model", tmp_path / board.name)
    rng = random.Random(42)
    x = np.frombuffer(rng.randbytes(640), np.int8).reshape(1, 640)
    bursts, resyncs, stuck = 120, 0, 0
    with Qemu(image.elf, board, timeout=600) as q:
        port = open_port(q.port_url)
        link = Link(port, timeout=2, retries=2)
        assert link.info()["model"] == "ad01_int8"
        want = link.run([x], [("int8", (1, 640))], layers=10)
        for i in range(bursts):
            garbage, s = _burst(rng)
            stuck += s
            port.write(garbage)
            op = i % 3
            if op == 0:
                assert link.info()["layers"] == "10"
            elif op == 1:
                assert link.calibrate(1000) > 0
            else:
                r = link.run([x], [("int8", (1, 640))], layers=10)
                assert r.outputs[0].tolist() == want.outputs[0].tolist()
                assert all(abs(a - b) <= 4 for a, b in zip(r.layers, want.layers))   # timer ticks, not instructions
            resyncs += 1
        link.quit()
        port.close()
        assert q.wait(10) == 0
    print(f"\n{bursts} garbage bursts ({stuck} ending inside an 'R' frame): resynced {resyncs} times; "
          f"link retries {link.stats.retries}, stale answers dropped {link.stats.stale}")
    assert resyncs == bursts
    assert link.stats.retries <= 2 * stuck + 2    # only a frame left open needs a retry
