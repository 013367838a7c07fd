"""The host side of the serial protocol: over a real TCP socket (garbage, timeouts, CRC errors,
lost connections) and over a scripted in-memory port with a virtual clock (one regression test
per problem the serial fuzzer found)."""
from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from typing import Callable

import numpy as np
import pytest
import serial

from tinyq.boards import load_board
from tinyq.cli import main
from tinyq.errors import TinyqError
from tinyq.targets.protocol import FrameScanner, Link, ProtocolError, encode
from tinyq.workflows.bench import CAL_LONG, CAL_SHORT, check_counter


def _server(script) -> str:
    """A one-shot TCP peer that runs script(conn) and closes; returns its socket:// URL."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        try:
            script(conn)
        finally:
            time.sleep(0.3)
            conn.close()
            srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"socket://127.0.0.1:{srv.getsockname()[1]}"


def _seq(conn: socket.socket) -> int:
    """Receive up to a whole request frame (a retry comes after zeros); its sequence number."""
    sc = FrameScanner(lambda k, n: n < 1 << 16)
    while True:
        ev = sc.next()
        if ev is not None and ev.what == "frame":
            return ev.seq
        if ev is None:
            sc.feed(conn.recv(4096))


def test_garbage_before_a_valid_frame_is_skipped() -> None:
    def script(c):
        seq = _seq(c)
        c.sendall(b"boot noise \x00\xff\xa5" + encode(b"H", b"model=m\nlayers=3\n", seq))
    port = serial.serial_for_url(_server(script), timeout=0.2)
    assert Link(port, timeout=3).info() == {"model": "m", "layers": "3"}
    port.close()


def test_corrupted_crc_is_reported_after_retries() -> None:
    def script(conn):
        for _ in range(3):
            frame = bytearray(encode(b"H", b"model=m\n", _seq(conn)))
            frame[-1] ^= 0xFF
            conn.sendall(bytes(frame))
    port = serial.serial_for_url(_server(script), timeout=0.2)
    with pytest.raises(ProtocolError, match="CRC"):
        Link(port, timeout=2, retries=2).info()
    port.close()


def test_silent_device_times_out_clearly() -> None:
    port = serial.serial_for_url(_server(lambda c: (c.recv(64), time.sleep(2))), timeout=0.1)
    t0 = time.monotonic()
    with pytest.raises(ProtocolError, match="serial timeout"):
        Link(port, timeout=0.5, retries=0).info()
    assert time.monotonic() - t0 < 5
    port.close()


def test_lost_connection_is_a_clear_error() -> None:
    port = serial.serial_for_url(_server(lambda c: c.recv(64)), timeout=0.1)
    with pytest.raises(ProtocolError, match="serial connection"):
        Link(port, timeout=3, retries=0).info()
    port.close()


def test_device_error_frame_is_surfaced() -> None:
    port = serial.serial_for_url(_server(lambda c: c.sendall(encode(b"E", b"bad frame type", _seq(c)))),
                                 timeout=0.2)
    with pytest.raises(ProtocolError, match="bad frame type"):
        Link(port, timeout=2, retries=0).info()
    port.close()


# -- a scripted port: answers computed from each request, virtual time -------------------------

class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class ScriptedPort:
    """`answer(kind, seq, payload, n)` returns the bytes the device sends for the n-th request."""

    timeout = 0.05

    def __init__(self, answer: Callable[[bytes, int, bytes, int], bytes], clock: Clock,
                 fail_read: BaseException | None = None, fail_write: BaseException | None = None):
        self.answer, self.clock = answer, clock
        self.fail_read, self.fail_write = fail_read, fail_write
        self.rx = bytearray()
        self.sent = bytearray()
        self.requests: list[tuple[bytes, int, bytes]] = []
        self.scanner = FrameScanner(lambda k, n: k in (b"H", b"R", b"C", b"Q") and n <= 1 << 16)

    def write(self, data: bytes) -> int:
        if self.fail_write:
            raise self.fail_write
        self.sent += data
        self.scanner.feed(data)
        while (ev := self.scanner.next()) is not None:
            if ev.what == "frame":
                self.requests.append((ev.kind, ev.seq, ev.payload))
                self.rx += self.answer(ev.kind, ev.seq, ev.payload, len(self.requests) - 1)
        return len(data)

    @property
    def in_waiting(self) -> int:
        return len(self.rx)

    def read(self, n: int = 1) -> bytes:
        if self.fail_read:
            raise self.fail_read
        if not self.rx:
            self.clock.t += self.timeout
            if self.clock.t > 1000:
                raise AssertionError("the link never gave up")
            return b""
        out = bytes(self.rx[:n])
        del self.rx[:n]
        return out

    def reset_input_buffer(self) -> None:
        self.rx.clear()


def _link(answer, retries: int = 2, **port_args) -> tuple[Link, ScriptedPort]:
    clock = Clock()
    port = ScriptedPort(answer, clock, **port_args)
    return Link(port, timeout=1.0, retries=retries, clock=clock, seq=100), port


INFO = b"model=m\nlayers=2\narena=64\ncounter=cycles\ncounter_hz=64000000\ninputs=4\noutputs=3\n"


def _result(layers: list[int], out: bytes = b"\x01\x02\x03", total: int = 1000) -> bytes:
    return struct.pack(f"<III{len(layers)}I", total, 256, len(layers), *layers) + out


@pytest.mark.parametrize("exc", [serial.SerialException("device disconnected"), BrokenPipeError(32, "Broken pipe"),
                                 ConnectionResetError(104, "reset"), OSError(5, "Input/output error")])
@pytest.mark.parametrize("where", ["read", "write"])
def test_disconnect_mid_session_is_a_protocol_error(exc, where) -> None:
    link, _ = _link(lambda k, s, p, n: encode(k, INFO, s), **{f"fail_{where}": exc})
    with pytest.raises(ProtocolError, match="serial connection lost") as info:
        link.info()
    assert type(exc).__name__ in str(info.value)


@pytest.mark.parametrize("body, message", [
    (b"", "'R' answer has 0 bytes, expected 12 to"), (b"\x00" * 7, "'R' answer has 7 bytes"),
    (struct.pack("<III", 1, 2, 0xFFFFFFFF), "result frame has 12 bytes"),
    (_result([1, 2])[:-1], "expected 23"), (_result([1, 2]) + b"\x00" * 9, "expected 23"),
])
def test_short_or_huge_result_frames_are_refused(body, message) -> None:
    link, _ = _link(lambda k, s, p, n: encode(b"R", body, s))
    with pytest.raises(ProtocolError, match=message):
        link.run([np.zeros(4, np.int8)], [("int8", (1, 3))])


def test_outputs_are_not_reshaped_before_the_length_check() -> None:
    # 2 output bytes where (1, 3) needs 3: once a ValueError from numpy's reshape
    link, _ = _link(lambda k, s, p, n: encode(b"R", _result([1, 2], b"\x01\x02"), s))
    with pytest.raises(ProtocolError, match="result frame has 22 bytes, expected 23"):
        link.run([np.zeros(4, np.int8)], [("int8", (1, 3))])


@pytest.mark.parametrize("bad", [b"layers=two", b"arena=-1", b"counter_hz=6.4e7", b"inputs=4,", b"outputs=x",
                                 b"no equals sign", b"\xff\xfe"])
def test_non_integer_info_fields_are_refused(bad) -> None:
    link, _ = _link(lambda k, s, p, n: encode(b"H", INFO + bad + b"\n", s))
    with pytest.raises(ProtocolError, match="info"):
        link.info()


def test_a_late_answer_is_never_paired_with_the_next_request() -> None:
    """Request 0 is answered only after the host gave up on it; its answer then arrives
    together with request 1's: the host must take request 1's own, not the stale one."""
    late: list[bytes] = []

    def answer(kind, seq, payload, n):
        if n == 0:
            late.append(encode(b"C", struct.pack("<I", 999), seq))   # held back
            return b""
        if n == 1:   # the retry of request 0
            return encode(b"C", struct.pack("<I", 6017), seq)
        return late.pop() + encode(b"C", struct.pack("<I", 306017), seq)

    link, _ = _link(answer)
    assert link.calibrate(CAL_SHORT) == 6017
    assert link.calibrate(CAL_LONG) == 306017     # not the late 999
    assert link.stats.stale == 1


def test_a_duplicated_answer_is_dropped() -> None:
    link, _ = _link(lambda k, s, p, n: encode(b"C", struct.pack("<I", 10 + n), s) * 2)
    assert [link.calibrate(5) for _ in range(3)] == [10, 11, 12]
    assert link.stats.stale == 2


def test_lost_layers_are_refused() -> None:
    link, _ = _link(lambda k, s, p, n: encode(b"R", _result([5]), s))    # the model has 2 layers
    with pytest.raises(ProtocolError, match="'R' answer has 19 bytes, expected 23"):
        link.run([np.zeros(4, np.int8)], [("int8", (1, 3))], layers=2)
    body = bytearray(_result([5, 6]))
    body[8:12] = struct.pack("<I", 1)   # the count field alone lies
    link, _ = _link(lambda k, s, p, n: encode(b"R", bytes(body), s))
    with pytest.raises(ProtocolError, match="reported 1 layers, the model has 2"):
        link.run([np.zeros(4, np.int8)], [("int8", (1, 3))], layers=2)
    link, _ = _link(lambda k, s, p, n: encode(b"R", _result([600, 600]), s))   # more than the total
    with pytest.raises(ProtocolError, match="add up to 1,200, more than the total 1,000"):
        link.run([np.zeros(4, np.int8)], [("int8", (1, 3))], layers=2)


def test_negative_calibration_values_are_refused() -> None:
    link, _ = _link(lambda k, s, p, n: encode(b"C", struct.pack("<i", -100), s))
    with pytest.raises(ProtocolError, match="negative count"):
        link.calibrate(1000)
    answers = {CAL_SHORT: 9000, CAL_LONG: 5000}        # the longer loop measured fewer ticks
    link, _ = _link(lambda k, s, p, n: encode(b"C", struct.pack("<I", answers[struct.unpack("<I", p)[0]]), s))
    with pytest.raises(ProtocolError, match="counter check makes no sense"):
        check_counter(link, load_board("nrf52840"), emulated=False)


def test_the_devices_bad_frame_answer_is_retried() -> None:
    def answer(kind, seq, payload, n):
        return encode(b"E", b"bad frame type or length", seq) if n == 0 else encode(b"H", INFO, seq)
    link, port = _link(answer)
    assert link.info()["layers"] == "2"
    assert link.stats.device_errors == 1 and len(port.requests) == 2


def test_a_stale_error_frame_is_ignored() -> None:
    link, _ = _link(lambda k, s, p, n: encode(b"E", b"CRC mismatch", s - 1) + encode(b"H", INFO, s))
    assert link.info()["model"] == "m"


def test_retries_and_the_total_deadline_are_bounded() -> None:
    link, port = _link(lambda k, s, p, n: b"\xa5\x5a" + b"\x00" * 7, retries=3)   # garbage only
    with pytest.raises(ProtocolError, match=r"serial timeout.*after 4 attempts"):
        link.info()
    assert len(port.requests) == 4 and port.clock.t <= 4 * 1.0 + 0.2


def test_a_retry_first_completes_a_request_the_device_is_stuck_in() -> None:
    """A request cut short (here an 'R' of 600 bytes) leaves the device inside a frame that
    swallows the next requests: retries are preceded by zeros that complete it."""
    link, port = _link(lambda k, s, p, n: encode(k, INFO, s))
    port.write(encode(b"R", b"\x01" * 600, 1)[:20])
    assert link.info()["model"] == "m"
    assert link.stats.retries == 2 and link.stats.stale == 2    # the swallowed tries, found on the rescan
    assert link._device_longest == 9 + 4 + 4                    # from inputs=4: later fillers fit the model


def test_implausible_lengths_do_not_swallow_the_next_frame() -> None:
    huge = b"\xa5\x5a" + b"R" + struct.pack("<HI", 7, 1 << 22)       # an 'R' header claiming 4 MB
    link, _ = _link(lambda k, s, p, n: huge + encode(b"R", _result([1, 2]), s))
    r = link.run([np.zeros(4, np.int8)], [("int8", (1, 3))], layers=2)
    assert r.layers == [1, 2] and r.outputs[0].tolist() == [[1, 2, 3]]


def _events(data: bytes, accept=lambda k, n: k in (b"H", b"C") and n <= 4) -> list[tuple]:
    sc = FrameScanner(accept)
    sc.feed(data)
    out = []
    while (ev := sc.next()) is not None:
        out.append((ev.what, ev.kind, ev.seq, ev.payload))
    return out


def test_a_second_sync_byte_starts_a_new_frame() -> None:
    assert _events(b"\xa5" + encode(b"H", b"", 3)) == [("frame", b"H", 3, b"")]
    assert _events(b"\xa5\xa5\xa5" + encode(b"H", b"", 3)) == [("frame", b"H", 3, b"")]


def test_a_frame_whose_crc_ends_in_a_sync_byte_does_not_hide_the_next() -> None:
    seq = next(s for s in range(1 << 16) if encode(b"C", b"abcd", s)[-1] == 0xA5)
    frame = encode(b"C", b"abcd", seq)
    broken = frame[:-2] + b"\x00" + frame[-1:]           # bad CRC, still ending in 0xA5
    assert _events(broken + encode(b"H", b"", 9)) == [("bad_crc", b"C", seq, b""), ("frame", b"H", 9, b"")]
    assert _events(frame + encode(b"H", b"", 9)) == [("frame", b"C", seq, b"abcd"), ("frame", b"H", 9, b"")]


def test_a_frame_inside_a_broken_one_is_found() -> None:
    inner = encode(b"H", b"", 5)
    outer = b"\xa5\x5aC" + struct.pack("<HI", 1, 4)       # a 'C' header, then the inner frame as payload
    assert _events(outer + inner + b"\x00" * 4) == [("bad_crc", b"C", 1, b""), ("frame", b"H", 5, b"")]
    assert _events(b"\xa5\x5aX" + struct.pack("<HI", 1, 4) + inner)[-1] == ("frame", b"H", 5, b"")


def test_frame_format() -> None:
    f = encode(b"H", b"ab", 0x1234)
    assert f[:2] == b"\xa5\x5a" and f[2:3] == b"H" and f[3:5] == b"\x34\x12" and f[5:9] == b"\x02\0\0\0"
    assert f[9:11] == b"ab" and struct.unpack("<I", f[11:])[0] == zlib.crc32(f[2:11])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0, -1, "10"])
def test_link_timeout_must_be_finite_and_positive(bad) -> None:
    with pytest.raises(TinyqError, match="positive number of seconds"):
        Link(object(), timeout=bad)


@pytest.mark.parametrize("option, value, message", [
    ("--timeout", "nan", "--timeout must be"), ("--timeout", "inf", "--timeout must be"),
    ("--timeout", "-inf", "--timeout must be"), ("--timeout", "0", "--timeout must be"),
    ("--timeout", "1e9", "--timeout must be"), ("--samples", "0", "--samples must be from 1"),
    ("--samples", "-3", "--samples must be from 1"), ("--samples", "1000001", "--samples must be from 1"),
    ("--seed", "-1", "--seed must be from 0"), ("--seed", str(2**40), "--seed must be from 0"),
])
def test_bench_options_out_of_range_are_clear_errors(capsys, option, value, message) -> None:
    t0 = time.monotonic()
    code = main(["bench", "--port", "socket://127.0.0.1:9", "--model", "m.tflite", f"{option}={value}"])
    err = capsys.readouterr().err
    assert code == 2 and time.monotonic() - t0 < 5
    assert f"tinyq bench: error: {message}" in err and "hint:" in err and "Traceback" not in err
