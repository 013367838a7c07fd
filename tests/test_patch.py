"""Patch-based execution (tinyq/plan/patch.py): runs of window ops computed a band of rows at a
time, bit-exact with TFLM, in less arena; the planner's invariants and policy."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tinyq.errors import TinyqError
from tinyq.plan.arena import PlanError
from tinyq.plan.patch import check, parse_mode, streams

tf_only = pytest.mark.tf


def _chain(tf, spec: list[tuple]):
    """A body applying layers from a compact spec: ("c", filters, k, stride, padding, dilation),
    ("d", k, stride, padding, multiplier), ("mp"/"ap", k, stride, padding), ("res",) (a
    1x1 convolution added to its input: the fused residual ADD), ("side", filters) (a 5x5
    depthwise and 1x1 convolution added to a 1x1 projection of the block's input)."""
    L = tf.keras.layers

    def body(x):
        for s in spec:
            kind = s[0]
            if kind == "c":
                _, f, k, st, pad, dil = s
                x = L.Conv2D(f, k, strides=st, padding=pad, dilation_rate=dil, activation="relu")(x)
            elif kind == "d":
                _, k, st, pad, m = s
                x = L.DepthwiseConv2D(k, strides=st, padding=pad, depth_multiplier=m, activation="relu6")(x)
            elif kind in ("mp", "ap"):
                _, k, st, pad = s
                cls = L.MaxPooling2D if kind == "mp" else L.AveragePooling2D
                x = cls(k, strides=st, padding=pad)(x)
            elif kind == "prelu":                  # PRELU, its alpha broadcast along the rows
                x = L.PReLU(shared_axes=[1, 2])(x)
            elif kind == "lr":                     # LEAKY_RELU, then an unfused ADD of it and its input
                x = L.Add()([L.LeakyReLU(negative_slope=0.2)(x), x])
            elif kind == "res":
                y = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
                x = L.Add()([L.Conv2D(int(x.shape[-1]), 1)(y), x])
            elif kind == "side":                   # BlazeFace's block: a 5x5 depthwise beside a 1x1 projection
                _, f = s
                y = L.Conv2D(f, 1)(L.DepthwiseConv2D(5, padding="same", activation="relu")(x))
                x = L.ReLU()(L.Add()([y, L.Conv2D(f, 1)(x)]))
        return x
    return body


# Each chain widens its input, then narrows it at the end: the intermediate tensors are what
# patches keep small, and the whole output at the end has every element of the last band compared.
CHAINS = {
    "k3_s2_same": ((40, 36, 3), [("c", 24, 3, 1, "same", 1), ("d", 3, 1, "same", 1), ("c", 16, 1, 1, "valid", 1),
                                 ("c", 4, 3, 2, "same", 1)]),
    "k5_k7_valid": ((41, 30, 2), [("c", 24, 5, 1, "valid", 1), ("d", 7, 2, "valid", 1), ("c", 4, 3, 1, "valid", 1)]),
    "dilated_pools": ((33, 20, 4), [("c", 24, 3, 1, "same", 2), ("mp", 3, 1, "same"), ("c", 16, 3, 1, "same", 1),
                                    ("ap", 3, 1, "same"), ("ap", 2, 2, "same"), ("c", 4, 1, 1, "same", 1)]),
    "residual_blocks": ((32, 24, 4), [("c", 16, 3, 1, "same", 1), ("res",), ("res",), ("d", 3, 2, "same", 1),
                                      ("res",), ("c", 4, 1, 1, "same", 1)]),
    "mult_and_one_channel": ((36, 16, 1), [("d", 5, 1, "same", 8), ("d", 3, 1, "same", 2), ("c", 4, 1, 2, "same", 1)]),
    "elementwise": ((30, 28, 3), [("c", 16, 3, 1, "same", 1), ("lr",), ("d", 3, 1, "same", 1), ("lr",),
                                  ("prelu",), ("c", 4, 3, 2, "same", 1)]),
    "tall_1d": ((96, 1, 4), [("c", 32, (9, 1), 1, "same", 1), ("c", 16, (5, 1), 2, "valid", 1),
                             ("d", (3, 1), 1, "same", 1), ("c", 4, 1, 1, "same", 1)]),
}


# every chain with the DSP and the portable kernels; three with the Helium and the int8-weight DSP ones
KERNEL_CASES = [(n, k) for n in sorted(CHAINS) for k in ("dsp", "portable")] + \
    [(n, k) for n in ("k3_s2_same", "residual_blocks", "mult_and_one_channel") for k in ("mve", "dsp8")]


@tf_only
@pytest.mark.parametrize(("name", "kernels"), KERNEL_CASES)
def test_patched_chains_are_bit_exact(name: str, kernels: str, tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    shape, spec = CHAINS[name]
    path = tmp_path / f"{name}.tflite"
    if not path.exists():
        convert_int8(keras_model([shape], _chain(tf, spec), seed=sorted(CHAINS).index(name)), path, [shape],
                     samples=8)
    whole = compile(path, kernels=kernels, patch="off")
    gen = compile(path, kernels=kernels, patch="max")
    assert gen.patches is not None and gen.patches.stage is not None, gen.patches
    assert gen.arena_bytes < whole.arena_bytes
    rep = verify(path, samples=25, seed=1, kernels=kernels, patch="max", sanitize=kernels == "dsp")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@tf_only
def test_patched_16x8_chain_is_bit_exact(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    shape, spec = CHAINS["dilated_pools"]     # (16x8 has no fused residual ADD: the ADD would end the run)
    path = convert_int8(keras_model([shape], _chain(tf, spec), seed=5), tmp_path / "s16.tflite", [shape],
                        samples=8, int16=True)
    gen = compile(path, patch="max")
    assert gen.patches is not None and gen.patches.stage is not None
    rep = verify(path, samples=25, seed=2, patch="max")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()



@tf_only
def test_bands_emptied_every_step_share_bytes(tmp_path: Path) -> None:
    """A depthwise output read by a 1x1 convolution in the same step holds no row past the step:
    it lives only between its two ops, so such bands share bytes (and a 1x1 convolution's
    output keeps its in-place claim over its input band); the arena is smaller than with every
    band live all stage, and the run stays bit-exact."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.plan.arena import plan_arena
    from tinyq.plan.liveness import buffers
    from tinyq.plan.patch import stage_buffers
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    shape = (40, 32, 8)
    spec = [("c", 24, 3, 1, "same", 1), ("res",), ("res",), ("res",), ("c", 4, 3, 2, "same", 1)]
    path = convert_int8(keras_model([shape], _chain(tf, spec), seed=3), tmp_path / "steps.tflite", [shape],
                        samples=8)
    gen = compile(path, patch="max")
    st = gen.patches.stage
    assert st is not None
    within = [b for b in st.bands if b.within_step is not None]
    assert len(within) >= 3, st.bands
    check(st, gen.graph)     # (every read of such a band falls inside the rows of its own step)
    placed = {k: (gen.plan.offsets[k], gen.plan.offsets[k] + b.size) for b in gen.plan.buffers
              for k in [b.key] if k in {("t", w.tensor) for w in within}}
    shared = [(a, b) for a in placed for b in placed if a < b and placed[a][0] < placed[b][1] and
              placed[b][0] < placed[a][1]]
    assert shared, placed
    stage_long = replace(st, bands=[replace(b, within_step=None) for b in st.bands])
    assert gen.arena_bytes < plan_arena(stage_buffers(buffers(gen.lowered), stage_long, gen.graph)).arena_bytes
    for kernels in ("dsp", "portable"):
        rep = verify(path, samples=10, seed=4, kernels=kernels, patch="max", sanitize=kernels == "dsp")
        assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()

@tf_only
def test_side_path_made_as_late_as_its_add_reads_it(tmp_path: Path) -> None:
    """A 1x1 projection beside a 5x5 depthwise, both added: made as early as it can, the
    projection's band keeps the depthwise's delay in rows; made only when the ADD reads it
    (`schedule(..., late=True)`), one row a step. The planner takes that schedule, the arena is
    smaller than with the same stage made early, and the run stays bit-exact."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.plan.arena import plan_arena
    from tinyq.plan.liveness import buffers
    from tinyq.plan.patch import schedule, stage_buffers
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    shape = (40, 24, 4)
    spec = [("c", 16, 3, 1, "same", 1), ("side", 24), ("side", 32), ("c", 4, 3, 2, "same", 1)]
    path = convert_int8(keras_model([shape], _chain(tf, spec), seed=5), tmp_path / "side.tflite", [shape],
                        samples=8)
    gen = compile(path, patch="max")
    st = gen.patches.stage
    assert st is not None
    check(st, gen.graph)
    early = schedule(gen.lowered, st.first, st.last, int(-(-st.deps[0].out_h // int(st.hi[0, 0]))), 0.0)
    assert early is not None
    rows = {b.tensor: b.rows for b in st.bands}
    delayed = [b for b in early.bands if b.tensor in rows and rows[b.tensor] < b.rows]
    assert delayed, (early.bands, st.bands)
    bufs = buffers(gen.lowered)
    assert plan_arena(stage_buffers(bufs, st, gen.graph)).arena_bytes < \
        plan_arena(stage_buffers(bufs, early, gen.graph)).arena_bytes
    for kernels in ("dsp", "portable"):
        rep = verify(path, samples=10, seed=6, kernels=kernels, patch="max", sanitize=kernels == "dsp")
        assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@tf_only
def test_scratch_at_the_peak_takes_the_lean_variant(tmp_path: Path) -> None:
    """A first layer over 3 channels stages its input columns (1 KB of scratch here), which a
    patch stage holds through all its steps: the patched plan takes the variant without the
    staging there (int8 weights kept with --flash small), the arena is smaller than with the
    staging, the flash plan says nothing was widened for it, and the run stays bit-exact."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.ops.flash import FlashOptions
    from tinyq.ops.lower import lower
    from tinyq.plan.compiled import plan_with_patches
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    shape = (48, 64, 3)
    spec = [("c", 16, 5, 2, "same", 1), ("d", 3, 1, "same", 1), ("c", 24, 1, 1, "same", 1), ("d", 3, 2, "same", 1),
            ("c", 8, 1, 1, "same", 1)]
    path = convert_int8(keras_model([shape], _chain(tf, spec), seed=5), tmp_path / "first.tflite", [shape],
                        samples=8)
    for flash, name in (("auto", "conv_2d_dsp_rowwise"), ("small", "conv_2d_dsp8_rowwise")):
        gen = compile(path, patch="max", flash=flash)
        first = gen.lowered.layers[0]
        assert first.variant.name == name, [layer.variant.name for layer in gen.lowered.layers]
        staged = lower(gen.graph, "dsp", FlashOptions(flash, model_bytes=path.stat().st_size))
        assert staged.layers[0].scratch_bytes > 2 * first.scratch_bytes
        assert gen.arena_bytes < plan_with_patches(staged, "max")[0].arena_bytes
        if flash == "small":
            assert not gen.lowered.flash.widened
        rep = verify(path, samples=10, seed=2, patch="max", flash=flash, sanitize=True)
        assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@tf_only
def test_patched_uint8_input_model_is_bit_exact(tmp_path: Path) -> None:
    """A camera model's QUANTIZE uint8 -> int8 at the input: its int8 copy of the image never
    exists beside the uint8 one (a band of the stage, or written over it in place)."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import keras_model, quantize_with

    shape, spec = CHAINS["elementwise"]
    m = keras_model([shape], _chain(tf, spec), seed=7)
    path = quantize_with(tf.lite.TFLiteConverter.from_keras_model(m), tmp_path / "u8.tflite", [(1, *shape)],
                         low=0.0, io="uint8")
    gen = compile(path, patch="max")
    st = gen.patches.stage
    q = gen.graph.ops[0]
    assert q.opcode == "QUANTIZE" and st is not None, gen.patches
    # its int8 copy of the image is a band of the stage, or (cheaper) written over the uint8 image
    in_place = gen.tensor_offset(q.outputs[0]) == gen.tensor_offset(q.inputs[0])
    assert st.first == 0 or (st.first == 1 and in_place), (st.first, in_place)
    rep = verify(path, samples=25, seed=3, patch="max", sanitize=True)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@tf_only
def test_patched_float32_chain_is_within_tolerance(tmp_path: Path) -> None:
    """A float32 model (4 bytes an activation, where patches save the most) runs patch by patch
    too, within the float tolerance of LiteRT."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import keras_model

    shape, spec = CHAINS["dilated_pools"]
    path = tmp_path / "f32.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(keras_model([shape], _chain(tf, spec), seed=6)).convert())
    gen = compile(path, patch="max")
    assert gen.patches.stage is not None and gen.arena_bytes < compile(path, patch="off").arena_bytes
    rep = verify(path, samples=10, seed=4, patch="max")
    assert rep.ok and rep.elements > 0, rep.to_dict()


@tf_only
def test_two_runs_two_stages(tmp_path: Path) -> None:
    """Two runs of window ops split by a CONCATENATION at full resolution: each its own stage."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    L = tf.keras.layers

    def body(x):
        y = L.Conv2D(8, 1)(L.DepthwiseConv2D(3, padding="same")(L.Conv2D(32, 3, padding="same", activation="relu")(x)))
        y = L.Concatenate()([y, L.Conv2D(8, 1)(y)])
        return L.Conv2D(4, 1)(L.DepthwiseConv2D(3, padding="same")(L.Conv2D(32, 3, padding="same", activation="relu")(y)))

    path = convert_int8(keras_model([(40, 32, 4)], body, seed=1), tmp_path / "two.tflite", [(40, 32, 4)], samples=4)
    gen = compile(path, patch="max")
    assert len(gen.patches.stages) == 2 and gen.arena_bytes < compile(path, patch="off").arena_bytes, gen.patches
    assert gen.patches.to_dict()["stages"][1]["ops"][0] > gen.patches.to_dict()["stages"][0]["ops"][1]
    rep = verify(path, samples=20, seed=2, patch="max", sanitize=True)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@tf_only
@pytest.mark.parametrize(("name", "io"), [("k3_s2_same", "int8"), ("residual_blocks", "int8"), ("elementwise", "uint8")])
def test_streamed_input_is_bit_exact(name: str, io: str, tmp_path: Path) -> None:
    """`--patch max,stream`: the model input itself becomes a band the application feeds row by
    row (the host harness's reader), so the arena holds a few rows of it instead of all; with a
    uint8 camera input its QUANTIZE reads the fed band."""
    tf = pytest.importorskip("tensorflow")
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model, quantize_with

    shape, spec = CHAINS[name]
    m = keras_model([shape], _chain(tf, spec), seed=11)
    path = tmp_path / f"{name}.tflite"
    if io == "uint8":
        quantize_with(tf.lite.TFLiteConverter.from_keras_model(m), path, [(1, *shape)], low=0.0, io="uint8")
    else:
        convert_int8(m, path, [shape], samples=8)
    whole_input = compile(path, patch="max")
    gen = compile(path, patch="max,stream")
    t = gen.graph.inputs[0]
    st = gen.patches.stage
    assert st is not None and t in st.fed, gen.patches
    band = st.band_of(t)
    assert band is not None and band.producer == -1 and band.rows < band.height
    assert gen.arena_bytes < whole_input.arena_bytes, (gen.arena_bytes, whole_input.arena_bytes)
    assert "fed by the application" in gen.patches.text(gen.graph)
    assert gen.patches.to_dict()["streamed_inputs"] == [t]
    src = gen.files["model.c"]
    assert "tq_read_input(0," in src and "case 0: return 0;" in src   # no buffer for the input
    rep = verify(path, samples=20, seed=5, patch="max,stream", sanitize=True)
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@tf_only
def test_streamed_input_through_tinyq_model_run(chain_model: Path, tmp_path: Path) -> None:
    """tinyq_model_run on a streamed model reads the rows from the caller's whole input: the same
    outputs as the harness's reader gives."""
    import numpy as np

    from tinyq.targets.host import CFLAGS, build_host, find_cc, run_host
    from tinyq.workflows.compile import compile

    gen = compile(chain_model, patch="max,stream")
    assert gen.patches.stage.fed
    gen.write(tmp_path)
    g = gen.graph
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, size=(2, *g.t(g.inputs[0]).shape), dtype=np.int8)
    want, _ = run_host(build_host(tmp_path), g, [x])
    (tmp_path / "run_main.c").write_text(
        "#include <stdio.h>\n#include \"model.h\"\n"
        "static unsigned char in[TQ_INPUT0_BYTES], out[TQ_OUTPUT0_BYTES];\n"
        "int main(void) {\n"
        "    while (fread(in, 1, sizeof in, stdin) == sizeof in) {\n"
        "        tinyq_model_run(in, out);\n"
        "        fwrite(out, 1, sizeof out, stdout);\n"
        "    }\n    return 0;\n}\n")
    exe = tmp_path / "run_main"
    cmd = [find_cc(), *CFLAGS, "-I", str(tmp_path), *sorted(str(f) for f in tmp_path.glob("*.c")), "-o", str(exe)]
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    got = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True).stdout
    assert got == b"".join(w[0].tobytes() for w in want)


@pytest.fixture(scope="module")
def chain_model(tmp_path_factory) -> Path:
    tf = pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model

    shape, spec = CHAINS["k3_s2_same"]
    return convert_int8(keras_model([shape], _chain(tf, spec), seed=0),
                        tmp_path_factory.mktemp("patch") / "chain.tflite", [shape], samples=8)


@tf_only
def test_schedule_check_catches_a_band_too_small(chain_model: Path) -> None:
    from tinyq.workflows.compile import compile

    gen = compile(chain_model, patch="max")
    st = gen.patches.stage
    check(st, gen.graph)                                   # the planner's own stage holds
    big = max(st.bands, key=lambda b: b.rows)
    st.bands[st.bands.index(big)] = replace(big, rows=big.rows - 1)
    with pytest.raises(PlanError, match="band"):
        check(st, gen.graph)


@tf_only
def test_auto_off_and_bounds(chain_model: Path) -> None:
    from tinyq.workflows.compile import compile

    off = compile(chain_model, patch="off")
    assert off.patches.stage is None and "--patch off" in off.patches.reason
    # a bound nothing meets: no stage; a loose one: the same stage as max
    assert compile(chain_model, patch="max-overhead=0").patches.stage is None
    loose = compile(chain_model, patch="max-overhead=50")
    assert loose.patches.stage is not None and loose.patches.overhead_pct <= 50
    assert loose.arena_bytes < off.arena_bytes
    d = loose.patches.to_dict()
    # (saved against the same kernels unpatched; `off` may keep a faster kernel whose scratch adds
    # at most RAM_FOR_SPEED, e.g. the depthwise ring)
    assert d["patched"] and d["extra_macs"] == 0 and d["saved_bytes"] > 0
    assert abs(d["saved_bytes"] - (off.arena_bytes - loose.arena_bytes)) <= 0.15 * off.arena_bytes


def test_bad_patch_mode_is_refused() -> None:
    for bad in ("sometimes", "max-overhead=", "max-overhead=-3", "max-overhead=nan"):
        with pytest.raises(TinyqError, match="--patch"):
            parse_mode(bad)
    assert parse_mode("max-overhead=15%") == ("bound", 15.0)
    assert parse_mode("max,stream") == parse_mode("max") and streams("max,stream") and not streams("max")
    with pytest.raises(TinyqError, match="stream"):
        parse_mode("max,often")


@tf_only
def test_plan_cli_reports_the_patch_schedule(chain_model: Path, tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "tinyq.cli", "plan", str(chain_model), "--patch", "max", "--json",
                          "--plot", str(tmp_path / "plan.png")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)["patches"]
    assert d["patched"] and d["bands"] and d["steps"] > 1
    assert (tmp_path / "plan.png").stat().st_size > 0
    bad = subprocess.run([sys.executable, "-m", "tinyq.cli", "plan", str(chain_model), "--patch", "often"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "--patch" in bad.stderr and "Traceback" not in bad.stderr


@tf_only
@pytest.mark.slow
def test_image_models_fit_the_nrf52840_only_with_patches(tmp_path: Path) -> None:
    """MobileNetV2-0.35 and a BlazeFace-like detector at 192 px: their plans need 442-484 KB
    without patches, and fit the nRF52840's 256 KB with them (the MobileNetV2 at over 3x less);
    the MobileNetV2 then runs on the emulated board bit-exact, within 15% of the instructions of
    the plan without patches (measured on a board with room for both)."""
    pytest.importorskip("tensorflow")
    from tinyq.boards import load_board
    from tinyq.plan.budget import budget
    from tinyq.workflows.compile import compile
    from tinyq.workflows.deploy import DeployOptions, deploy

    from tfmodels import image_model

    board = load_board("nrf52840")
    models = {}
    for name in ("mbv2_192", "blaze_192"):
        models[name] = image_model(name, tmp_path / f"{name}.tflite")
        off = compile(models[name], board=board, patch="off")
        auto = compile(models[name], board=board)
        assert not budget(off, board).fits and budget(auto, board).fits, auto.patches
        assert auto.patches.stage is not None and "does not fit" in auto.patches.reason
        assert off.arena_bytes >= (3.0 if name.startswith("mbv2") else 2.5) * auto.arena_bytes
    on = deploy(DeployOptions(model=models["mbv2_192"], board="nrf52840", emulate=True, samples=5,
                              out=tmp_path / "on", quiet=True)).to_dict()
    assert on["bit_exact"] and on["patches"]["patched"], on
    # the same emulated Cortex-M4 with QEMU's whole 4 MB SSRAM as RAM: room for the plan without patches
    from tinyq.resources import boards_dir
    big = tmp_path / "mps2_an386_4mb.toml"
    big.write_text((boards_dir() / "mps2_an386.toml").read_text().replace("size = 262_144", "size = 4_194_304"))
    off = deploy(DeployOptions(model=models["mbv2_192"], board=str(big), emulate=True, samples=2,
                               out=tmp_path / "off", patch="off", quiet=True)).to_dict()
    assert off["bit_exact"]
    assert on["instructions"] <= 1.15 * off["instructions"], (on["instructions"], off["instructions"])


@tf_only
@pytest.mark.slow
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_patched_chain_runs_bit_exact_in_emulation(board: str, chain_model: Path, tmp_path: Path) -> None:
    """The generated stage loop on the Cortex-M4 (DSP kernels) and the M55 (Helium kernels)."""
    from tinyq.workflows.deploy import DeployOptions, deploy

    rep = deploy(DeployOptions(model=chain_model, board=board, emulate=True, samples=5, out=tmp_path,
                               patch="max", quiet=True)).to_dict()
    assert rep["bit_exact"] and rep["patches"]["patched"], rep


@tf_only
@pytest.mark.slow
@pytest.mark.parametrize("inputs", ["device", "host"])
def test_streamed_input_runs_bit_exact_in_emulation(inputs: str, chain_model: Path, tmp_path: Path) -> None:
    """A streamed input on the emulated Cortex-M4: generated row by row on the device (no whole
    input anywhere: the firmware is built without the staging buffer, so its RAM is less than
    with the input in the arena), or read from the host into the staging buffer."""
    from tinyq.workflows.deploy import DeployOptions, deploy

    runs = {patch: deploy(DeployOptions(model=chain_model, board="mps2_an386", emulate=True, samples=3,
                                        out=tmp_path / patch, patch=patch, quiet=True, inputs=inputs)).to_dict()
            for patch in ("max", "max,stream")}
    on, off = runs["max,stream"], runs["max"]
    assert on["bit_exact"] and off["bit_exact"], on
    assert on["patches"]["streamed_inputs"] and on["arena_bytes"] < off["arena_bytes"]
    if inputs == "device":
        assert on["ram_bytes"] < off["ram_bytes"], (on["ram_bytes"], off["ram_bytes"])
