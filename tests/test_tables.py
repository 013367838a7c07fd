"""The int8 LOGISTIC, TANH and HARD_SWISH tables made at generation time (tinyq/ops/_fixedpoint.py,
hard_swish.py) hold exactly what the device kernels compute: all 256 inputs of each, over input
scales from 3e-4 to 3 and every zero point, against logistic.c / tanh.c / hard_swish.c compiled
for the host; and the generated code fills nothing on its first run."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinyq.ops._fixedpoint import logistic_s8, tanh_s8
from tinyq.ops._unary import frexp_multiplier, input_radius
from tinyq.ops.hard_swish import _multipliers, hard_swish_s8

KERNELS = Path(__file__).resolve().parents[1] / "firmware" / "kernels"

_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include "hard_swish.h"
#include "logistic.h"
#include "tanh.h"
/* one line per parameter line on stdin: the kernel's 256 outputs for inputs (int8)0..255 */
int main(void)
{
    int8_t xs[256], ys[256];
    for (int u = 0; u < 256; ++u) {
        xs[u] = (int8_t)u;
    }
    int k, a, b, c, d, e, f;
    while (scanf("%d %d %d %d %d %d %d", &k, &a, &b, &c, &d, &e, &f) == 7) {
        if (k < 2) {
            const tq_sigmoid_params p = {256, a, b, c, d};
            (k == 0 ? tq_logistic_s8 : tq_tanh_s8)(&p, xs, ys);
        } else {
            tq_hard_swish_params p;
            p.count = 256;
            p.input_zero_point = a;
            p.output_zero_point = b;
            p.reluish_mult = c;
            p.reluish_exponent = d;
            p.output_mult = e;
            p.output_exponent = f;
            tq_hard_swish_s8(&p, xs, ys);
        }
        for (int u = 0; u < 256; ++u) {
            printf("%d ", ys[u]);
        }
        printf("\n");
    }
    return 0;
}
"""


def _cases(n: int = 300) -> list[tuple[int, dict, tuple[int, ...]]]:
    rng = np.random.default_rng(5)
    cases = []
    for _ in range(n):
        s, zp = float(10 ** rng.uniform(-3.5, 0.5)), int(rng.integers(-128, 128))
        mult, shift = frexp_multiplier(s * float(1 << 27))
        if shift >= 0:
            p = {"input_zero_point": zp, "input_range_radius": input_radius(4, shift), "input_multiplier": mult,
                 "input_left_shift": shift}
            args = (zp, p["input_range_radius"], mult, shift, 0, 0)
            cases += [(0, p, args), (1, p, args)]
        (rm, re), (om, oe) = _multipliers(s, s * float(10 ** rng.uniform(-1, 1.2)))
        if oe <= 0:
            zo = int(rng.integers(-128, 128))
            hp = {"input_zero_point": zp, "output_zero_point": zo, "reluish_mult": rm, "reluish_exponent": re,
                  "output_mult": om, "output_exponent": oe}
            cases.append((2, hp, (zp, zo, rm, re, om, oe)))
    return cases


def test_tables_match_the_kernels_on_every_input(tmp_path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler")
    (tmp_path / "main.c").write_text(_MAIN)
    exe = tmp_path / "tables"
    subprocess.run([cc, "-std=c99", "-O1", f"-I{KERNELS}", str(tmp_path / "main.c"), str(KERNELS / "logistic.c"),
                    str(KERNELS / "tanh.c"), str(KERNELS / "hard_swish.c"), "-o", str(exe)], check=True)
    cases = _cases()
    stdin = "".join(f"{k} {' '.join(map(str, a))}\n" for k, _, a in cases)
    lines = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(lines) == len(cases) > 500
    fs = (logistic_s8, tanh_s8, hard_swish_s8)
    kinds = set()
    for (k, p, _), line in zip(cases, lines):
        want = [int(v) for v in line.split()]
        got = [fs[k](p, u - 256 if u >= 128 else u) for u in range(256)]
        assert got == want, (k, p)
        kinds.add((k, len(set(want)) > 8))
    assert {(0, True), (1, True), (2, True)} <= kinds       # tables that are not all saturation


def test_generated_code_fills_no_table_on_the_device() -> None:
    import tinyq.ops  # noqa: F401  (registers the ops)
    from tinyq.ir import Graph, Op, Tensor
    from tinyq.ops.registry import pick, prepare

    def graph(opcode: str, zo: int, so: float) -> tuple[Op, Graph]:
        ts = [Tensor(0, "x", (1, 64), "int8", scale=np.array([0.05]), zero_point=np.array([3])),
              Tensor(1, "y", (1, 64), "int8", scale=np.array([so]), zero_point=np.array([zo]))]
        op = Op(0, opcode, [0], [1], {})
        return op, Graph(ts, [op], [0], [1])

    for opcode, zo, so in (("LOGISTIC", -128, 1 / 256), ("TANH", 0, 1 / 128), ("HARD_SWISH", -5, 0.03)):
        op, g = graph(opcode, zo, so)
        v = pick(prepare(op, g), "dsp")
        assert v.name == f"{opcode.lower()}_lut" and v.sources == ("lut.c", "lut.h"), v
