"""The board's serial link rate: max_baud as board data (checked against what the board's UART can
make), the firmware built to run its UART at it, and the host finding the rate the firmware
answers at (max_baud, then the base rate of older firmware). Hardware links cannot run here:
these are the parts that can (a fake device for the negotiation, gcc for the build)."""
from __future__ import annotations

import shutil

import pytest

from tinyq.boards import list_boards, load_board, uart_setting
from tinyq.errors import TinyqError
from tinyq.targets.firmware import build_spec
from tinyq.targets.protocol import FrameScanner, ProtocolError, connect, encode
from tinyq.workflows.session import link_rates


def test_every_board_has_a_link_rate_its_uart_makes() -> None:
    for name in list_boards():
        b = load_board(name)
        assert b.link_baud >= b.baud
        uart_setting(b, b.link_baud)    # raises if the UART cannot make it


def test_uart_registers_are_the_documented_values() -> None:
    nrf, stm = load_board("nrf52840"), load_board("netduinoplus2")
    assert nrf.link_baud == 1_000_000 and nrf.baud == 115200
    assert uart_setting(nrf, 1_000_000) == 0x10000000       # Nordic's table
    assert uart_setting(nrf, 115200) == 0x01D7E000
    assert uart_setting(stm, 115200) == 0x8B                 # 16 MHz HSI / 115200
    assert uart_setting(load_board("mps2_an386"), 115200) == 25_000_000 // 115200


def _board(tmp_path, serial: str, clock: int = 16_000_000):
    text = (f'name = "x"\ncore = "cortex-m4"\nclock_hz = {clock}\n[flash]\norigin = 0\nsize = 65536\n'
            f'[ram]\norigin = 0x20000000\nsize = 65536\n[serial]\n{serial}\n')
    path = tmp_path / "x.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("serial, match", [
    ('driver = "nrf_uarte"\nbaud = 115200\nmax_baud = 2000000', "at most 1,000,000 baud"),
    ('driver = "stm32_usart"\nbaud = 115200\nmax_baud = 1500000', "makes at most 1,000,000 baud"),
    ('driver = "stm32_usart"\nbaud = 115200\nmax_baud = 970000', "3.1% off"),
    ('driver = "nrf_uarte"\nbaud = 115200\nmax_baud = 9600', "below baud"),
    ('driver = "nrf_uarte"\nbaud = 115200\nmax_baud = "fast"', "wrong type"),
])
def test_bad_link_rates_are_refused_clearly(tmp_path, serial, match) -> None:
    with pytest.raises(TinyqError, match=match):
        load_board(str(_board(tmp_path, serial)))


def test_firmware_is_built_for_the_link_rate() -> None:
    nrf = build_spec(load_board("nrf52840"))
    assert "-DTQ_UART_BAUD=1000000u" in nrf.defines and "-DTQ_UART_DIV=0x10000000u" in nrf.defines
    emu = build_spec(load_board("mps2_an386"))   # emulated CMSDK UART: the divider stays the firmware's
    assert "-DTQ_UART_BAUD=115200u" in emu.defines and not any("TQ_UART_DIV" in d for d in emu.defines)


@pytest.mark.skipif(not shutil.which("arm-none-eabi-gcc"), reason="needs arm-none-eabi-gcc")
def test_nrf52840_firmware_builds_at_its_link_rate(tmp_path) -> None:
    from tinyq.targets.gcc_build import build
    from tinyq.workflows.compile import compile
    from tinyq.workflows.example import EXAMPLE

    board = load_board("nrf52840")
    compile(EXAMPLE / "digits_int8.tflite", board=board).write(tmp_path / "model")
    assert build(build_spec(board), tmp_path / "model", tmp_path / "fw").elf.is_file()


class RatePort:
    """A board behind a serial port whose firmware runs its UART at `device_rate`: at that rate
    it answers info requests; at any other the bytes it gets and sends are garbage."""

    def __init__(self, rate: int, device_rate: int):
        self.rate, self.device_rate = rate, device_rate
        self.timeout = 0.01
        self.out = bytearray()
        self.scanner = FrameScanner(lambda kind, n: kind == b"H" and n == 0)
        self.closed = False

    def write(self, data: bytes) -> int:
        if self.rate != self.device_rate:
            self.out += bytes(b ^ 0x5C for b in data[:8])    # what a wrong rate makes of it
            return len(data)
        self.scanner.feed(bytes(data))
        while (ev := self.scanner.next()) is not None:
            if ev.what == "frame":
                self.out += encode(b"H", f"model=m\nbaud={self.device_rate}\n".encode(), ev.seq)
        return len(data)

    def read(self, n: int = 1) -> bytes:
        chunk, self.out[:] = bytes(self.out[:n]), self.out[n:]
        return chunk

    @property
    def in_waiting(self) -> int:
        return len(self.out)

    def reset_input_buffer(self) -> None:
        self.out.clear()

    def close(self) -> None:
        self.closed = True


def _connect(device_rate: int, rates: list[int]):
    opened: list[RatePort] = []

    def opener(port: str, rate: int) -> RatePort:
        opened.append(RatePort(rate, device_rate))
        return opened[-1]

    warnings: list[str] = []
    link = connect("/dev/ttyX", rates, timeout=1, hello_timeout=0.05, opener=opener, warn=warnings.append)
    return link, opened, warnings


def test_host_finds_the_rate_the_firmware_runs_at() -> None:
    rates = link_rates(load_board("nrf52840"))
    assert rates == [1_000_000, 115200]
    link, opened, warnings = _connect(1_000_000, rates)
    assert link.baud == 1_000_000 and len(opened) == 1 and not warnings
    assert link.info()["baud"] == "1000000"
    link, opened, warnings = _connect(115200, rates)      # firmware from before max_baud
    assert link.baud == 115200 and opened[0].closed and not opened[1].closed
    assert len(warnings) == 1 and "answers at 115,200 baud, not 1,000,000" in warnings[0]


def test_no_answer_at_any_rate_names_them() -> None:
    with pytest.raises(ProtocolError, match=r"1,000,000 baud .*; 115,200 baud"):
        _connect(57600, [1_000_000, 115200])


def test_an_explicit_rate_is_the_only_one_tried() -> None:
    board = load_board("nrf52840")
    assert link_rates(board, 460800) == [460800]
    with pytest.raises(TinyqError, match="baud rate must be an integer"):
        link_rates(board, 0)
    assert link_rates(load_board("mps2_an386")) == [115200]


def test_a_port_that_cannot_open_fails_at_once() -> None:
    def opener(port: str, rate: int):
        raise ProtocolError(f"cannot open serial port {port}")
    with pytest.raises(ProtocolError, match="cannot open"):
        connect("/dev/none", [1_000_000, 115200], opener=opener)


@pytest.mark.slow
def test_bench_cli_over_a_port_url_to_the_emulator(tmp_path, capsys) -> None:
    """`tinyq bench --port` (connect, then device-generated inputs) against the firmware in QEMU
    through its socket: the socket ignores the rate, so the first one tried answers."""
    import json

    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("needs arm-none-eabi-gcc and qemu-system-arm")
    from tinyq.cli import main
    from tinyq.targets.gcc_build import build
    from tinyq.targets.qemu import Qemu
    from tinyq.workflows.compile import compile
    from tinyq.workflows.example import EXAMPLE

    board = load_board("mps2_an386")
    model = EXAMPLE / "digits_int8.tflite"
    compile(model, board=board).write(tmp_path / "model")
    image = build(build_spec(board), tmp_path / "model", tmp_path / "fw")
    with Qemu(image.elf, board, timeout=300) as q:
        capsys.readouterr()
        assert main(["bench", "--port", q.port_url, "--model", str(model), "--board", "mps2_an386",
                     "--samples", "3", "--json"]) == 0
        rep = json.loads(capsys.readouterr().out)
        assert rep["bit_exact"] and rep["inputs"].startswith("generated on the device")
