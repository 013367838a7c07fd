"""Host side of the benchmark firmware's framed serial protocol (see firmware/common/bench_main.c).

Frame: 0xA5 0x5A, type, u32 length, payload, u32 CRC-32 of type+length+payload (little endian)."""
from __future__ import annotations

import struct
import time
import zlib
from dataclasses import dataclass

import numpy as np
import serial

from tinyq.errors import TinyqError

SYNC = b"\xa5\x5a"
MAX_PAYLOAD = 4 << 20


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


def encode(kind: bytes, payload: bytes = b"") -> bytes:
    head = kind + struct.pack("<I", len(payload))
    return SYNC + head + payload + struct.pack("<I", zlib.crc32(head + payload))


@dataclass
class RunResult:
    total: int                 # counter ticks for one inference
    stack_bytes: int           # stack high-water mark
    layers: list[int]          # counter ticks per layer
    outputs: list[np.ndarray]


class Link:
    """A request/response channel over a pyserial port (device path or URL such as socket://)."""

    def __init__(self, port, timeout: float = 10.0, retries: int = 2):
        self.port = port
        self.timeout = timeout
        self.retries = retries

    def _read_exact(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            if time.monotonic() > deadline:
                raise ProtocolError(f"serial timeout: got {len(buf)} of {n} bytes",
                                    "check the port, the baud rate and that the board runs the tinyq firmware")
            try:
                chunk = self.port.read(n - len(buf))
            except (serial.SerialException, OSError) as exc:
                raise ProtocolError(f"serial connection lost: {exc}",
                                    "the device reset or the cable/emulator went away") from None
            if chunk:
                buf += chunk
        return bytes(buf)

    def _read_frame(self, timeout: float) -> tuple[bytes, bytes]:
        deadline = time.monotonic() + timeout
        skipped = 0
        while True:  # find the sync bytes, skipping anything else (boot noise, garbage)
            b = self._read_exact(1, deadline)
            if b == SYNC[:1] and self._read_exact(1, deadline) == SYNC[1:]:
                break
            skipped += 1
            if skipped > 1 << 16:
                raise ProtocolError("no frame from the device, only garbage on the serial line",
                                    "is the right firmware flashed, at the right baud rate?")
        head = self._read_exact(5, deadline)
        kind, length = head[:1], struct.unpack("<I", head[1:])[0]
        if length > MAX_PAYLOAD:
            raise ProtocolError(f"frame length {length} is implausible (garbage on the line?)")
        payload = self._read_exact(length, deadline)
        crc = struct.unpack("<I", self._read_exact(4, deadline))[0]
        if crc != zlib.crc32(head + payload):
            raise ProtocolError("CRC mismatch in a frame from the device")
        if kind == b"E":
            raise ProtocolError(f"the device reported: {payload.decode(errors='replace')}")
        return kind, payload

    def request(self, kind: bytes, payload: bytes = b"", timeout: float | None = None) -> bytes:
        """Send a frame and return the payload of the answer, retrying on CRC/timeouts."""
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._drain()  # a late or partial answer to the failed try must not be taken for this one
            try:
                self.port.write(encode(kind, payload))
                got, body = self._read_frame(timeout or self.timeout)
                if got != kind:
                    raise ProtocolError(f"expected a '{kind.decode()}' frame, got '{got.decode(errors='replace')}'")
                return body
            except ProtocolError as exc:
                last = exc
                if "the device reported" in str(exc) and "CRC" not in str(exc):
                    break
        assert last is not None
        raise last

    def _drain(self) -> None:
        try:
            time.sleep(0.05)
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError, AttributeError):
            pass

    def calibrate(self, n: int) -> int:
        """Counter delta over a device loop of exactly 2*n instructions."""
        body = self.request(b"C", struct.pack("<I", n))
        if len(body) != 4:
            raise ProtocolError(f"calibration frame has {len(body)} bytes, expected 4")
        return struct.unpack("<I", body)[0]

    def info(self) -> dict[str, str]:
        text = self.request(b"H").decode(errors="replace")
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def run(self, inputs: list[np.ndarray], outputs: list[tuple[str, tuple[int, ...]]],
            timeout: float | None = None) -> RunResult:
        payload = b"".join(np.ascontiguousarray(x).tobytes() for x in inputs)
        body = self.request(b"R", payload, timeout)
        total, stack, n = struct.unpack_from("<III", body)
        layers = list(struct.unpack_from(f"<{n}I", body, 12))
        pos = 12 + 4 * n
        outs = []
        for dtype, shape in outputs:
            size = int(np.prod(shape)) * np.dtype(dtype).itemsize
            outs.append(np.frombuffer(body[pos:pos + size], dtype=dtype).reshape(shape))
            pos += size
        if pos != len(body):
            raise ProtocolError(f"result frame has {len(body)} bytes, expected {pos}")
        return RunResult(total, stack, layers, outs)

    def quit(self) -> None:
        self.request(b"Q")
