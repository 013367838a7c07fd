"""Regression tests for what the mutation fuzzer (benchmarks/fuzz.py) found: every broken model is
refused with a TinyqError naming what is wrong (never a traceback, never C that does not compile
or misbehaves), names cannot inject C, and the CLI checks its arguments before any work."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import flatbuffers
import numpy as np
import pytest

from tinyq.cli import main
from tinyq.errors import ModelError, TinyqError, UnsupportedOpError
from tinyq.frontend.tflite_reader import parse_tflite, read_tflite
from tinyq.workflows.compile import compile
from tinyq.workflows.verify import compare, verify

try:
    from ai_edge_litert import schema_py_generated as schema
except ImportError:  # pragma: no cover
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema  # type: ignore

MODELS = Path(__file__).resolve().parent / "models"
FUZZ_MODELS = Path(__file__).resolve().parent / "fuzz_models"


def edited(name: str, fn) -> bytes:
    """A committed model with `fn(model, subgraph)` applied through the schema's object API."""
    m = schema.ModelT.InitFromPackedBuf(bytearray((MODELS / f"{name}.tflite").read_bytes()), 0)
    fn(m, m.subgraphs[0])
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def write(tmp_path: Path, blob: bytes, name: str = "m.tflite") -> Path:
    p = tmp_path / name
    p.write_bytes(blob)
    return p


def refused(tmp_path: Path, blob: bytes, *words: str, kind: type = TinyqError) -> str:
    """`tinyq generate` refuses the model with exit 2 and a message holding `words`."""
    path = write(tmp_path, blob)
    with pytest.raises(kind) as exc:
        compile(path)
    msg = str(exc.value)
    for w in words:
        assert w in msg, msg
    assert main(["generate", str(path), "-o", str(tmp_path / "out")]) == 2
    return msg


def arr(*v: int) -> np.ndarray:
    return np.asarray(v, dtype=np.int32)


def set_scale(t, *s: float) -> None:
    t.quantization.scale = np.asarray(s, dtype=np.float32)


# --- 1. kernels writing past their output: FULLY_CONNECTED output size vs weights -----------------

@pytest.mark.parametrize("model,shape,words,kind", [
    ("fc_in10_out7_nobias", (1,), "make 7 units", ModelError),            # fold_shapes used to rewrite it
    ("fc_in64_out16", (1, 16, 3), "make 16 units", ModelError),
    ("fc_in10_out7", (2, 7), "output has 14 values", UnsupportedOpError),  # the op's prepare step
])
def test_fc_output_size_disagreeing_with_weights_is_refused(tmp_path, model, shape, words, kind) -> None:
    def fn(m, sg):
        sg.tensors[sg.operators[0].outputs[0]].shape = arr(*shape)
    refused(tmp_path, edited(model, fn), "FULLY_CONNECTED", words, kind=kind)


def test_static_reshape_output_shape_is_kept(tmp_path) -> None:
    """A static file's RESHAPE output keeps its own shape (as in TFLM), not the shape operand's:
    the SOFTMAX after it then runs over the same last dimension as TFLM's (fuzzer mutant 5177)."""
    def fn(m, sg):
        sg.tensors[sg.operators[0].outputs[0]].shape = arr(1, 32, 1)
    path = write(tmp_path, edited("reshape_softmax", fn))
    assert verify(path, samples=3).ok


# --- 2. C code injection through names -----------------------------------------------------------

EVIL = ["x */ int tq_injected = 1; /* y", "line\nbreak */ int tq_injected2;", 'q"uote\\ ??/',
        "\u00e9t\u00e9 \u2603 //", "*/", "/*", "a" * 200 + "*/ int tq_injected3;"]


def test_names_cannot_inject_c(tmp_path) -> None:
    def fn(m, sg):
        for i, t in enumerate(sg.tensors):
            t.name = EVIL[i % len(EVIL)].encode()
    path = write(tmp_path, edited("mixed_conv_dw_pool_fc_softmax", fn), 'evil*\n int tq_injected4; "\\ \u00e9.tflite')
    gen = compile(path)
    for text in gen.files.values():
        assert "tq_injected" not in _code_only(text), "model text reached C outside a comment/string"
        assert all(ord(c) < 0x80 for c in text), "non-ASCII in generated C"
    rep = verify(path, samples=3, sanitize=True, work_dir=tmp_path / "keep")   # it compiles with -Werror
    assert rep.ok
    syms = subprocess.run(["nm", str(tmp_path / "keep" / "model_host_asan")], capture_output=True, text=True).stdout
    assert "tq_injected" not in syms


def _code_only(c: str) -> str:
    """C text with comments and string literals removed (a small C lexer)."""
    return re.sub(r'/\*.*?\*/|"(?:\\.|[^"\\\n])*"', " ", c, flags=re.S)


def test_c_comment_and_string_escapes() -> None:
    from tinyq.render.render import c_comment, c_string
    for s in EVIL:
        c = c_comment(s)
        assert "*/" not in c and "/*" not in c and "\n" not in c and "??" not in c
        lit = c_string(s)
        assert re.fullmatch(r'(?:\\.|\\[0-7]{3}|[^"\\\n])*', lit), lit


# --- 3. quantization parameters that overflow the C arithmetic -------------------------------------

@pytest.mark.parametrize("scale", [0.0, -1.0, float("inf"), float("nan"), 1e-40, 1e31])
def test_bad_scales_are_refused(tmp_path, scale) -> None:
    def fn(m, sg):
        set_scale(sg.tensors[sg.operators[0].outputs[0]], scale)
    refused(tmp_path, edited("conv3x3_per_tensor", fn), "quantization scale", kind=ModelError)


@pytest.mark.parametrize("zp", [128, -129, 2**62])
def test_int8_zero_point_out_of_range_is_refused(tmp_path, zp) -> None:
    def fn(m, sg):
        sg.tensors[sg.inputs[0]].quantization.zeroPoint = np.asarray([zp], dtype=np.int64)
    refused(tmp_path, edited("dw3x3_s1_same_c8", fn), "zero point", "[-128, 127]", kind=ModelError)


def test_bias_zero_point_must_be_zero(tmp_path) -> None:
    def fn(m, sg):
        b = sg.tensors[sg.operators[0].inputs[2]]
        b.quantization.zeroPoint = np.full(len(b.quantization.scale), 3, dtype=np.int64)
    refused(tmp_path, edited("conv3x3_same_c3", fn), "int32", "zero point 3", kind=ModelError)


def test_requant_shift_out_of_range_is_refused(tmp_path) -> None:
    # the input scale 1e12 times the output scale: QuantizeMultiplier's shift would be ~40
    def fn(m, sg):
        set_scale(sg.tensors[sg.inputs[0]], 1e12)
    refused(tmp_path, edited("logistic", fn), "requantization", kind=ModelError)


def test_zero_points_shorter_than_scales_are_refused(tmp_path) -> None:
    def fn(m, sg):
        w = sg.tensors[sg.operators[0].inputs[1]]
        w.quantization.zeroPoint = np.zeros(len(w.quantization.scale) - 1, dtype=np.int64)
    refused(tmp_path, edited("conv3x3_same_c3", fn), "scales but", "zero points", kind=ModelError)


def test_per_channel_scales_must_match_the_quantized_dimension(tmp_path) -> None:
    def fn(m, sg):
        w = sg.tensors[sg.operators[0].inputs[1]]
        w.quantization.quantizedDimension = 1
    refused(tmp_path, edited("conv3x3_same_c3", fn), "per-channel", kind=ModelError)


# --- 4./5. invalid graphs and options --------------------------------------------------------------

def _swap(m, sg):
    sg.operators[0], sg.operators[1] = sg.operators[1], sg.operators[0]


def _dup(m, sg):
    sg.operators.insert(1, schema.OperatorT.InitFromObj(_op_obj(m, 0)))


def _op_obj(m, i):
    b = flatbuffers.Builder(256)
    b.Finish(m.subgraphs[0].operators[i].Pack(b))
    return schema.Operator.GetRootAs(b.Output(), 0)


def _const_index(sg, m) -> int:
    return next(i for i, t in enumerate(sg.tensors) if t.buffer and m.buffers[t.buffer].data is not None)


def _orphan_output(m, sg):
    t = schema.TensorT()
    t.shape, t.type, t.name, t.buffer = arr(1, 10), schema.TensorType.INT8, b"orphan", 0
    sg.tensors.append(t)
    sg.outputs = arr(len(sg.tensors) - 1)


GRAPH_CASES = {
    "ops out of order": ("mixed_conv_dw_pool_fc_softmax", _swap, "before any op writes it"),
    "tensor written twice": ("mixed_conv_dw_pool_fc_softmax", _dup, "already written by op"),
    "op writes a graph input": ("sub", lambda m, sg: setattr(sg.operators[0], "outputs", arr(1)),
                                "already written by the caller"),
    "graph output never written": ("sub", lambda m, sg: setattr(sg, "outputs", arr(2, 1)), "graph input"),
    "output not written by any op": ("mixed_conv_dw_pool_fc_softmax", _orphan_output, "never written"),
    "op input index out of range": ("sub", lambda m, sg: setattr(sg.operators[0], "inputs", arr(0, 99)),
                                    "refers to tensor 99"),
    "op output index out of range": ("sub", lambda m, sg: setattr(sg.operators[0], "outputs", arr(-1)),
                                     "refers to tensor -1"),
    "graph input index out of range": ("sub", lambda m, sg: setattr(sg, "inputs", arr(0, 7)), "tensor 7"),
    "constant as graph input": ("conv3x3_same_c3",
                                lambda m, sg: setattr(sg, "inputs", arr(_const_index(sg, m))), "is a constant"),
    "constant written by an op": ("conv3x3_same_c3",
                                  lambda m, sg: setattr(sg.operators[0], "outputs", arr(_const_index(sg, m))),
                                  "writes constant"),
    "CONV_2D without options": ("conv3x3_same_c3",
                                lambda m, sg: (setattr(sg.operators[0], "builtinOptions", None),
                                               setattr(sg.operators[0], "builtinOptionsType", 0)),
                                "has no options"),
    "options of another op": ("conv3x3_same_c3",
                              lambda m, sg: (setattr(sg.operators[0], "builtinOptions", schema.Pool2DOptionsT()),
                                             setattr(sg.operators[0], "builtinOptionsType", 5)),
                              "Pool2DOptions, not Conv2DOptions"),
    "stride 0": ("conv3x3_same_c3", lambda m, sg: setattr(sg.operators[0].builtinOptions, "strideW", 0),
                 "stride_w = 0"),
    "stride beyond int16": ("conv3x3_same_c3",
                            lambda m, sg: setattr(sg.operators[0].builtinOptions, "strideH", 40000),
                            "stride_h = 40000"),
    "dilation beyond int16": ("dw5x5_dil2_same",
                              lambda m, sg: setattr(sg.operators[0].builtinOptions, "dilationWFactor", 2**31 - 1),
                              "dilation_w_factor"),
    "invalid padding": ("conv3x3_same_c3", lambda m, sg: setattr(sg.operators[0].builtinOptions, "padding", 7),
                        "padding = 7"),
    "TANH fused into a quantized op": ("fc_in10_out7", lambda m, sg: setattr(
        sg.operators[0].builtinOptions, "fusedActivationFunction", 4), "fused activation TANH"),
    "CONCATENATION inputs overflowing the output": ("concat_channels", lambda m, sg: setattr(
        sg.tensors[sg.operators[0].inputs[0]], "shape", arr(1, 6, 6, 6)), "add up"),
    "op without inputs": ("logistic", lambda m, sg: setattr(sg.operators[0], "inputs", arr()), "0 inputs"),
    "uint32 tensor": ("sub", lambda m, sg: setattr(sg.tensors[1], "type", schema.TensorType.UINT32),
                      "UINT32"),
    "resource tensor": ("sub", lambda m, sg: setattr(sg.tensors[2], "type", schema.TensorType.RESOURCE),
                        "RESOURCE"),
    "dimension 2^31-1": ("sub", lambda m, sg: setattr(sg.tensors[0], "shape", arr(1, 2**31 - 1, 1, 1)),
                         "2147483647"),
    "elements beyond 2^31": ("sub", lambda m, sg: setattr(sg.tensors[0], "shape", arr(1, 2**31 - 1, 2, 1)),
                             "not below 2^31"),
    "bytes beyond 2^31": ("fc_in64_out16", lambda m, sg: setattr(
        sg.tensors[sg.operators[0].outputs[0]], "shape", arr(65536, 65536)), "not below 2^31"),
    "zero-sized activation": ("logistic", lambda m, sg: setattr(sg.tensors[0], "shape", arr(0, 4, 4, 4)),
                              "no elements"),
    "same-shape op changing the size": ("logistic", lambda m, sg: setattr(sg.tensors[0], "shape", arr(1, 55, 4, 4)),
                                        "same elements"),
}


@pytest.mark.parametrize("case", sorted(GRAPH_CASES))
def test_invalid_graph_is_refused(tmp_path, case) -> None:
    model, fn, words = GRAPH_CASES[case]
    msg = refused(tmp_path, edited(model, fn), words)
    assert "hint:" in msg or "supported:" in msg, msg


def test_wrong_depth_multiplier_is_refused(tmp_path) -> None:
    def fn(m, sg):
        sg.operators[0].builtinOptions.depthMultiplier = 3
    refused(tmp_path, edited("dw3x3_mult2", fn), "depth_multiplier 3", kind=UnsupportedOpError)


def test_model_errors_name_op_and_tensor(tmp_path) -> None:
    def fn(m, sg):
        sg.tensors[sg.operators[0].outputs[0]].quantization.zeroPoint = np.asarray([300], np.int64)
    msg = refused(tmp_path, edited("conv3x3_same_c3", fn), kind=ModelError)
    assert "tensor 3" in msg and "300" in msg


# --- 6. no tracebacks: inspect --json is strict JSON, nbytes is safe -------------------------------

def test_inspect_json_is_strict_json(tmp_path, capsys) -> None:
    def fn(m, sg):   # an unused tensor of an unknown type and an infinite scale nobody reads
        t = schema.TensorT()
        t.shape, t.type, t.name, t.buffer = arr(2), schema.TensorType.VARIANT, b"unused", 0
        sg.tensors.append(t)
    path = write(tmp_path, edited("conv3x3_same_c3", fn))
    assert main(["inspect", "--json", str(path)]) == 0
    out = capsys.readouterr().out

    def bad(c: str):
        raise AssertionError(f"not JSON: {c}")
    info = json.loads(out, parse_constant=bad)
    assert info["tensors"][-1]["bytes"] == 0 and info["tensors"][-1]["dtype"] == "variant"


def test_jsonable() -> None:
    from tinyq.workflows.inspect import jsonable
    assert jsonable({"a": float("nan"), "b": b"\x01\xff", "c": [np.int64(3), float("inf")], "d": np.float32(1.5)}) \
        == {"a": None, "b": "01ff", "c": [3, None], "d": 1.5}


def test_compare_on_mismatched_shapes() -> None:
    bad, diff = compare(np.zeros(64, np.int8), np.zeros(880, np.int8))
    assert bad == 880 and diff > 0


@pytest.mark.parametrize("path", sorted(FUZZ_MODELS.glob("*.tflite")), ids=lambda p: p.stem)
def test_committed_fuzz_reproducers(path, tmp_path, capsys) -> None:
    """Small mutants the fuzzer found; each name says what was broken. Refused by generate (inspect
    refuses it too, or lists the op it cannot compile as UNSUPPORTED), never a traceback."""
    for argv in (["inspect", str(path)], ["inspect", "--json", str(path)],
                 ["generate", str(path), "-o", str(tmp_path / "o")]):
        code = main(argv)
        out, err = capsys.readouterr()
        if argv[0] == "inspect" and code == 0:
            assert "UNSUPPORTED" in out or '"supported": false' in out, out
            continue
        assert code == 2, argv
        assert err.startswith(f"tinyq {argv[0]}: error: ") and "internal error" not in err, err


# --- the arena check of the sanitized host build --------------------------------------------------

def test_arena_check_names_the_layer_that_writes_outside_its_output(tmp_path) -> None:
    from tinyq.targets.host import ArenaCheckError, build_host, run_host
    from tinyq.workflows.verify import random_inputs
    path = MODELS / "mixed_conv_dw_pool_fc_softmax.tflite"
    gen = compile(path)
    gen.write(tmp_path)
    g = gen.graph
    # layer 1 (the DEPTHWISE_CONV_2D) also writes one arena byte outside its output and scratch
    layer = gen.lowered.layers[1]
    out = layer.op.outputs[0]
    allowed = set(range(gen.tensor_offset(out), gen.tensor_offset(out) + g.t(out).nbytes))
    if layer.scratch_bytes:
        lo = gen.plan.offsets[("s", layer.op.index)]
        allowed |= set(range(lo, lo + layer.scratch_bytes))
    victim = next(b for b in range(gen.arena_bytes) if b not in allowed)
    c = (tmp_path / "model.c").read_text()
    poke = f"    {{ volatile unsigned k = {victim}u; tq_arena[k] ^= 0x5a; }}\n"
    c = c.replace("    TQ_PROFILE_LAYER(1);", poke + "    TQ_PROFILE_LAYER(1);", 1)
    (tmp_path / "model.c").write_text(c)
    exe = build_host(tmp_path, sanitize=True)
    with pytest.raises(ArenaCheckError) as exc:
        run_host(exe, g, random_inputs(g, 1, 0))
    assert f"layer 1 ({gen.labels[1]})" in str(exc.value) and f"byte {victim}" in str(exc.value)
    # past the end of the arena, without ASan: the tail guard catches it
    c = c.replace(f"k = {victim}u; tq_arena[k] ^= 0x5a;", f"k = {gen.arena_bytes + 3}u; tq_arena[k] = 1;")
    (tmp_path / "model.c").write_text(c)
    exe = build_host(tmp_path, check_arena=True)
    with pytest.raises(ArenaCheckError, match="past the end of the arena"):
        run_host(exe, g, random_inputs(g, 1, 0))
    # with ASan, whose redzone starts right after the planned size
    exe = build_host(tmp_path, sanitize=True)
    with pytest.raises(TinyqError, match="global-buffer-overflow|insufficient space"):
        run_host(exe, g, random_inputs(g, 1, 0))


# --- 8. the CLI checks its arguments and paths first ----------------------------------------------

def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


MODEL = str(MODELS / "fc_in10_out7.tflite")


@pytest.mark.parametrize("args,words", [
    (["--samples", "-1"], "samples must be between 1"),
    (["--samples", "0"], "samples must be between 1"),
    (["--samples", "1000000000"], "samples must be between 1"),
    (["--seed", "-1"], "seed must be a non-negative"),
])
def test_verify_argument_bounds(capsys, args, words) -> None:
    assert main(["verify", MODEL, *args]) == 2
    err = _err(capsys)
    assert err.startswith("tinyq verify: error: ") and words in err
    assert "BIT-EXACT" not in capsys.readouterr().out


def test_unwritable_output_paths_fail_before_work(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bad = str(blocker / "sub")
    for argv in (["generate", MODEL, "-o", bad], ["generate", MODEL, "-o", ""],
                 ["verify", MODEL, "--samples", "1", "--keep", bad],
                 ["plan", MODEL, "--plot", str(blocker / "p.png")],
                 ["plan", MODEL, "--plot", str(tmp_path)]):
        assert main(argv) == 2, argv
        err = _err(capsys)
        assert err.startswith(f"tinyq {argv[0]}: error: "), err


def test_quantize_output_path_checked_first(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["quantize", "nonexistent.keras", "--mode", "float32", "-o", str(blocker / "m.tflite")]) == 2
    assert "cannot create" in _err(capsys)
    assert main(["quantize", "nonexistent.keras", "--mode", "float32", "-o", ""]) == 2
    assert "empty" in _err(capsys)


def test_plan_elf_must_be_an_elf(tmp_path, capsys) -> None:
    notelf = tmp_path / "x.elf"
    notelf.write_bytes(b"hello world")
    assert main(["plan", MODEL, "--elf", str(notelf)]) == 2
    assert "not an ELF file" in _err(capsys)


def test_huge_model_file_is_refused_before_reading(tmp_path, capsys) -> None:
    big = tmp_path / "big.tflite"
    with open(big, "wb") as f:
        f.truncate(5 << 30)            # sparse: no disk, no memory
    assert main(["inspect", str(big)]) == 2
    assert "MiB" in _err(capsys)


def test_real_models_still_load() -> None:
    for p in sorted(MODELS.glob("*.tflite")):
        read_tflite(p)
    with pytest.raises(ModelError):
        parse_tflite(b"\x00\x00\x00\x00TFL3" + b"\x00" * 8)
