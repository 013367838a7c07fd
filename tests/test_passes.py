"""Graph passes: shape folding for unknown-batch models, dead ops, activation fusion."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.frontend.tflite_reader import read_tflite
from tinyq.passes.pipeline import load, optimize

from conftest import mlperf_path


def test_mlperf_graphs_unchanged_by_passes() -> None:
    """The MLPerf models are already static and fused: the passes must keep every op."""
    g = read_tflite(mlperf_path("kws_ref_model"))
    n = len(g.ops)
    stats = optimize(g)
    assert len(g.ops) == n and stats["dead_ops_removed"] == 0


@pytest.fixture(scope="module")
def flatten_models(tmp_path_factory):
    tf = pytest.importorskip("tensorflow")
    from tfmodels import convert_int8, keras_model

    def body(x):
        y = tf.keras.layers.Dense(6)(x)          # Dense on 3-D input: RESHAPE -> FC -> RESHAPE
        return tf.keras.layers.Dense(5)(tf.keras.layers.Flatten()(y))

    d = tmp_path_factory.mktemp("flatten")
    unknown = convert_int8(keras_model([(3, 4)], body, batch=None), d / "unknown.tflite", [(3, 4)])
    fixed = convert_int8(keras_model([(3, 4)], body, batch=1), d / "fixed.tflite", [(3, 4)])
    return unknown, fixed


@pytest.mark.tf
def test_unknown_batch_shape_ops_are_folded(flatten_models) -> None:
    unknown, _ = flatten_models
    raw = read_tflite(unknown)
    assert {"SHAPE", "PACK"} & {op.opcode for op in raw.ops}, "converter should emit runtime shape ops"
    g = load(unknown)
    assert [op.opcode for op in g.ops] == ["RESHAPE", "FULLY_CONNECTED", "RESHAPE", "FULLY_CONNECTED"]
    assert g.t(g.ops[1].outputs[0]).shape == (3, 6)  # the file's placeholder shape was (1, 6)
    assert g.t(g.ops[2].outputs[0]).shape == (1, 18)


@pytest.mark.tf
def test_unknown_batch_model_matches_tflm_on_its_batch1_twin(flatten_models) -> None:
    """TFLM cannot run the unknown-batch file; tinyq can, and agrees with TFLM on the batch-1 twin."""
    from tinyq.workflows.verify import verify

    unknown, fixed = flatten_models
    a, b = read_tflite(unknown), read_tflite(fixed)
    for ta, tb in zip((a.t(i) for i in a.inputs + a.outputs), (b.t(i) for i in b.inputs + b.outputs)):
        assert np.array_equal(ta.scale, tb.scale) and np.array_equal(ta.zero_point, tb.zero_point)
    rep = verify(unknown, samples=30, reference_model=fixed)
    assert rep.mismatches == 0 and rep.elements == 30 * 5


@pytest.mark.tf
def test_branchy_graph_runs_in_the_order_of_least_memory(tmp_path: Path) -> None:
    """An inception block whose file lists every branch's wide first layer before any branch
    finishes: tinyq runs it branch by branch instead, in a smaller arena, bit-exact."""
    import flatbuffers
    import tensorflow as tf

    from tinyq.frontend.tflite_reader import schema
    from tinyq.ops.lower import lower
    from tinyq.passes.reorder import live_peak, reordered
    from tinyq.plan.compiled import plan
    from tinyq.workflows.compile import compile
    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    L = tf.keras.layers

    def body(x):
        a = L.Conv2D(8, 3, padding="same", activation="relu")(L.Conv2D(48, 1, activation="relu")(x))
        b = L.Conv2D(8, 5, padding="same", activation="relu")(L.Conv2D(32, 1, activation="relu")(x))
        c = L.Conv2D(8, 1)(L.MaxPooling2D(3, 1, padding="same")(x))
        return L.Concatenate()([a, b, c])

    good = convert_int8(keras_model([(20, 20, 16)], body, seed=4), tmp_path / "good.tflite", [(20, 20, 16)], samples=4)
    m = schema.ModelT.InitFromPackedBuf(bytearray(good.read_bytes()), 0)
    sg = m.subgraphs[0]
    outs = {int(t): i for i, op in enumerate(sg.operators) for t in op.outputs}
    # every op reading the input first (the wide layers, the pool), then the rest: still valid
    first = [i for i, op in enumerate(sg.operators) if all(int(t) not in outs for t in op.inputs if t >= 0)]
    sg.operators = [sg.operators[i] for i in first] + [op for i, op in enumerate(sg.operators) if i not in first]
    fb = flatbuffers.Builder(1024)
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(bytes(fb.Output()))

    g = load(bad)
    alt = reordered(g)
    assert alt is not None and live_peak(alt, list(range(len(alt.ops)))) < live_peak(g, list(range(len(g.ops))))
    from_bad = compile(bad, patch="off")
    assert from_bad.arena_bytes < plan(lower(g, "dsp")).arena_bytes          # the file's order, planned
    assert from_bad.arena_bytes <= compile(good, patch="off").arena_bytes
    assert [op.opcode for op in from_bad.graph.ops] != [op.opcode for op in g.ops]
    rep = verify(bad, samples=20, seed=5, patch="off")
    assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()


@pytest.mark.tf
def test_spatial_pads_fold_into_the_convolution(tmp_path: Path) -> None:
    """PAD (zero point) then a VALID convolution is that convolution padding more: folded, the
    same outputs bit for bit; a PAD wider than the filter stays a PAD."""
    import tensorflow as tf

    from tinyq.workflows.verify import verify

    from tfmodels import convert_int8, keras_model

    L = tf.keras.layers

    def body(x):
        y = L.Conv2D(8, 3, activation="relu")(L.ZeroPadding2D(((2, 1), (0, 2)))(x))
        y = L.DepthwiseConv2D(3, strides=2)(L.ZeroPadding2D(((0, 1), (0, 1)))(y))
        return L.Conv2D(4, 3)(L.ZeroPadding2D(((0, 3), (1, 0)))(y))    # 3 rows: not folded

    path = convert_int8(keras_model([(20, 18, 3)], body, seed=1), tmp_path / "pad.tflite", [(20, 18, 3)], samples=4)
    raw = read_tflite(path)
    assert sum(op.opcode == "PAD" for op in raw.ops) == 3
    stats = optimize(raw)
    assert stats["pads_folded"] == 2 and [op.opcode for op in raw.ops].count("PAD") == 1
    assert any(op.options.get("tq_explicit_pad") == (2, 1, 0, 2) for op in raw.ops)
    from tinyq.workflows.inspect import format_report, inspect_model
    info = inspect_model(path)
    assert sum(op.get("fused") == ["PAD"] for op in info["ops"]) == 2 and info["passes"]["pads_folded"] == 2
    assert "PAD (2, 1, 0, 2) folded in" in format_report(info)
    for kernels in ("dsp", "portable"):
        rep = verify(path, samples=40, seed=2, kernels=kernels, sanitize=kernels == "dsp")
        assert rep.elements > 0 and rep.mismatches == 0, rep.to_dict()
