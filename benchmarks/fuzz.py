"""Mutation fuzzer: seeded mutants of the committed models through inspect, generate and verify.

    .venv/bin/python benchmarks/fuzz.py --mutants 10000 --seed 0 [--verify-every 50] [--jobs 2]

Each mutant is one of the small models in tests/models/ with one or two edits: bit flips in the
flatbuffer, or field edits through the schema (shapes, dtypes, buffer and tensor indices, scales,
zero points, quantized dimension, options, opcodes, names, op order, graph inputs/outputs). Every
mutant goes through `tinyq inspect`, `tinyq inspect --json` and `tinyq generate` in-process; those
generate accepts are, on a sample, built for the host with ASan+UBSan and the arena check
(-DTQ_CHECK_ARENA) and run on random inputs, then compared with TFLM when TFLM runs the mutant.

Outcomes: `refused` (a TinyqError subclass, counted by kind), `accepted`; failures: `traceback`
(any other exception), `internal` (InternalError), `badjson` (inspect --json printed something
strict JSON rejects, or a negative size), `cc` (accepted but the generated C does not compile),
`sanitizer` (ASan/UBSan/arena-check report), `hang` (over the time limit). `mismatch` (accepted,
runs clean, but differs from TFLM) is reported separately: TFLM often runs a broken mutant too.

The last line is the summary; the exit status is 1 if any failure was seen."""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import flatbuffers
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "models"
sys.path.insert(0, str(ROOT))

try:
    from ai_edge_litert import schema_py_generated as schema
except ImportError:  # pragma: no cover
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema  # type: ignore

FAILURES = ("traceback", "internal", "badjson", "cc", "sanitizer", "hang")
EVIL_NAMES = ["x */ int tq_injected = 1; /* y", "a\nb", 'q"uote\\', "\u00e9t\u00e9 \u2603", "*/", "//", "\\",
              "??/", "\x00nul", "a" * 300, "#define T0 0", "\r\n*/\r\n"]
INT_EDGES = [0, -1, 1, 2, 3, 7, 255, 256, 32767, 32768, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**32,
             2**62, -2**62, 2**63 - 1]
SCALE_EDGES = [0.0, -1.0, float("inf"), float("-inf"), float("nan"), 1e-45, 1e-38, 1e-30, 1e-20, 1e20,
               1e30, 1e38, 3.4e38, 1.0, 0.5, 2.0**-31, 2.0**31]
ZP_EDGES = [-129, 128, 255, -128, 127, 1, -1, 2**31 - 1, -2**31, 2**62, 1000, -1000]


def _pack(m) -> bytes:
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _unpack(buf: bytes):
    return schema.ModelT.InitFromPackedBuf(bytearray(buf), 0)


def _pick_int(rng: random.Random, n: int) -> int:
    """An index near the valid range [0, n), or an edge value."""
    r = rng.random()
    if r < 0.5:
        return rng.randrange(max(n, 1))
    if r < 0.8:
        return rng.choice([-2, -1, n, n + 1, n + 5])
    return rng.choice(INT_EDGES)


def _int32(v: int) -> int:
    return ((int(v) + 2**31) % 2**32) - 2**31


# --- mutations: each takes (ModelT, rng) and returns a description, editing the model in place ---

def m_shape(m, rng):
    sg = m.subgraphs[0]
    t = rng.choice(sg.tensors)
    shape = list(t.shape if t.shape is not None else [])
    r = rng.random()
    if shape and r < 0.6:
        d = rng.randrange(len(shape))
        shape[d] = _int32(rng.choice([0, 1, 2, 3, shape[d] + 1, max(shape[d] - 1, 0), 2 * shape[d], -1,
                                      2**31 - 1, 65536, 32768, rng.randrange(1, 100)]))
    elif r < 0.8:
        shape = shape + [rng.choice([1, 2, 3])]
    else:
        shape = shape[:-1]
    t.shape = np.asarray(shape, dtype=np.int32)
    return f"shape of tensor {sg.tensors.index(t)} -> {shape}"


def m_dtype(m, rng):
    sg = m.subgraphs[0]
    t = rng.choice(sg.tensors)
    t.type = rng.choice([0, 1, 2, 3, 4, 6, 7, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30, 100])
    return f"type of tensor {sg.tensors.index(t)} -> {t.type}"


def m_buffer(m, rng):
    sg = m.subgraphs[0]
    t = rng.choice(sg.tensors)
    t.buffer = _pick_int(rng, len(m.buffers)) & 0xFFFFFFFF
    return f"buffer of tensor {sg.tensors.index(t)} -> {t.buffer}"


def m_scale(m, rng):
    sg = m.subgraphs[0]
    qs = [t for t in sg.tensors if t.quantization is not None and t.quantization.scale is not None]
    if not qs:
        return m_shape(m, rng)
    t = rng.choice(qs)
    s = np.asarray(t.quantization.scale, dtype=np.float32).copy()
    r = rng.random()
    if r < 0.7 and len(s):
        s[rng.randrange(len(s))] = rng.choice(SCALE_EDGES)
    elif r < 0.85:
        s = s[:-1] if len(s) > 1 else np.array([], np.float32)
    else:
        s = np.concatenate([s, s[:1] if len(s) else np.ones(1, np.float32)])
    t.quantization.scale = s
    return f"scale of tensor {sg.tensors.index(t)} -> {s[:4].tolist()} (len {len(s)})"


def m_zero_point(m, rng):
    sg = m.subgraphs[0]
    qs = [t for t in sg.tensors if t.quantization is not None and t.quantization.zeroPoint is not None]
    if not qs:
        return m_shape(m, rng)
    t = rng.choice(qs)
    z = np.asarray(t.quantization.zeroPoint, dtype=np.int64).copy()
    r = rng.random()
    if r < 0.75 and len(z):
        z[rng.randrange(len(z))] = rng.choice(ZP_EDGES)
    elif r < 0.9:
        z = z[:-1]
    else:
        z = np.concatenate([z, z[:1] if len(z) else np.zeros(1, np.int64)])
    t.quantization.zeroPoint = z
    return f"zero point of tensor {sg.tensors.index(t)} -> {z[:4].tolist()} (len {len(z)})"


def m_qdim(m, rng):
    sg = m.subgraphs[0]
    qs = [t for t in sg.tensors if t.quantization is not None]
    if not qs:
        return m_shape(m, rng)
    t = rng.choice(qs)
    t.quantization.quantizedDimension = rng.choice([1, 2, 3, 4, -1, 100])
    return f"quantized dimension of tensor {sg.tensors.index(t)} -> {t.quantization.quantizedDimension}"


def m_op_index(m, rng):
    sg = m.subgraphs[0]
    if not sg.operators:
        return m_shape(m, rng)
    op = rng.choice(sg.operators)
    which = "inputs" if rng.random() < 0.6 else "outputs"
    lst = list(getattr(op, which) if getattr(op, which) is not None else [])
    r = rng.random()
    if lst and r < 0.7:
        lst[rng.randrange(len(lst))] = _int32(_pick_int(rng, len(sg.tensors)))
    elif r < 0.85:
        lst.append(_int32(_pick_int(rng, len(sg.tensors))))
    else:
        lst = lst[:-1]
    setattr(op, which, np.asarray(lst, dtype=np.int32))
    return f"op {sg.operators.index(op)} {which} -> {lst}"


def m_graph_io(m, rng):
    sg = m.subgraphs[0]
    which = rng.choice(["inputs", "outputs"])
    lst = list(getattr(sg, which))
    r = rng.random()
    if lst and r < 0.6:
        lst[rng.randrange(len(lst))] = _int32(_pick_int(rng, len(sg.tensors)))
    elif r < 0.85:
        lst.append(_int32(_pick_int(rng, len(sg.tensors))))
    else:
        lst = lst[:-1]
    setattr(sg, which, np.asarray(lst, dtype=np.int32))
    return f"graph {which} -> {lst}"


def m_op_order(m, rng):
    sg = m.subgraphs[0]
    ops = sg.operators or []
    r = rng.random()
    if len(ops) >= 2 and r < 0.4:
        i, j = rng.sample(range(len(ops)), 2)
        ops[i], ops[j] = ops[j], ops[i]
        return f"swap ops {i} and {j}"
    if ops and r < 0.7:
        i = rng.randrange(len(ops))
        ops.insert(rng.randrange(len(ops) + 1), _copy_op(ops[i]))
        return f"duplicate op {i}"
    if ops:
        i = rng.randrange(len(ops))
        del ops[i]
        return f"remove op {i}"
    return m_shape(m, rng)


def _copy_op(op):
    new = schema.OperatorT()
    for k, v in vars(op).items():
        setattr(new, k, v.copy() if isinstance(v, np.ndarray) else v)
    return new


def m_opcode(m, rng):
    sg = m.subgraphs[0]
    r = rng.random()
    if r < 0.5 and sg.operators:
        op = rng.choice(sg.operators)
        op.opcodeIndex = _pick_int(rng, len(m.operatorCodes)) & 0xFFFFFFFF
        return f"opcode index of op {sg.operators.index(op)} -> {op.opcodeIndex}"
    code = rng.choice(m.operatorCodes)
    new = rng.choice([0, 1, 2, 3, 4, 9, 14, 17, 18, 19, 21, 22, 25, 28, 32, 34, 40, 41, 45, 49, 83, 98, 114,
                      117, 150, 200, 210])
    code.builtinCode = new
    code.deprecatedBuiltinCode = min(new, 127)
    return f"opcode {m.operatorCodes.index(code)} -> builtin {new}"


def m_options(m, rng):
    sg = m.subgraphs[0]
    if not sg.operators:
        return m_shape(m, rng)
    op = rng.choice(sg.operators)
    i = sg.operators.index(op)
    r = rng.random()
    if op.builtinOptions is None or r < 0.15:
        op.builtinOptions = None
        op.builtinOptionsType = 0
        return f"op {i} options removed"
    if r < 0.25:
        # options of another op's type
        t = rng.choice([1, 2, 5, 8, 9, 13, 19, 22, 27, 33])
        cls = {1: schema.Conv2DOptionsT, 2: schema.DepthwiseConv2DOptionsT, 5: schema.Pool2DOptionsT,
               8: schema.FullyConnectedOptionsT, 9: schema.SoftmaxOptionsT, 13: schema.ReshapeOptionsT,
               19: schema.StridedSliceOptionsT, 22: schema.PadOptionsT if hasattr(schema, "PadOptionsT")
               else schema.ReshapeOptionsT, 27: schema.MeanOptionsT if hasattr(schema, "MeanOptionsT")
               else schema.ReshapeOptionsT, 33: schema.ReducerOptionsT}.get(t, schema.ReshapeOptionsT)
        op.builtinOptions = cls()
        op.builtinOptionsType = t
        return f"op {i} options -> {cls.__name__} (type {t})"
    fields = [k for k, v in vars(op.builtinOptions).items() if isinstance(v, (int, bool, float)) or v is None]
    if not fields:
        op.builtinOptions = None
        return f"op {i} options removed"
    k = rng.choice(fields)
    old = getattr(op.builtinOptions, k)
    if isinstance(old, bool):
        val = not old
    elif isinstance(old, float):
        val = rng.choice(SCALE_EDGES)
    else:
        val = rng.choice([0, -1, 2, 3, 4, 5, 6, 9, 100, 32767, 32768, 65535, 2**31 - 1, -2**31, 127, 128])
        if k in ("fusedActivationFunction", "padding", "weightsFormat", "quantizedBiasType"):
            val = rng.choice([-1, 0, 1, 2, 3, 4, 5, 6, 100]) & 0x7F
    setattr(op.builtinOptions, k, val)
    return f"op {i} option {k}: {old} -> {val}"


def m_name(m, rng):
    sg = m.subgraphs[0]
    t = rng.choice(sg.tensors)
    t.name = rng.choice(EVIL_NAMES).encode()
    return f"name of tensor {sg.tensors.index(t)} -> {t.name[:40]!r}"


def m_const_io(m, rng):
    """A constant used as a graph input, or an op writing a constant."""
    sg = m.subgraphs[0]
    consts = [i for i, t in enumerate(sg.tensors) if t.buffer and m.buffers[t.buffer].data is not None
              and len(m.buffers[t.buffer].data)]
    if not consts:
        return m_graph_io(m, rng)
    c = rng.choice(consts)
    if rng.random() < 0.5 or not sg.operators:
        sg.inputs = np.asarray([c, *list(sg.inputs)[1:]], dtype=np.int32)
        return f"constant tensor {c} as graph input"
    op = rng.choice(sg.operators)
    op.outputs = np.asarray([c], dtype=np.int32)
    return f"op {sg.operators.index(op)} writes constant tensor {c}"


def m_data(m, rng):
    sg = m.subgraphs[0]
    consts = [t for t in sg.tensors if t.buffer and m.buffers[t.buffer].data is not None
              and len(m.buffers[t.buffer].data)]
    if not consts:
        return m_shape(m, rng)
    t = rng.choice(consts)
    b = m.buffers[t.buffer]
    data = np.asarray(b.data, dtype=np.uint8).copy()
    if rng.random() < 0.5:
        data[rng.randrange(len(data))] = rng.randrange(256)
        data[:: max(len(data) // 4, 1)] = rng.choice([0, 0x7F, 0x80, 0xFF])
    else:
        data = data[: rng.randrange(len(data))]
    b.data = data
    return f"data of tensor {sg.tensors.index(t)} edited (len {len(data)})"


FIELD_MUTATORS = [(m_shape, 14), (m_dtype, 6), (m_buffer, 4), (m_scale, 12), (m_zero_point, 10), (m_qdim, 4),
                  (m_op_index, 12), (m_graph_io, 6), (m_op_order, 8), (m_opcode, 5), (m_options, 16),
                  (m_name, 5), (m_const_io, 4), (m_data, 4)]


def mutate(buf: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One mutant of a model and what was done to it."""
    if rng.random() < 0.15:
        b = bytearray(buf)
        flips = []
        for _ in range(rng.choice([1, 1, 2, 4, 8])):
            pos = rng.randrange(8, len(b))    # keep the file identifier
            bit = rng.randrange(8)
            b[pos] ^= 1 << bit
            flips.append(f"{pos}.{bit}")
        return bytes(b), "bit flips " + ",".join(flips)
    m = _unpack(buf)
    fns, weights = zip(*FIELD_MUTATORS)
    descs = []
    for _ in range(1 if rng.random() < 0.75 else 2):
        descs.append(rng.choices(fns, weights)[0](m, rng))
    return _pack(m), "; ".join(descs)


def mutants(n: int, seed: int, models: list[Path] | None = None):
    """(index, model name, mutant bytes, description) for n deterministic mutants."""
    models = models or sorted(MODELS.glob("*.tflite"))
    blobs = [(p.stem, p.read_bytes()) for p in models]
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        name, blob = blobs[rng.randrange(len(blobs))]
        try:
            mut, desc = mutate(blob, rng)
        except Exception as exc:  # the mutator itself could not pack this edit: keep the original
            mut, desc = blob, f"(mutation failed: {exc.__class__.__name__})"
        yield i, name, mut, desc


# --- running one mutant ----------------------------------------------------------------------

class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    def on_alarm(signum, frame):
        raise Hang(f"over {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _strict_json(text: str) -> object:
    def bad(const: str) -> object:
        raise ValueError(f"not JSON: {const}")
    return json.loads(text, parse_constant=bad)


def _negative_sizes(obj: object) -> list[str]:
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("bytes", "param_bytes", "macs", "total_macs") and isinstance(v, int) and v < 0:
                found.append(f"{k}={v}")
            found += _negative_sizes(v)
    elif isinstance(obj, list):
        for v in obj:
            found += _negative_sizes(v)
    return found


@dataclass
class Result:
    index: int
    model: str
    desc: str
    outcome: str            # "refused", "accepted" or one of FAILURES / "mismatch"
    kind: str = ""          # the refusal's error class, or the failure detail
    detail: str = ""
    stages: list[str] = field(default_factory=list)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    from tinyq.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _kind(stderr: str) -> str:
    """The refusal's first words, e.g. 'ModelError: op 3 CONV_2D: ...' -> a short class of it."""
    line = next((ln for ln in stderr.splitlines() if ": error: " in ln), stderr.strip()[:80])
    msg = line.split(": error: ", 1)[-1]
    for key, kind in (("internal error", "internal"), ("unsupported operators", "unsupported-op"),
                      ("corrupt", "corrupt"), ("does not fit", "does-not-fit"), ("TFL3", "not-tflite")):
        if key in msg:
            return kind
    return "model"


def run_one(index: int, name: str, blob: bytes, desc: str, work: Path, build: bool = False,
            reference: bool = False, timeout: float = 30.0) -> Result:
    """inspect, inspect --json, generate; if `build` and generate accepted it: host build with
    ASan+UBSan+arena check and a run (and a TFLM comparison if `reference`)."""
    path = work / f"m{index}.tflite"
    path.write_bytes(blob)
    out_dir = work / f"g{index}"
    res = Result(index, name, desc, "refused")
    try:
        with time_limit(timeout):
            for stage, argv in (("inspect", ["inspect", str(path)]),
                                ("json", ["inspect", "--json", str(path)]),
                                ("generate", ["generate", str(path), "-o", str(out_dir)])):
                res.stages.append(stage)
                code, out, err = _cli(argv)
                if code == 70 or "internal error" in err:
                    res.outcome, res.kind, res.detail = "internal", stage, err.strip()[-600:]
                    return res
                if code != 0:
                    res.outcome, res.kind, res.detail = "refused", _kind(err), err.strip()[-300:]
                    return res
                if stage == "json":
                    try:
                        neg = _negative_sizes(_strict_json(out))
                    except ValueError as exc:
                        res.outcome, res.kind, res.detail = "badjson", "json", str(exc)
                        return res
                    if neg:
                        res.outcome, res.kind, res.detail = "badjson", "negative", ", ".join(neg[:5])
                        return res
            res.outcome = "accepted"
        if build:   # compilers and TFLM get their own, longer, limit (a loaded machine is slow)
            with time_limit(max(timeout, 120.0)):
                _build_and_run(res, path, out_dir, reference)
    except Hang as exc:
        res.outcome, res.kind, res.detail = "hang", res.stages[-1] if res.stages else "", str(exc)
    except Exception as exc:  # anything that is not a TinyqError escaping the CLI
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb) if "tinyq" in f.filename), "?")
        res.outcome, res.kind = "traceback", f"{exc.__class__.__name__} at {where}"
        res.detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-400:]
    finally:
        import shutil
        shutil.rmtree(out_dir, ignore_errors=True)
        path.unlink(missing_ok=True)
    return res


MAX_BUILD_ARENA = 32 << 20


def _build_and_run(res: Result, path: Path, out_dir: Path, reference: bool) -> None:
    from tinyq.errors import TinyqError
    from tinyq.passes.pipeline import load
    from tinyq.resources import firmware_dir
    from tinyq.targets.host import CFLAGS, SANITIZE, find_cc
    from tinyq.workflows.verify import compare, random_inputs

    g = load(path)
    if sum(g.t(i).nbytes for i in g.inputs) > MAX_BUILD_ARENA:
        res.stages.append("skip-big")
        return
    res.stages.append("build")
    exe = out_dir / "model_host_asan"
    sources = sorted(str(p) for p in out_dir.glob("*.c")) + [str(firmware_dir() / "host" / "host_main.c")]
    cmd = [find_cc(), *CFLAGS, *SANITIZE, "-DTQ_PROFILE", "-DTQ_CHECK_ARENA", "-I", str(out_dir), *sources,
           "-o", str(exe)]
    b = subprocess.run(cmd, capture_output=True, text=True)
    if b.returncode != 0:
        res.outcome, res.kind, res.detail = "cc", "compile", b.stderr[-800:]
        return
    res.stages.append("run")
    xs = random_inputs(g, 2, res.index)
    blob = b"".join(b"".join(np.ascontiguousarray(x[s]).tobytes() for x in xs) for s in range(2))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0")
    try:
        r = subprocess.run([str(exe), "run"], input=blob, capture_output=True, timeout=20, env=env)
    except subprocess.TimeoutExpired:
        res.outcome, res.kind, res.detail = "hang", "run", "host run over 20 s"
        return
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0 or "runtime error" in err or "AddressSanitizer" in err or "tq_check_arena" in err:
        res.outcome, res.kind, res.detail = "sanitizer", _san_kind(err), err[-1200:]
        return
    if not reference:
        return
    from tinyq.targets.host import run_host
    from tinyq.targets.reference import run_reference
    res.stages.append("reference")
    try:
        want, _ = run_reference(path, xs, len(g.outputs), timeout=60)
    except TinyqError:
        res.stages.append("tflm-refused")
        return
    got, _ = run_host(exe, g, xs)
    bad = sum(compare(w, o)[0] for s in range(2) for w, o in zip(want[s], got[s]))
    if bad:
        res.outcome, res.kind, res.detail = "mismatch", "tflm", f"{bad} elements differ"


def _san_kind(err: str) -> str:
    for key in ("tq_check_arena", "heap-buffer-overflow", "global-buffer-overflow", "stack-buffer-overflow",
                "SEGV", "shift exponent", "signed integer overflow", "runtime error"):
        if key in err:
            return key
    return "exit"


# --- driver ------------------------------------------------------------------------------------

def _worker(args: tuple) -> list[Result]:
    chunk, seed, n, verify_every, reference, timeout = args
    out = []
    with tempfile.TemporaryDirectory(prefix="tinyq-fuzz-") as tmp:
        work = Path(tmp)
        accepted = 0
        for i, name, blob, desc in mutants(n, seed):
            if i % chunk[1] != chunk[0]:
                continue
            r = run_one(i, name, blob, desc, work, timeout=timeout)
            if r.outcome == "accepted":
                accepted += 1
                if verify_every > 0 and accepted % verify_every == 1 % verify_every:
                    r = run_one(i, name, blob, desc, work, build=True, reference=reference, timeout=timeout)
            out.append(r)
    return out


def run(n: int, seed: int, jobs: int = 1, verify_every: int = 50, reference: bool = True,
        timeout: float = 30.0) -> list[Result]:
    if jobs <= 1:
        return _worker(((0, 1), seed, n, verify_every, reference, timeout))
    import multiprocessing as mp
    with mp.get_context("fork").Pool(jobs) as pool:
        parts = pool.map(_worker, [((k, jobs), seed, n, verify_every, reference, timeout) for k in range(jobs)])
    return sorted((r for p in parts for r in p), key=lambda r: r.index)


def summary(results: list[Result], seconds: float = 0.0) -> str:
    c = Counter(r.outcome for r in results)
    kinds = Counter(r.kind for r in results if r.outcome == "refused")
    built = sum("build" in r.stages for r in results)
    ran = sum("run" in r.stages for r in results)
    refs = sum("reference" in r.stages for r in results)
    fails = sum(c[f] for f in FAILURES)
    return (f"mutants={len(results)} accepted={c['accepted'] + c['mismatch']} refused={c['refused']} "
            f"({', '.join(f'{k}={v}' for k, v in kinds.most_common())}) tracebacks={c['traceback']} "
            f"internal_errors={c['internal']} bad_json={c['badjson']} c_compile_failures={c['cc']} "
            f"sanitizer_reports={c['sanitizer']} hangs={c['hang']} built={built} ran={ran} "
            f"compared_with_tflm={refs} tflm_mismatches={c['mismatch']} failures={fails}"
            + (f" in {seconds:.0f} s" if seconds else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--verify-every", type=int, default=10,
                    help="build and run every Nth accepted mutant under ASan and compare it with TFLM (0: never)")
    ap.add_argument("--no-reference", action="store_true", help="do not compare with TFLM")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--show", type=int, default=20, help="failures to print in full")
    ap.add_argument("--json", metavar="FILE", help="write every non-refused result as JSON")
    a = ap.parse_args(argv)
    t0 = time.time()
    results = run(a.mutants, a.seed, a.jobs, a.verify_every, not a.no_reference, a.timeout)
    bad = [r for r in results if r.outcome in FAILURES]
    by_kind: dict[str, list[Result]] = {}
    for r in bad:
        by_kind.setdefault(f"{r.outcome}: {r.kind}", []).append(r)
    for k, rs in sorted(by_kind.items(), key=lambda kv: -len(kv[1]))[: a.show]:
        r = rs[0]
        print(f"[{len(rs)}x] {k}\n    e.g. mutant {r.index} of {r.model}: {r.desc}\n    {r.detail[-400:]}")
    for r in [r for r in results if r.outcome == "mismatch"][:5]:
        print(f"mismatch vs TFLM: mutant {r.index} of {r.model}: {r.desc}: {r.detail}")
    if a.json:
        Path(a.json).write_text(json.dumps([vars(r) for r in results if r.outcome != "refused"], indent=1))
    print(summary(results, time.time() - t0))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
