"""Bench inputs through a semihosting file ('F' requests) on the emulated CMSDK boards: the same
outputs and counts as through the UART, far faster; a bad offset is the device's clear error."""
from __future__ import annotations

import numpy as np
import pytest

from tinyq.boards import load_board
from tinyq.targets.firmware import build_spec
from tinyq.targets.gcc_build import build
from tinyq.targets.protocol import ProtocolError
from tinyq.workflows.compile import compile
from tinyq.workflows.example import EXAMPLE
from tinyq.workflows.session import device_session
from tinyq.workflows.verify import random_inputs

pytestmark = pytest.mark.slow


def test_file_inputs_match_uart_inputs(tmp_path) -> None:
    board = load_board("mps2_an386")
    gen = compile(EXAMPLE / "digits_int8.tflite", board=board, patch="off")   # (one call per layer: see below)
    gen.write(tmp_path / "model")
    image = build(build_spec(board), tmp_path / "model", tmp_path / "fw")
    g = gen.graph
    xs = random_inputs(g, 4, seed=3)
    specs = [(g.t(t).dtype, g.t(t).shape) for t in g.outputs]
    with device_session(board, elf=image.elf) as link:
        assert link.info().get("files") == "1" and link.files_dir is not None
        (link.files_dir / "tq_inputs.bin").write_bytes(b"".join(x[s].tobytes() for s in range(4) for x in xs))
        step = xs[0][0].nbytes
        for s in range(4):
            by_uart = link.run([x[s] for x in xs], specs, layers=len(g.ops))
            by_file = link.run(s * step, specs, layers=len(g.ops))
            assert np.array_equal(by_uart.outputs[0], by_file.outputs[0])
            # the same work: counts equal up to the timer's phase (a tick is several instructions;
            # a layer of a patch stage sums one count per band, each with its own phase)
            assert abs(by_uart.total - by_file.total) <= 2
            assert np.abs(np.subtract(by_uart.layers, by_file.layers)).max() <= 2
        with pytest.raises(ProtocolError, match="cannot read the inputs file"):
            link.run(4 * step, specs, layers=len(g.ops))      # past the end of the file
