"""Serial protocol fuzzer: seeded, mutated sessions between the host `Link` and a fake device.

    .venv/bin/python benchmarks/fuzz_serial.py --sessions 1000 --seed 0

Each session runs info, two calibrations, three inferences on sent inputs, one on inputs the
device generates ('G') and quit against an honest device
model that speaks the firmware's protocol, over an in-memory port with a virtual clock (no real
waiting). Between them the line and the device misbehave, per session a few of: truncated,
bit-flipped or duplicated frames, garbage bursts (with 0xA5 / 0xA5 0x5A and fake headers), late
answers (after the host's timeout), broken requests, a disconnect (SerialException, BrokenPipe,
OSError...), and a lying device (valid CRC, broken content: lost layers, wrong lengths, non-integer
info fields, wrapped calibration deltas, wrong answer types, stale sequence numbers).

Outcomes per request: `ok` (the honest device's result), or `refused` (a TinyqError, counted by
kind). Failures: `traceback` (any other exception), `hang` (over the time bound, in virtual
time), `wrong` (a result that differs from what the honest device sent, without an error). The
last line is the summary; the exit status is 1 if any failure was seen."""
from __future__ import annotations

import argparse
import collections
import hashlib
import random
import struct
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import numpy as np
import serial

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinyq.errors import TinyqError  # noqa: E402
from tinyq.targets.protocol import FrameScanner, Generated, Link, encode  # noqa: E402

LAYERS = 6
IN_BYTES = 40
OUT_SHAPE = (1, 10)
TIMEOUT = 0.5          # the host's per-answer timeout (virtual seconds)
RETRIES = 2
PORT_TIMEOUT = 0.05    # what one empty read costs


class Hang(Exception):
    """The session ran past its time bound (raised by the fake port, never by the Link)."""


class Clock:
    """Virtual time: it only moves when the host reads and nothing is there."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


# -- the honest device ----------------------------------------------------------------------

def info_text() -> str:
    return (f"model=fake\nlayers={LAYERS}\narena=1234\ncounter=cycles\ncounter_hz=64000000\n"
            f"inputs={IN_BYTES}\noutputs={int(np.prod(OUT_SHAPE))}\n")


def cal_delta(n: int) -> int:
    return 6 * n + 17


def run_answer(x: bytes) -> tuple[int, int, list[int], bytes]:
    h = hashlib.sha256(x).digest()
    layers = [1000 + h[i] for i in range(LAYERS)]
    return sum(layers) + 50 + h[10], 2048 + h[11], layers, h[12:12 + int(np.prod(OUT_SHAPE))]


def r_payload(total: int, stack: int, layers: list[int], out: bytes) -> bytes:
    return struct.pack(f"<III{len(layers)}I", total, stack, len(layers), *layers) + out


def device_accept(kind: bytes, length: int) -> bool:
    return (kind in (b"H", b"Q") and length == 0) or (kind == b"C" and length == 4) or \
        (kind == b"R" and length == IN_BYTES) or (kind == b"G" and length == 8)


def honest_answer(kind: bytes, payload: bytes) -> bytes:
    if kind == b"H":
        return info_text().encode()
    if kind == b"C":
        return struct.pack("<I", cal_delta(struct.unpack("<I", payload)[0]))
    if kind in (b"R", b"G"):    # 'G': the fake device's "inputs" are the seed and sample index
        return r_payload(*run_answer(payload))
    return b""


def lie(kind: bytes, payload: bytes, seq: int, rng: random.Random) -> bytes:
    """A valid frame (right CRC) whose content breaks the protocol's invariants."""
    honest = honest_answer(kind, payload)
    choice = rng.randrange(6)
    if choice == 0:                                   # a stale sequence number, different content
        stale = bytearray(honest)
        if stale:
            stale[rng.randrange(len(stale))] ^= 0xFF
        return encode(kind, bytes(stale), seq - rng.randrange(1, 4))
    if choice == 1:                                   # the wrong answer type
        return encode(rng.choice([k for k in (b"H", b"C", b"Q", b"R", b"G") if k != kind]), honest, seq)
    if kind == b"H":
        bad = rng.choice(["layers=six", "arena=-5", "counter_hz=1e9", "inputs=40,x", "layers=",
                          "no equals sign", "layers=99999999999"])
        text = info_text().replace(f"layers={LAYERS}", bad) if bad.startswith("layers") \
            else info_text() + bad + "\n"
        return encode(b"H", text.encode() if rng.random() < 0.8 else b"\xff\xfe" + text.encode(), seq)
    if kind == b"C":
        n = struct.unpack("<I", payload)[0]
        return encode(b"C", struct.pack("<I", (-cal_delta(n)) & 0xFFFFFFFF) if choice < 4
                      else struct.pack("<H", 7), seq)
    if kind in (b"R", b"G"):
        total, stack, layers, out = run_answer(payload)
        if choice == 2:                               # lost layers, consistent length
            return encode(kind, r_payload(total, stack, layers[:-rng.randrange(1, LAYERS)], out), seq)
        if choice == 3:                               # the layer count field lies
            lying = bytearray(r_payload(total, stack, layers, out))
            lying[8:12] = struct.pack("<I", rng.choice([0, LAYERS - 1, LAYERS + 1, 0xFFFFFFFF]))
            return encode(kind, bytes(lying), seq)
        if choice == 4:                               # short or long outputs / tiny frame
            body = r_payload(total, stack, layers, out)
            return encode(kind, rng.choice([body[:-3], body + b"\x00" * 5, body[:7]]), seq)
        return encode(kind, r_payload(sum(layers) - 1, stack, layers, out), seq)   # layers > total
    return encode(kind, b"x", seq)                     # 'Q' with a payload


class FakePort:
    """A pyserial-like port in memory: the host writes requests, the device's answers (mutated)
    arrive at scheduled virtual times and come out of read() in random chunks."""

    def __init__(self, rng: random.Random, clock: Clock, mutations: set[str], rate: float,
                 time_limit: float):
        self.rng, self.clock, self.mutations, self.rate = rng, clock, mutations, rate
        self.time_limit = time_limit
        self.timeout = PORT_TIMEOUT
        self.schedule: list[tuple[float, bytes]] = []     # (arrival time, bytes), in order
        self.scanner = FrameScanner(device_accept)
        self.calls = 0
        self.dead_after = rng.randrange(2, 60) if "disconnect" in mutations else None
        self.dead_exc: BaseException = rng.choice([
            serial.SerialException("device reports readiness to read but returned no data"),
            BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "Connection reset by peer"),
            OSError(5, "Input/output error"), serial.PortNotOpenError(), EOFError("closed")])
        self.quit = False

    def _tick(self) -> None:
        self.calls += 1
        if self.clock.t > self.time_limit or self.calls > 200_000:
            raise Hang(f"virtual time {self.clock.t:.1f} s, {self.calls} port calls")
        if self.dead_after is not None and self.calls > self.dead_after:
            raise self.dead_exc

    def _hit(self, what: str) -> bool:
        return what in self.mutations and self.rng.random() < self.rate

    def _send(self, data: bytes, delay: float = 0.001) -> None:
        at = max([self.clock.t + delay] + [t for t, _ in self.schedule[-1:]])
        self.schedule.append((at, data))

    def _garbage(self) -> bytes:
        parts = []
        for _ in range(self.rng.randrange(1, 5)):
            c = self.rng.randrange(5)
            if c == 0:
                parts.append(b"\xa5")
            elif c == 1:
                parts.append(b"\xa5\x5a")
            elif c == 2:   # a plausible header that never completes, or one with a huge length
                parts.append(b"\xa5\x5a" + self.rng.choice([b"R", b"H", b"C", b"E"]) +
                             struct.pack("<HI", self.rng.randrange(1 << 16),
                                         self.rng.choice([0, 4, 12, 100, 1 << 20, 0xFFFFFFFF])))
            else:
                parts.append(bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 40))))
        return b"".join(parts)

    def write(self, data: bytes) -> int:
        self._tick()
        if self.quit:
            return len(data)
        data = bytes(data)
        if self._hit("bad_request"):   # the request reaches the device broken (or twice)
            c = self.rng.randrange(3)
            if c == 0:
                data = data[:self.rng.randrange(len(data))]
            elif c == 1:
                b = bytearray(data)
                b[self.rng.randrange(len(b))] ^= 1 << self.rng.randrange(8)
                data = bytes(b)
            else:
                data = data + data
        self.scanner.feed(data)
        while (ev := self.scanner.next()) is not None:
            self._answer(ev)
        return len(data)

    def _answer(self, ev: Any) -> None:
        if ev.what != "frame":
            self._deliver(encode(b"E", b"CRC mismatch" if ev.what == "bad_crc" else b"bad frame type or length",
                                 ev.seq))
            return
        if ev.kind == b"Q":
            self.quit = True
        frame = lie(ev.kind, ev.payload, ev.seq, self.rng) if self._hit("lie") else \
            encode(ev.kind, honest_answer(ev.kind, ev.payload), ev.seq)
        self._deliver(frame, 0.01 if ev.kind in (b"R", b"G") else 0.001)

    def _deliver(self, frame: bytes, delay: float = 0.001) -> None:
        """Put one answer frame on the line, mutated."""
        rng = self.rng
        if self._hit("garbage"):
            self._send(self._garbage(), delay)
        if self._hit("late"):
            delay += TIMEOUT * rng.uniform(1.0, 3.0)
        if self._hit("truncate"):
            frame = frame[:rng.randrange(len(frame))]
        if self._hit("bitflip"):
            b = bytearray(frame)
            for _ in range(rng.randrange(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            frame = bytes(b)
        if self._hit("garbage") and len(frame) > 2:   # garbage inside the frame
            cut = rng.randrange(1, len(frame))
            frame = frame[:cut] + self._garbage() + frame[cut:]
        self._send(frame, delay)
        if self._hit("duplicate"):
            self._send(frame, rng.choice([0.0, 0.01, TIMEOUT * rng.uniform(0.5, 2.5)]))

    def _ready(self) -> int:
        return sum(len(d) for t, d in self.schedule if t <= self.clock.t)

    @property
    def in_waiting(self) -> int:
        self._tick()
        return self._ready()

    def read(self, n: int = 1) -> bytes:
        self._tick()
        out = bytearray()
        limit = min(n, self.rng.choice([1, 3, 17, 64, 1 << 20]))
        while self.schedule and self.schedule[0][0] <= self.clock.t and len(out) < limit:
            t, d = self.schedule.pop(0)
            take = limit - len(out)
            out += d[:take]
            if len(d) > take:
                self.schedule.insert(0, (t, d[take:]))
        if not out:   # nothing there: a read waits out the port timeout, or until bytes arrive
            nxt = self.schedule[0][0] if self.schedule else float("inf")
            self.clock.t = min(self.clock.t + PORT_TIMEOUT, max(nxt, self.clock.t))
        return bytes(out)

    def reset_input_buffer(self) -> None:
        self._tick()
        self.schedule = [(t, d) for t, d in self.schedule if t > self.clock.t]


# -- sessions -------------------------------------------------------------------------------

MUTATIONS = ["truncate", "bitflip", "garbage", "duplicate", "late", "bad_request", "disconnect", "lie"]


def run_session(seed: int, only: set[str] | None = None) -> collections.Counter:
    """One session (with the given mutations, or a random few); returns outcome counts: ok,
    refused:<kind>, traceback, hang, wrong."""
    rng = random.Random(seed)
    clock = Clock()
    mutations = set(rng.sample(MUTATIONS, rng.randrange(0, 4))) if only is None else only
    ops = ["info", "cal", "cal", "run", "run", "run", "gen", "quit"]
    per_request = TIMEOUT * (RETRIES + 1) + 1.0
    port = FakePort(rng, clock, mutations, rng.choice([0.1, 0.3, 0.6, 1.0]), per_request * len(ops))
    out: collections.Counter = collections.Counter()
    link = Link(port, timeout=TIMEOUT, retries=RETRIES, clock=clock, seq=rng.randrange(1 << 16))
    for op in ops:
        start = clock.t
        want: Any
        got: Any
        try:
            if op == "info":
                want, got = dict(line.split("=", 1) for line in info_text().splitlines()), link.info()
            elif op == "cal":
                n = rng.choice([1000, 51000])
                want, got = cal_delta(n), link.calibrate(n)
            elif op == "run":
                x = np.frombuffer(rng.randbytes(IN_BYTES), np.int8).reshape(1, IN_BYTES)
                r = link.run([x], [("int8", OUT_SHAPE)], layers=LAYERS)
                total, stack, layers, outs = run_answer(x.tobytes())
                want = (total, stack, layers, outs)
                got = (r.total, r.stack_bytes, r.layers, r.outputs[0].tobytes())
            elif op == "gen":
                seed_, sample = rng.randrange(1 << 32), rng.randrange(1 << 32)
                r = link.run(Generated(seed_, sample), [("int8", OUT_SHAPE)], layers=LAYERS)
                want = run_answer(struct.pack("<II", seed_, sample))
                got = (r.total, r.stack_bytes, r.layers, r.outputs[0].tobytes())
            else:
                link.quit()
                want, got = None, None
            out["ok" if got == want else "wrong"] += 1
        except TinyqError as exc:
            out["refused:" + _kind(exc.message)] += 1
        except Hang:
            out["hang"] += 1
            break
        except Exception:   # noqa: BLE001 - exactly what this fuzzer looks for
            out["traceback"] += 1
            print(f"session {seed} op {op}:\n{traceback.format_exc()}", file=sys.stderr)
        if clock.t - start > per_request:
            out["hang"] += 1
    return out


def _kind(message: str) -> str:
    for key, name in [("serial connection lost", "disconnect"), ("serial timeout", "timeout"),
                      ("device reported", "device_error"), ("CRC mismatch", "bad_crc"),
                      ("answer has", "bad_length"), ("info", "bad_info"), ("layers", "bad_result"),
                      ("result frame", "bad_result"), ("per-layer", "bad_result"), ("negative count", "bad_calibration"),
                      ("calibration", "bad_calibration"), ("expected a", "wrong_type")]:
        if key in message:
            return name
    return "other"


FAILURES = ("traceback", "hang", "wrong")


def fuzz(sessions: int, seed: int, only: set[str] | None = None,
         progress: Callable[[int], None] | None = None) -> collections.Counter:
    total: collections.Counter = collections.Counter()
    for i in range(sessions):
        total += run_session(seed * 1_000_003 + i, only)
        total["sessions"] += 1
        if progress:
            progress(i)
    return total


def summary(c: collections.Counter) -> str:
    refused = {k.split(":", 1)[1]: v for k, v in sorted(c.items()) if k.startswith("refused:")}
    return (f"sessions {c['sessions']}, requests ok {c['ok']}, refused {sum(refused.values())} "
            f"({', '.join(f'{k} {v}' for k, v in refused.items()) or 'none'}); "
            f"tracebacks {c['traceback']}, hangs {c['hang']}, wrong results accepted {c['wrong']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.monotonic()
    c = fuzz(args.sessions, args.seed)
    print(f"{time.monotonic() - t0:.1f} s")
    print(summary(c))
    return 1 if any(c[k] for k in FAILURES) else 0


if __name__ == "__main__":
    sys.exit(main())
