"""The arena planner, window overlaps, budgets against boards and the too-big refusal."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyq.ir import Graph, Op, Tensor
from tinyq.plan.arena import ALIGN, Buffer, PlanError, plan_arena, validate

from conftest import mlperf_path


def window_delta(op: Op, g: Graph) -> int | None:
    """The trailing overlap the op's prepared record declares between its input and output."""
    from tinyq.ops.registry import Refusal, prepare
    data = prepare(op, g)
    assert not isinstance(data, Refusal), data.reason
    ds = [o.delta for o in data.overlaps() if (o.input, o.output) == (op.inputs[0], op.outputs[0])]
    return ds[0] if ds else None


def _check_no_live_overlap(plan) -> None:
    """Independent of validate(): buffers live at once are disjoint unless one may overlap the
    other (it is born where that one dies) and starts no higher than offset + d."""
    bufs = plan.buffers
    for i, a in enumerate(bufs):
        oa = plan.offsets[a.key]
        assert oa % ALIGN == 0 and 0 <= oa and oa + a.size <= plan.arena_bytes
        for b in bufs[i + 1:]:
            if not (a.first <= b.last and b.first <= a.last):
                continue
            ob = plan.offsets[b.key]
            if oa + a.size <= ob or ob + b.size <= oa:
                continue
            ok = False
            for x, y, ox, oy in ((a, b, oa, ob), (b, a, ob, oa)):
                allowed = dict(x.overlap_of)
                allowed.update({k: min(allowed.get(k, 0), 0) for k in x.inplace_of})
                # (born while y is live: at y's last op for an op's output, earlier for a patch
                # stage's buffers over the rows of its input already consumed)
                if y.key in allowed and y.first <= x.first <= y.last and ox - oy <= allowed[y.key]:
                    ok = True
            assert ok, f"{a} at {oa} and {b} at {ob} overlap while both live"


@st.composite
def random_graphs(draw):
    """A random DAG of ops in execution order, each reading one or two earlier tensors and writing
    one; outputs may take over a dying input in place or trail it like a window op."""
    n_ops = draw(st.integers(1, 14))
    sizes = [draw(st.integers(1, 3000))]                 # tensor 0: graph input
    readers: list[list[int]] = [[]]
    born = [-1]
    op_inputs = []
    for pos in range(n_ops):
        k = draw(st.integers(1, min(2, len(sizes))))
        ins = draw(st.lists(st.integers(0, len(sizes) - 1), min_size=k, max_size=k, unique=True))
        for t in ins:
            readers[t].append(pos)
        op_inputs.append(ins)
        sizes.append(draw(st.integers(1, 3000)))
        readers.append([])
        born.append(pos)
    last = [max(r, default=b) for r, b in zip(readers, born)]
    last[-1] = n_ops                                    # the graph output outlives the ops
    bufs = [Buffer(("t", t), sizes[t], born[t], last[t]) for t in range(len(sizes))]
    for pos, ins in enumerate(op_inputs):
        out = bufs[pos + 1]
        for t in ins:
            if t > 0 and last[t] == pos and draw(st.booleans()):
                if draw(st.booleans()):
                    out.inplace_of.append(("t", t))
                else:
                    out.overlap_of[("t", t)] = draw(st.integers(-sizes[pos + 1], 16))
    for pos in draw(st.lists(st.integers(0, n_ops - 1), max_size=4, unique=True)):
        bufs.append(Buffer(("s", pos), draw(st.integers(1, 2000)), pos, pos))   # kernel scratch
    return bufs


@settings(max_examples=60, deadline=None)
@given(random_graphs())
def test_random_graphs_never_overlap_live_tensors(bufs: list[Buffer]) -> None:
    plan = plan_arena(bufs)
    _check_no_live_overlap(plan)
    validate(plan)
    assert plan.arena_bytes >= plan.lower_bound - ALIGN
    plain = plan_arena([Buffer(b.key, b.size, b.first, b.last) for b in bufs])
    _check_no_live_overlap(plain)
    # without overlaps no plan can beat the largest set of buffers live at one op
    assert plain.arena_bytes >= max(sum(b.size for b in plain.live_at(p))
                                    for p in {b.first for b in bufs})


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.randoms(use_true_random=False))
def test_placing_from_a_kept_prefix_equals_placing_all(bufs: list[Buffer], rnd) -> None:
    """The local search re-places only the buffers after the first position a move changes (and
    stops once past a limit): that must give exactly the offsets of placing the whole order."""
    from tinyq.plan.arena import _Problem
    bufs = [b for b in bufs if b.size > 0]
    prob = _Problem(bufs, ALIGN)
    n = len(bufs)
    order = list(range(n))
    rnd.shuffle(order)
    full = prob.place_from(order, 0, [-1] * n, 0)
    assert full is not None
    offs, total, tops = full
    assert (offs, total) == prob.place(order)
    for _ in range(5):
        i, j = rnd.randrange(n), rnd.randrange(n)
        cand = list(order)
        cand.insert(j, cand.pop(i))
        m = min(i, j)
        start = list(offs)
        for k in cand[m:]:
            start[k] = -1
        got = prob.place_from(cand, m, start, tops[m - 1] if m else 0)
        assert got is not None and (got[0], got[1]) == prob.place(cand)
        top = got[2][-1]          # (m < n: the move re-placed at least one buffer)
        assert prob.place_from(cand, 0, [-1] * n, 0, limit=top - 1) is None
        kept = prob.place_from(cand, 0, [-1] * n, 0, limit=top)
        assert kept is not None and kept[:2] == got[:2]


def test_validate_rejects_a_live_overlap() -> None:
    a, b = Buffer("a", 64, 0, 2), Buffer("b", 64, 1, 3)
    from tinyq.plan.arena import ArenaPlan
    with pytest.raises(PlanError, match="overlap while both live"):
        validate(ArenaPlan({"a": 0, "b": 32}, 128, [a, b]))
    c = Buffer("c", 64, 2, 4, inplace_of=["a"])        # born where a dies: may share its bytes
    validate(ArenaPlan({"a": 0, "c": 0}, 64, [a, c]))
    with pytest.raises(PlanError):                      # but not start above a
        validate(ArenaPlan({"a": 0, "c": 16}, 80, [a, c]))


def test_inplace_and_search_beat_plain_greedy() -> None:
    # x -> y -> z chain where each output may take its dying input's place
    bufs = [Buffer("x", 1000, 0, 1), Buffer("y", 1000, 1, 2, inplace_of=["x"]),
            Buffer("z", 1000, 2, 3, inplace_of=["y"])]
    assert plan_arena(bufs).arena_bytes == 1008
    assert plan_arena([Buffer(b.key, b.size, b.first, b.last) for b in bufs]).arena_bytes == 2016   # 1000 B aligned to 16


# --- window overlap: simulate the kernels' raster order over one shared memory -----------------

def _window_graph(op_code: str, h: int, w: int, c_in: int, c_out: int, k: int, stride: int,
                  padding: str, rng) -> tuple[Graph, Op, np.ndarray]:
    from tinyq.ops._window import out_size
    oh, ow = out_size(padding, h, k, stride), out_size(padding, w, k, stride)
    wts = rng.integers(-3, 4, size=(c_out, k, k, c_in)).astype(np.int8)
    if op_code == "FULLY_CONNECTED":
        wts = wts.reshape(c_out, -1)
    q = {"scale": np.array([0.05], np.float32), "zero_point": np.array([0])}
    tensors = [Tensor(0, "in", (1, h, w, c_in), "int8", **q), Tensor(1, "w", wts.shape, "int8", data=wts, **q),
               Tensor(2, "out", (1, oh, ow, c_out) if op_code != "FULLY_CONNECTED" else (h * w, c_out), "int8", **q)]
    opts = {"stride_h": stride, "stride_w": stride, "padding": padding,
            "filter_height": k, "filter_width": k}
    op = Op(0, op_code, [0, 1] if op_code in ("CONV_2D", "FULLY_CONNECTED") else [0], [2], opts)
    return Graph(tensors, [op], [0], [2]), op, wts


def _run_conv(mem: np.ndarray, i_off: int, o_off: int, shape, out_shape, wts, stride, pad) -> None:
    """The kernel's order: pixels in raster order, every channel of a pixel from its window."""
    _, h, w, c_in = shape
    _, oh, ow, c_out = out_shape
    k = wts.shape[1]
    o = o_off
    for oy in range(oh):
        for ox in range(ow):
            for oc in range(c_out):
                acc = 0
                for ky in range(k):
                    for kx in range(k):
                        y, x = oy * stride - pad[0] + ky, ox * stride - pad[1] + kx
                        if 0 <= y < h and 0 <= x < w:
                            px = i_off + (y * w + x) * c_in
                            acc += int(np.dot(wts[oc, ky, kx].astype(np.int32), mem[px:px + c_in].astype(np.int32)))
                mem[o] = np.int8(np.clip(acc >> 3, -128, 127))
                o += 1


@pytest.mark.parametrize("h,w,c_in,c_out,k,stride,padding", [
    (6, 7, 3, 3, 3, 1, "SAME"), (6, 6, 2, 4, 3, 2, "SAME"), (7, 5, 4, 2, 3, 1, "VALID"),
    (5, 5, 3, 5, 1, 1, "VALID"), (8, 6, 2, 2, 5, 2, "SAME")])
def test_window_delta_is_safe_and_tight(h, w, c_in, c_out, k, stride, padding) -> None:
    from tinyq.ops.registry import prepare
    rng = np.random.default_rng(h * 100 + k)
    g, op, wts = _window_graph("CONV_2D", h, w, c_in, c_out, k, stride, padding, rng)
    d = window_delta(op, g)
    assert d is not None and d < 0
    win = prepare(op, g).win
    pad = (win.pad_h, win.pad_w)
    x = rng.integers(-128, 128, size=h * w * c_in).astype(np.int8)
    n_in, n_out = x.size, g.t(2).nbytes

    def run(i_off: int, o_off: int) -> np.ndarray:
        mem = np.zeros(max(i_off + n_in, o_off + n_out) + 8, np.int8)
        mem[i_off:i_off + n_in] = x
        _run_conv(mem, i_off, o_off, g.t(0).shape, g.t(2).shape, wts, stride, pad)
        return mem[o_off:o_off + n_out].copy()

    base = n_out + 64
    want = run(base, 0)                                  # disjoint buffers
    np.testing.assert_array_equal(run(base, base + d), want)   # output trails the input by -d bytes
    np.testing.assert_array_equal(run(base, base + d - 37), want)
    # the output over the input's own first bytes overwrites pixels before they are read
    assert not np.array_equal(run(base, base), want)


def test_window_delta_for_pools_and_depthwise() -> None:
    rng = np.random.default_rng(0)
    g, op, _ = _window_graph("MAX_POOL_2D", 8, 8, 4, 4, 2, 2, "VALID", rng)
    assert window_delta(op, g) == -4           # 2x2/2 pooling reads ahead: only one pixel of lag
    g, op, _ = _window_graph("FULLY_CONNECTED", 8, 8, 4, 4, 1, 1, "VALID", rng)
    assert window_delta(op, g) is None         # a matrix product reads all its input for every output


# --- budgets and boards -------------------------------------------------------------------------

def _tinyq(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinyq.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_plan_json_keys_and_fit(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib (pip install 'tinyq[deploy]')")
    model = mlperf_path("ad01_int8")
    res = _tinyq("plan", str(model), "--board", "nrf52840", "--json", "--plot", str(tmp_path / "a.png"))
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    for k in ("arena_bytes", "ram_bytes", "flash_bytes", "ram_budget", "flash_budget", "fits"):
        assert k in d
    assert d["fits"] is True and d["arena_bytes"] == 768
    assert d["ram_budget"] == 262_144 and d["flash_budget"] == 1_048_576
    assert d["flash_bytes"] > d["weights_bytes"] > 250_000        # ~270 KB of int8 weights
    assert (tmp_path / "a.png").stat().st_size > 5000


def test_budget_counts_arena_stack_and_weights() -> None:
    from tinyq.boards import load_board
    from tinyq.plan.budget import budget
    from tinyq.workflows.compile import compile
    gen = compile(mlperf_path("kws_ref_model"))
    board = load_board("nrf52840")
    b = budget(gen, board)
    assert b.arena_bytes == gen.plan.arena_bytes <= 16_000        # never above TFLM's head arena
    assert b.ram_bytes == b.static_ram_bytes + board.stack_bytes + board.serial_bytes
    assert b.static_ram_bytes > b.arena_bytes
    assert b.flash_bytes == gen.const_bytes + b.code_bytes
    measured = budget(gen, board, text=60_000, data=100, bss=11_000)
    assert measured.measured and measured.flash_bytes == 60_100 and measured.static_ram_bytes == 11_100


@pytest.mark.tf
def test_too_big_model_is_refused_before_building(tmp_path: Path) -> None:
    """A 224x224 input network on the nRF52840: refused with the shortfall and the peak tensors,
    and deploy stops before it writes or builds anything."""
    import tensorflow as tf

    from tfmodels import convert_int8, keras_model

    def body(x):
        x = tf.keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
        x = tf.keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
        x = tf.keras.layers.Conv2D(16, 1)(x)
        x = tf.keras.layers.GlobalAveragePooling2D()(x)
        return tf.keras.layers.Dense(4)(x)

    model = convert_int8(keras_model([(224, 224, 3)], body), tmp_path / "big.tflite", [(224, 224, 3)], samples=4)
    res = _tinyq("plan", str(model), "--board", "nrf52840", "--patch", "off")
    assert res.returncode != 0
    msg = res.stdout + res.stderr
    assert "does not fit nrf52840" in msg and "too many" in msg and "Live at the arena's peak" in msg
    res = _tinyq("plan", str(model), "--board", "nrf52840", "--json", "--patch", "off")
    d = json.loads(res.stdout)
    assert res.returncode != 0 and d["fits"] is False and d["ram_bytes"] > d["ram_budget"]
    # (patch by patch, its 401 KB first activation never exists whole, and it fits)
    res = _tinyq("plan", str(model), "--board", "nrf52840", "--json")
    d = json.loads(res.stdout)
    assert res.returncode == 0 and d["fits"] and d["patches"]["patched"], res.stderr

    from tinyq.errors import DoesNotFitError
    from tinyq.workflows.deploy import DeployOptions, deploy
    out = tmp_path / "build"
    with pytest.raises(DoesNotFitError):
        deploy(DeployOptions(model=model, board="nrf52840", emulate=True, out=out, quiet=True, patch="off"))
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.slow
def test_plan_uses_the_built_elf_sizes(tmp_path: Path) -> None:
    """Estimates until built; with --elf the real .text/.data/.bss, close to the estimate."""
    from tinyq.boards import load_board
    from tinyq.targets.firmware import build_spec
    from tinyq.targets.gcc_build import build
    from tinyq.workflows.compile import compile
    model = mlperf_path("ad01_int8")
    gen = compile(model)
    gen.write(tmp_path / "model")
    img = build(build_spec(load_board("nrf52840")), tmp_path / "model", tmp_path / "build")
    est = json.loads(_tinyq("plan", str(model), "--json").stdout)
    res = _tinyq("plan", str(model), "--json", "--elf", str(img.elf))
    real = json.loads(res.stdout)
    assert real["measured"] and not est["measured"]
    assert real["flash_bytes"] == img.text + img.data
    assert real["static_ram_bytes"] == img.data + img.bss >= real["arena_bytes"]
    assert abs(real["flash_bytes"] - est["flash_bytes"]) < 0.05 * real["flash_bytes"]
    assert abs(real["static_ram_bytes"] - est["static_ram_bytes"]) < 1024


# TFLM's figures for the MLPerf Tiny int8 models (../shared/baselines/tflm_emulated_m4.md):
# non-persistent head arena of its Python interpreter, arena_used_bytes on an emulated Cortex-M4.
TFLM = {"kws_ref_model": (16_000, 22_772), "vww_96_int8": (73_728, 100_660),
        "pretrainedResnet_quant": (49_152, 54_340), "ad01_int8": (768, 2_260)}


@pytest.mark.parametrize("name", sorted(TFLM))
def test_mlperf_arena_and_ram_beat_tflm(name: str) -> None:
    from tinyq.boards import load_board
    from tinyq.plan.budget import budget
    from tinyq.workflows.compile import compile
    gen = compile(mlperf_path(name))
    head, used = TFLM[name]
    b = budget(gen, load_board("mps2_an386"))
    assert gen.arena_bytes <= head
    assert b.ram_bytes - b.stack_bytes <= 0.8 * used
    _check_no_live_overlap(gen.plan)


def test_resnet_residual_in_place_and_window_overlap() -> None:
    """The ResNet's residual sum overwrites its dying shortcut, 3x3 convolutions trail their
    input by one row: the arena is two 32x32x16 maps, below the three the liveness bound needs."""
    from tinyq.plan.liveness import buffers
    from tinyq.workflows.compile import compile
    gen = compile(mlperf_path("pretrainedResnet_quant"), patch="off")
    bufs = buffers(gen.lowered)
    ds = sorted(d for b in bufs for d in b.overlap_of.values())
    assert 0 in ds and -544 in ds          # in place; 3x3 SAME on 32x32x16: -(32 + 2) * 16
    plain = plan_arena([Buffer(b.key, b.size, b.first, b.last) for b in bufs])
    # the DSP kernels add the scratch of a 3x3 convolution over 16 channels while two 32x32x16
    # maps are live: with the fused ADD the widened column (36 groups of 4 taps, 8 B each) and the
    # larger of the gather stage plus one pixel's 16 outputs and a run of 16 pixels' outputs (the
    # peak of three maps); without, over pixel pairs (conv_2d_dsp_pairs.h), two columns and two
    # gathered windows (the peak of two)
    fused = 8 * 36 + max(4 * 36 + 16, 16 * 16)
    assert plain.arena_bytes == 3 * 16_384 + fused
    assert gen.arena_bytes == 2 * 16_384 + 24 * 36
    portable = compile(mlperf_path("pretrainedResnet_quant"), kernels="portable", patch="off")
    assert portable.arena_bytes == 2 * 16_384
