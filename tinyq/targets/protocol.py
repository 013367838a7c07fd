"""Host side of the benchmark firmware's framed serial protocol (see firmware/common/bench_main.c).

Frame (both directions, little endian): 0xA5 0x5A, type (u8), seq (u16), length (u32), payload,
CRC-32 (zlib) of type+seq+length+payload. Types: 'H' info, 'R' run, 'F' run on inputs read from a
file (semihosting), 'G' run on inputs the device generates from a seed, 'C' calibrate, 'Q' quit,
and 'E' (device only) for a frame it could not take.

Every request carries a new sequence number and the device's answer echoes it: an answer with any
other number (late, duplicated, left over from an earlier session) is dropped, never paired with
the wrong request. Both sides resynchronise on any byte: a 0xA5 always starts a frame, and after a
frame with an implausible header or a bad CRC scanning resumes at the byte after its 0xA5, so a
valid frame behind (or inside) garbage is never lost. A request is retried (a new sequence number
each time) after a timeout, a broken answer or the device's 'E' answer, within a total deadline of
timeout x (retries + 1); a retry is preceded by zero bytes (never a sync byte) that complete any
request the device may still be inside after a cut-short one. Every failure, a lost connection
included, is a ProtocolError saying what was received."""
from __future__ import annotations

import math
import random
import re
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import serial

from tinyq.errors import TinyqError

SYNC = b"\xa5\x5a"
HEAD = 9                       # sync, type, seq, length
TAIL = 4                       # CRC-32
MAX_PAYLOAD = 4 << 20
# What the host takes from the device, by frame type: (shortest, longest) payload.
ANSWER_LENGTHS = {b"H": (0, 1 << 16), b"R": (12, MAX_PAYLOAD), b"F": (12, MAX_PAYLOAD), b"G": (12, MAX_PAYLOAD),
                  b"C": (4, 4), b"Q": (0, 0),
                  b"E": (0, 1024)}
RUN_KINDS = (b"R", b"F", b"G")   # the inference requests, answered with counts and outputs
INT_INFO_FIELDS = ("layers", "arena", "counter_hz", "baud")
LIST_INFO_FIELDS = ("inputs", "outputs")
MAX_RETRIES = 100
MAX_FILLER = 1 << 16

# What a broken serial port raises (pyserial, the OS, a closed file-like object).
PORT_ERRORS = (serial.SerialException, OSError, EOFError, ValueError)


class Generated(NamedTuple):
    """The inputs of a 'G' request: sample `sample` of the device's generator seeded with `seed`
    (tinyq/targets/device_inputs.py computes the same values on the host)."""
    seed: int
    sample: int


class ProtocolError(TinyqError):
    """The device did not answer, or answered with garbage."""


def open_port(port: str, baud: int = 115200, timeout: float = 0.5):
    """Open a device path (/dev/ttyACM0, COM3) or a pyserial URL (socket://127.0.0.1:PORT)."""
    try:
        return serial.serial_for_url(port, baudrate=baud, timeout=timeout)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise ProtocolError(f"cannot open serial port {port}: {exc}",
                            "is the board connected? list ports with `python -m serial.tools.list_ports`; "
                            "for the emulator use `tinyq deploy --emulate`") from None


def connect(port: str, rates: Sequence[int], *, timeout: float = 10.0, hello_timeout: float = 1.0,
            opener: Callable[[str, int], Any] = open_port, warn: Callable[[str], None] | None = None) -> Link:
    """A Link to the firmware on `port` at the first of `rates` it answers at (the board's
    max_baud, then its baud for firmware built before it): each rate is opened and asked for the
    firmware's info ('H') within hello_timeout x 3. `link.baud` says which rate answered; `warn`
    hears about a fallback. A port that cannot be opened fails at once; no answer at any rate is
    a ProtocolError naming every rate tried."""
    tried: list[str] = []
    order = list(dict.fromkeys(int(r) for r in rates))
    for rate in order:
        ser = opener(port, rate)
        link = Link(ser, timeout=timeout)
        try:
            link.request(b"H", timeout=hello_timeout)
        except ProtocolError as exc:
            tried.append(f"{rate:,} baud ({exc.message})")
            try:
                ser.close()
            except PORT_ERRORS:
                pass
            continue
        link.baud = rate
        if warn is not None and rate != order[0]:
            warn(f"the firmware on {port} answers at {rate:,} baud, not {order[0]:,}: flash firmware built "
                 "by this tinyq for the faster link")
        return link
    raise ProtocolError(f"no answer from the tinyq firmware on {port}: " + "; ".join(tried),
                        "check the port and that the board runs the tinyq firmware; --baud RATE picks the rate")


def encode(kind: bytes, payload: bytes = b"", seq: int = 0) -> bytes:
    """One frame: sync, type, sequence number, length, payload, CRC."""
    head = kind + struct.pack("<HI", seq & 0xFFFF, len(payload))
    return SYNC + head + payload + struct.pack("<I", zlib.crc32(head + payload))


class Event(NamedTuple):
    """What the scanner found: 'frame' (valid), 'bad_header' (refused type/length), 'bad_crc'."""
    what: str
    kind: bytes
    seq: int
    length: int
    payload: bytes = b""


class FrameScanner:
    """The frame parser over a byte buffer: same results as the firmware's byte-at-a-time state
    machine (firmware/common/frame_parser.c), which the libFuzzer harness checks against the same
    algorithm. `accept(kind, length)` says which headers are plausible."""

    def __init__(self, accept: Callable[[bytes, int], bool]):
        self.accept = accept
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data: bytes) -> None:
        if self.pos > 4096:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def clear(self) -> None:
        self.buf.clear()
        self.pos = 0

    def wanted(self) -> int:
        """Bytes still missing for the frame being received (1 when between frames)."""
        i, buf = self.pos, self.buf
        have = len(buf) - i
        if have <= 0 or buf[i] != SYNC[0]:
            return 1
        if have < HEAD:
            return HEAD - have
        return max(1, HEAD + struct.unpack_from("<I", buf, i + 5)[0] + TAIL - have)

    def partial(self) -> bool:
        """A frame has started but is not complete yet."""
        return self.pos < len(self.buf) and self.buf[self.pos] == SYNC[0]

    def next(self) -> Event | None:
        """The next event, or None when more bytes are needed."""
        buf = self.buf
        while True:
            i = buf.find(SYNC[:1], self.pos)
            if i < 0:
                self.pos = len(buf)
                return None
            self.pos = i
            if len(buf) - i < 2:
                return None
            if buf[i + 1] != SYNC[1]:
                self.pos = i + 1
                continue
            if len(buf) - i < HEAD:
                return None
            kind = bytes(buf[i + 2:i + 3])
            seq, length = struct.unpack_from("<HI", buf, i + 3)
            if not self.accept(kind, length):
                self.pos = i + 1
                return Event("bad_header", kind, seq, length)
            end = i + HEAD + length + TAIL
            if len(buf) < end:
                return None
            body = bytes(buf[i + HEAD:end - TAIL])
            if struct.unpack_from("<I", buf, end - TAIL)[0] != zlib.crc32(bytes(buf[i + 2:i + HEAD]) + body):
                self.pos = i + 1
                return Event("bad_crc", kind, seq, length)
            self.pos = end
            return Event("frame", kind, seq, length, body)


@dataclass
class RunResult:
    total: int                 # counter ticks for one inference
    stack_bytes: int           # stack high-water mark
    layers: list[int]          # counter ticks per layer
    outputs: list[np.ndarray]


@dataclass
class LinkStats:
    """What the link skipped or recovered from (for diagnostics and the fuzzers)."""
    requests: int = 0
    retries: int = 0
    stale: int = 0             # valid answers with another sequence number, dropped
    bad_crc: int = 0
    bad_header: int = 0
    device_errors: int = 0     # the device's 'E' answers to our requests
    by_kind: dict[str, int] = field(default_factory=dict)   # failed attempts by cause


class _Retry(Exception):
    """An attempt failed in a way a new attempt may fix; `why` is a short name for the stats."""

    def __init__(self, why: str, error: ProtocolError):
        super().__init__(error.message)
        self.why = why
        self.error = error


def _check_seconds(value: Any, what: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise TinyqError(f"{what} must be a positive number of seconds, not {value!r}")
    return float(value)


class Link:
    """A request/response channel over a pyserial port (device path or URL such as socket://).

    `clock` is the time source for the deadlines (tests pass a virtual one); `seq` the first
    sequence number (random by default, so answers left from an earlier session never match)."""

    def __init__(self, port, timeout: float = 10.0, retries: int = 2, *,
                 clock: Callable[[], float] = time.monotonic, seq: int | None = None):
        self.port = port
        self.timeout = _check_seconds(timeout, "the serial timeout")
        if not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
            raise TinyqError(f"retries must be an integer from 0 to {MAX_RETRIES}, not {retries!r}")
        self.retries = retries
        self.clock = clock
        self.seq = random.randrange(1 << 16) if seq is None else seq & 0xFFFF
        self.stats = LinkStats()
        self._r_length: int | None = None     # the exact 'R' (or 'F') answer length, when known
        # an emulator's folder the firmware reads files from by semihosting ('F' requests), if any
        self.files_dir: Path | None = None
        self.baud: int | None = None          # the rate `connect` found the firmware at
        self._longest = 0                     # the longest request frame sent
        self._device_longest = 0              # the longest request the device takes (from 'H')
        self._scanner = FrameScanner(self._accept)
        try:   # a port without a read timeout would block for ever
            if getattr(port, "timeout", 0.5) is None:
                port.timeout = 0.5
        except PORT_ERRORS:
            pass

    # -- the port, every failure a ProtocolError --------------------------------------------
    def _lost(self, exc: BaseException, doing: str) -> ProtocolError:
        return ProtocolError(f"serial connection lost while {doing}: {type(exc).__name__}: {exc}",
                             "the device reset or the cable/emulator went away; reconnect and run again")

    def _write(self, data: bytes, kind: bytes) -> None:
        try:
            self.port.write(data)
        except PORT_ERRORS as exc:
            raise self._lost(exc, f"sending the '{kind.decode()}' request") from None

    def _waiting(self) -> int:
        try:
            n = getattr(self.port, "in_waiting", 0)
        except PORT_ERRORS as exc:
            raise self._lost(exc, "reading") from None
        return n if isinstance(n, int) and n > 0 else 0

    def _read(self, n: int) -> bytes:
        try:
            chunk = self.port.read(n)
        except PORT_ERRORS as exc:
            raise self._lost(exc, "reading") from None
        return bytes(chunk) if chunk else b""

    def _drain(self) -> None:
        """Forget what was received so far (before a retry)."""
        self._scanner.clear()
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError, EOFError, ValueError, AttributeError):
            pass    # a dead port fails at the next write, with a clear message

    # -- frames -------------------------------------------------------------------------------
    def _accept(self, kind: bytes, length: int) -> bool:
        if kind in RUN_KINDS and self._r_length is not None:
            return length == self._r_length
        lo, hi = ANSWER_LENGTHS.get(kind, (1, 0))
        return lo <= length <= hi

    def _next_event(self, deadline: float, until_quiet: bool = False) -> Event | None:
        """The next scanner event, reading as needed; None at the deadline or, with until_quiet,
        once a read brought nothing and no frame is half received."""
        while True:
            ev = self._scanner.next()
            if ev is not None:
                if ev.what != "frame":
                    setattr(self.stats, ev.what, getattr(self.stats, ev.what) + 1)
                return ev
            if self.clock() >= deadline:
                return None
            want = max(self._scanner.wanted(), min(self._waiting(), 1 << 16))
            chunk = self._read(min(want, 1 << 16))
            if not chunk and until_quiet and not self._scanner.partial():
                return None
            self._scanner.feed(chunk)

    def _read_frame(self, timeout: float) -> tuple[bytes, bytes]:
        """The next valid frame, whatever its sequence number (an 'E' frame raises)."""
        deadline = self.clock() + _check_seconds(timeout, "the timeout")
        while True:
            ev = self._next_event(deadline)
            if ev is None:
                raise ProtocolError(f"serial timeout: no frame within {timeout:g} s",
                                    "check the port, the baud rate and that the board runs the tinyq firmware")
            if ev.what == "bad_crc":
                raise ProtocolError(f"CRC mismatch in a '{_show(ev.kind)}' frame from the device")
            if ev.what == "frame":
                if ev.kind == b"E":
                    raise ProtocolError(f"the device reported: {ev.payload.decode(errors='replace')}")
                return ev.kind, ev.payload

    def _attempt(self, kind: bytes, seq: int, deadline: float, timeout: float) -> bytes:
        """Wait for the answer with this sequence number; _Retry when a new attempt may help."""
        suspect: ProtocolError | None = None
        why = ""
        while True:
            ev = self._next_event(deadline, until_quiet=suspect is not None)
            if ev is None:
                if suspect is not None and self.clock() < deadline:
                    raise _Retry(why, suspect)    # our answer arrived broken and the line went quiet
                msg = f"serial timeout: no answer to the '{kind.decode()}' request within {timeout:g} s"
                raise _Retry("timeout", ProtocolError(msg + (f" ({suspect.message})" if suspect else ""),
                                           "check the port, the baud rate and that the board runs the "
                                           "tinyq firmware built for this model"))
            if ev.what == "bad_crc":
                why = "bad_crc"
                suspect = ProtocolError(f"CRC mismatch in a '{_show(ev.kind)}' frame from the device "
                                        "(noise on the line, or a wrong baud rate)")
            elif ev.what == "bad_header":
                if ev.kind == kind:
                    why = "bad_length"
                    suspect = ProtocolError(self._length_message(kind, ev.length))
            elif ev.seq != seq:
                self.stats.stale += 1          # late or duplicated: not the answer to this request
            elif ev.kind == b"E":
                self.stats.device_errors += 1
                raise _Retry("device_error", ProtocolError(f"the device reported: {ev.payload.decode(errors='replace')}",
                                           "the request reached the device broken; if this persists, "
                                           "rebuild and flash the firmware for this model"))
            elif ev.kind != kind:
                why = "wrong_type"
                suspect = ProtocolError(f"expected a '{kind.decode()}' answer, got a '{_show(ev.kind)}' frame")
            else:
                return ev.payload

    def _length_message(self, kind: bytes, length: int) -> str:
        if kind in RUN_KINDS and self._r_length is not None:
            return (f"the device's '{kind.decode()}' answer has {length:,} bytes, expected {self._r_length:,}: "
                    "is it running the firmware built for this model?")
        if kind not in ANSWER_LENGTHS:
            return f"the device answered with a '{_show(kind)}' frame, a type the host does not know"
        lo, hi = ANSWER_LENGTHS[kind]
        want = f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"
        return f"the device's '{kind.decode()}' answer has {length:,} bytes, expected {want}"

    def _filler(self, attempt: int) -> int:
        """Bytes that complete any request frame the device may be stuck in."""
        return min(max(self._longest, self._device_longest, 512 * 8 ** (attempt - 1)), MAX_FILLER)

    def request(self, kind: bytes, payload: bytes = b"", timeout: float | None = None) -> bytes:
        """Send a frame and return the payload of its answer, retrying on timeouts, broken
        answers and the device's 'E' answer, within a total deadline of timeout x (retries + 1)."""
        t = self.timeout if timeout is None else _check_seconds(timeout, "the timeout")
        deadline = self.clock() + t * (self.retries + 1)
        self.stats.requests += 1
        last: ProtocolError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                if self.clock() >= deadline:
                    break
                self.stats.retries += 1
                self._drain()    # what is left of the failed try is not this answer
                # A request cut short on the way leaves the device inside a frame that would swallow
                # this retry: zeros (never a sync byte) complete it, and the device rescans.
                self._write(bytes(self._filler(attempt)), kind)
            self.seq = (self.seq + 1) & 0xFFFF
            frame = encode(kind, payload, self.seq)
            self._longest = max(self._longest, len(frame))
            self._write(frame, kind)
            try:
                return self._attempt(kind, self.seq, min(deadline, self.clock() + t), t)
            except _Retry as r:
                last = r.error
                self.stats.by_kind[r.why] = self.stats.by_kind.get(r.why, 0) + 1
        assert last is not None
        tries = self.retries + 1
        raise ProtocolError(last.message + (f" (after {tries} attempts)" if tries > 1 else ""), last.hint)

    # -- the requests ---------------------------------------------------------------------------
    def calibrate(self, n: int) -> int:
        """Counter delta over a device loop of exactly 2*n instructions."""
        if not isinstance(n, int) or not 1 <= n < 1 << 31:
            raise TinyqError(f"calibration loop length must be from 1 to 2**31 - 1, not {n!r}")
        body = self.request(b"C", struct.pack("<I", n))
        if len(body) != 4:
            raise ProtocolError(f"calibration frame has {len(body)} bytes, expected 4")
        delta = struct.unpack("<I", body)[0]
        if delta >= 1 << 31:
            raise ProtocolError(f"the device measured {delta:#010x} counter ticks for a loop of {2 * n:,} "
                                f"instructions: a negative count ({delta - (1 << 32):,}) wrapped around",
                                "the device's counter went backwards or was reset during the loop")
        return delta

    def info(self) -> dict[str, str]:
        """The device's description: model, layers, arena, counter, counter_hz, inputs, outputs."""
        body = self.request(b"H")
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            raise ProtocolError(f"the device's info answer is not text: {body[:60]!r}") from None
        fields: dict[str, str] = {}
        for line in text.splitlines():
            if not line:
                continue
            if "=" not in line:
                raise ProtocolError(f"the device's info answer has a line without '=': {line[:60]!r}")
            key, value = line.split("=", 1)
            fields[key] = value
        for key in INT_INFO_FIELDS:
            if key in fields and not re.fullmatch(r"[0-9]{1,10}", fields[key]):
                raise ProtocolError(f"the device's info field {key}={fields[key][:40]!r} is not an integer")
        for key in LIST_INFO_FIELDS:
            if key in fields and not re.fullmatch(r"[0-9]{1,10}(,[0-9]{1,10})*", fields[key]):
                raise ProtocolError(f"the device's info field {key}={fields[key][:40]!r} is not a list of integers")
        if "inputs" in fields:
            self._device_longest = HEAD + sum(int(v) for v in fields["inputs"].split(",")) + TAIL
        return fields

    def run(self, inputs: list[np.ndarray] | int | Generated, outputs: list[tuple[str, tuple[int, ...]]],
            timeout: float | None = None, layers: int | None = None) -> RunResult:
        """One inference. `layers` (the model's layer count) makes the answer's length exact.
        `inputs` an int: the byte offset of this sample's inputs in the device's inputs file
        (an 'F' request: no serial transfer, see firmware/common/bench_main.c); a Generated: the
        device makes them from the seed (a 'G' request, 8 bytes whatever the model's inputs)."""
        if isinstance(inputs, Generated):
            for name, v in zip(Generated._fields, inputs):
                if not isinstance(v, int) or not 0 <= v < 1 << 32:
                    raise TinyqError(f"the generator's {name} must be an integer from 0 to 2**32 - 1, not {v!r}")
            kind, payload = b"G", struct.pack("<II", *inputs)
        elif isinstance(inputs, int):
            kind, payload = b"F", struct.pack("<I", inputs)
        else:
            kind, payload = b"R", b"".join(np.ascontiguousarray(x).tobytes() for x in inputs)
        sizes = [int(np.prod(shape)) * np.dtype(dtype).itemsize for dtype, shape in outputs]
        out_bytes = sum(sizes)
        self._r_length = None if layers is None else 12 + 4 * layers + out_bytes
        try:
            body = self.request(kind, payload, timeout)
        finally:
            self._r_length = None
        if len(body) < 12:
            raise ProtocolError(f"result frame has {len(body)} bytes, expected at least 12")
        total, stack, n = struct.unpack_from("<III", body)
        if layers is not None and n != layers:
            raise ProtocolError(f"the device reported {n:,} layers, the model has {layers}",
                                "flash the firmware built for this model")
        expected = 12 + 4 * n + out_bytes
        if len(body) != expected:
            raise ProtocolError(f"result frame has {len(body):,} bytes, expected {expected:,} "
                                f"(12 + 4 x {n:,} layers + {out_bytes:,} output bytes)")
        counts = list(struct.unpack_from(f"<{n}I", body, 12))
        if sum(counts) > total:
            raise ProtocolError(f"the device's per-layer counts add up to {sum(counts):,}, more than the "
                                f"total {total:,}: the counter wrapped or the answer is garbage")
        pos = 12 + 4 * n
        outs = []
        for (dtype, shape), size in zip(outputs, sizes):
            outs.append(np.frombuffer(body[pos:pos + size], dtype=dtype).reshape(shape))
            pos += size
        return RunResult(total, stack, counts, outs)

    def quit(self) -> None:
        self.request(b"Q")


def _show(kind: bytes) -> str:
    return kind.decode("latin-1") if kind and 32 <= kind[0] < 127 else f"0x{kind.hex()}"
