"""The host side of the serial protocol over a real TCP socket: garbage, timeouts, CRC errors."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import serial

from tinyq.targets.protocol import Link, ProtocolError, encode


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


def test_garbage_before_a_valid_frame_is_skipped() -> None:
    url = _server(lambda c: (c.recv(64), c.sendall(b"boot noise \x00\xff" + encode(b"H", b"model=m\nlayers=3\n"))))
    port = serial.serial_for_url(url, timeout=0.2)
    assert Link(port, timeout=3).info() == {"model": "m", "layers": "3"}
    port.close()


def test_corrupted_crc_is_reported_after_retries() -> None:
    def script(conn):
        for _ in range(3):
            conn.recv(64)
            frame = bytearray(encode(b"H", b"model=m\n"))
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
    port = serial.serial_for_url(_server(lambda c: (c.recv(64), c.sendall(encode(b"E", b"bad frame type")))), timeout=0.2)
    with pytest.raises(ProtocolError, match="bad frame type"):
        Link(port, timeout=2, retries=0).info()
    port.close()
