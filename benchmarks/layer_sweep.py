"""MACs per instruction of single layers over a grid of geometries, on the emulated Cortex-M4.

    python benchmarks/layer_sweep.py [--kernels dsp|dsp8|portable] [--only conv,dw,fc,elem,pool]
                                     [--png sweep.png] [--keep DIR]

Each geometry is a one-layer Keras model quantized to int8 by TensorFlow (seeded random weights).
The layers are merged into a few multi-layer .tflite files (independent subgraph parts, as many as
fit the board's RAM), so that one firmware build and one emulator session measure many layers;
every run is checked bit-exact against TFLM like any deploy. Prints each geometry's MACs per
instruction (instructions per element for element-wise ops and pools), the 20 slowest, and a heat
map per family (PNG)."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


@dataclass
class Case:
    family: str                 # conv | conv1d | first | dw | dwk | tconv | fc | elem | pool
    name: str
    shapes: list[tuple[int, ...]]
    body: Callable
    key: tuple = field(default_factory=tuple)     # heat-map coordinates


def grid() -> list[Case]:
    import tensorflow as tf
    L = tf.keras.layers
    cases: list[Case] = []
    for k in (1, 3, 5, 7):
        for s in (1, 2):
            for cin in (1, 2, 3, 4, 8, 16, 32, 64, 128, 256):
                if k * k * cin * 32 > 150_000:      # flash: keep every layer's weights small
                    continue
                hw = 16 if cin <= 16 else 8
                cases.append(Case("conv", f"conv k{k} s{s} cin{cin}", [(hw, hw, cin)],
                                  lambda x, k=k, s=s: L.Conv2D(32, k, strides=s, padding="same")(x), (k, s, cin)))
    for k in (3, 5, 9):
        cases.append(Case("conv1d", f"conv 1x{k} cin16", [(1, 32, 16)],
                          lambda x, k=k: L.Conv2D(16, (1, k), padding="same")(x), (1, k)))
        cases.append(Case("conv1d", f"conv {k}x1 cin16", [(32, 1, 16)],
                          lambda x, k=k: L.Conv2D(16, (k, 1), padding="same")(x), (k, 1)))
    for kh, kw in ((10, 4), (10, 8)):
        cases.append(Case("first", f"first {kh}x{kw} s2 cin1", [(49, 10, 1)],
                          lambda x, kh=kh, kw=kw: L.Conv2D(64, (kh, kw), strides=2, padding="same")(x), (kh, kw)))
    for s in (1, 2):
        for c in (8, 16, 32, 64, 128):
            for m in (1, 2, 4, 8):
                if c * m > 128:
                    continue
                hw = 16 if c * m <= 32 else 8
                cases.append(Case("dw", f"dw 3x3 s{s} c{c} x{m}", [(hw, hw, c)],
                                  lambda x, s=s, m=m: L.DepthwiseConv2D(3, strides=s, depth_multiplier=m,
                                                                        padding="same")(x), (s, c, m)))
    for cin in (1,):
        for m in (4, 8):
            cases.append(Case("dw", f"dw 5x5 s2 c{cin} x{m}", [(20, 16, cin)],
                              lambda x, m=m: L.DepthwiseConv2D(5, strides=2, depth_multiplier=m, padding="same")(x),
                              (2, cin, m)))
    for k in (5, 7):      # larger depthwise filters (MobileNetV3, EfficientNet, BlazeFace) and multipliers
        for s in (1, 2):
            for c in (16, 64):
                for m in (1, 2, 4):
                    if c * m > 128:
                        continue
                    cases.append(Case("dwk", f"dw {k}x{k} s{s} c{c} x{m}", [(12, 12, c)],
                                      lambda x, k=k, s=s, m=m: L.DepthwiseConv2D(k, strides=s, depth_multiplier=m,
                                                                                 padding="same")(x), (k, s, c, m)))
    for kh, kw in ((1, 5), (9, 1)):
        cases.append(Case("dwk", f"dw {kh}x{kw} c32", [(1, 40, 32) if kh == 1 else (40, 1, 32)],
                          lambda x, kh=kh, kw=kw: L.DepthwiseConv2D((kh, kw), padding="same")(x), (kh, kw, 32, 1)))
    for k, s, pad in ((2, 2, "same"), (3, 2, "same"), (4, 2, "valid")):
        cases.append(Case("tconv", f"tconv k{k} s{s} {pad} 16->16", [(8, 8, 16)],
                          lambda x, k=k, s=s, pad=pad: L.Conv2DTranspose(16, k, strides=s, padding=pad)(x), (k, s)))
    for n_in, n_out in ((64, 32), (256, 64), (640, 128), (1024, 10), (30, 30)):
        cases.append(Case("fc", f"fc {n_in}->{n_out}", [(n_in,)], lambda x, n=n_out: L.Dense(n)(x), (n_in, n_out)))
    elem = [("add same", [(16, 16, 16), (16, 16, 16)], lambda xs: L.Add()(xs)),
            ("add bcast c", [(16, 16, 16), (1, 1, 16)], lambda xs: L.Lambda(lambda t: t[0] + t[1])(xs)),
            ("mul same", [(16, 16, 16), (16, 16, 16)], lambda xs: L.Multiply()(xs)),
            ("mul bcast c", [(16, 16, 16), (1, 1, 16)], lambda xs: L.Lambda(lambda t: t[0] * t[1])(xs)),
            ("add bcast c3", [(16, 16, 3), (1, 1, 3)], lambda xs: L.Lambda(lambda t: t[0] + t[1])(xs)),
            ("mul bcast c3", [(16, 16, 3), (1, 1, 3)], lambda xs: L.Lambda(lambda t: t[0] * t[1])(xs)),
            ("mul bcast pixel", [(16, 16, 16), (16, 16, 1)], lambda xs: L.Lambda(lambda t: t[0] * t[1])(xs)),
            ("add relu", [(16, 16, 16), (16, 16, 16)], lambda xs: L.ReLU()(L.Add()(xs))),
            ("add scalar", [(16, 16, 16)], lambda x: L.Lambda(lambda t: t + 0.37)(x)),
            ("mul scalar", [(16, 16, 16)], lambda x: L.Lambda(lambda t: t * 0.37)(x)),
            ("sub same", [(16, 16, 16), (16, 16, 16)], lambda xs: L.Subtract()(xs)),
            ("sub bcast c", [(16, 16, 16), (1, 1, 16)], lambda xs: L.Lambda(lambda t: t[0] - t[1])(xs)),
            ("maximum same", [(16, 16, 16), (16, 16, 16)], lambda xs: L.Maximum()(xs)),
            ("minimum bcast c", [(16, 16, 16), (1, 1, 16)], lambda xs: L.Lambda(lambda t: tf.minimum(t[0], t[1]))(xs)),
            ("sq_diff same", [(16, 16, 16), (16, 16, 16)],
             lambda xs: L.Lambda(lambda t: tf.math.squared_difference(t[0], t[1]))(xs)),
            ("sq_diff bcast c", [(16, 16, 16), (1, 1, 16)],
             lambda xs: L.Lambda(lambda t: tf.math.squared_difference(t[0], t[1]))(xs)),
            ("leaky_relu", [(16, 16, 16)], lambda x: L.LeakyReLU(negative_slope=0.1)(x)),
            ("sigmoid", [(16, 16, 16)], lambda x: L.Activation("sigmoid")(x)),
            ("hard_swish", [(16, 16, 16)], lambda x: L.Lambda(lambda t: t * tf.nn.relu6(t + 3.0) / 6.0)(x)),
            ("swish", [(16, 16, 16)], lambda x: L.Activation("swish")(x))]
    for name, shapes, body in elem:
        cases.append(Case("elem", name, shapes, body, (name,)))
    for name, body in (("avgpool 2x2", lambda x: L.AveragePooling2D(2)(x)),
                       ("maxpool 2x2", lambda x: L.MaxPooling2D(2)(x)),
                       ("maxpool 3x3 s2", lambda x: L.MaxPooling2D(3, strides=2, padding="same")(x)),
                       ("global avg", lambda x: L.GlobalAveragePooling2D()(x))):
        cases.append(Case("pool", name, [(16, 16, 32)], body, (name,)))
    return cases

CASE_TAG = "case"


def merge(blobs: list[bytes]) -> bytes:
    """One .tflite whose single subgraph holds every model's ops side by side (inputs and outputs
    concatenated): the layers stay independent, one firmware runs them all."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    out = None
    for k, blob in enumerate(blobs):
        m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(blob, 0))
        for t in m.subgraphs[0].tensors:   # each model's own names, so its layers can be found again
            t.name = f"{CASE_TAG}{k}|".encode() + (t.name or b"")
        if out is None:
            out = m
            continue
        sg, dst = m.subgraphs[0], out.subgraphs[0]
        code_map = []
        for c in m.operatorCodes:
            same = [i for i, d in enumerate(out.operatorCodes)
                    if (d.builtinCode, d.deprecatedBuiltinCode, d.version, d.customCode) ==
                    (c.builtinCode, c.deprecatedBuiltinCode, c.version, c.customCode)]
            if same:
                code_map.append(same[0])
            else:
                out.operatorCodes.append(c)
                code_map.append(len(out.operatorCodes) - 1)
        buf_base, t_base = len(out.buffers), len(dst.tensors)
        out.buffers.extend(m.buffers)
        for t in sg.tensors:
            t.buffer += buf_base
            dst.tensors.append(t)
        for op in sg.operators:
            op.opcodeIndex = code_map[op.opcodeIndex]
            op.inputs = [i + t_base if i >= 0 else i for i in op.inputs]
            op.outputs = [i + t_base for i in op.outputs]
            dst.operators.append(op)
        dst.inputs = list(dst.inputs) + [i + t_base for i in sg.inputs]
        dst.outputs = list(dst.outputs) + [i + t_base for i in sg.outputs]
    out.signatureDefs = []
    b = flatbuffers.Builder(1 << 20)
    b.Finish(out.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", choices=["dsp", "dsp8", "portable"], default="dsp")
    ap.add_argument("--only", default="", help="comma-separated families (conv,conv1d,first,dw,dwk,tconv,fc,elem,pool)")
    ap.add_argument("--png", default="layer_sweep.png")
    ap.add_argument("--keep", help="keep the models and builds here")
    ap.add_argument("--batch-bytes", type=int, default=120_000,
                    help="activation bytes per merged model (inputs and outputs stay live: RAM)")
    args = ap.parse_args()

    from tinyq.workflows.deploy import DeployOptions, deploy

    from tfmodels import convert_int8, keras_model

    cases = [c for c in grid() if not args.only or c.family in args.only.split(",")]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tinyq-sweep-"))
    work.mkdir(parents=True, exist_ok=True)
    import contextlib
    import io

    blobs = []
    for i, c in enumerate(cases):
        with contextlib.redirect_stdout(io.StringIO()):     # the converter prints its SavedModel steps
            p = convert_int8(keras_model(c.shapes, c.body, seed=i), work / f"l{i}.tflite", c.shapes, samples=16)
        blobs.append(p.read_bytes())
        print(f"\rconverted {i + 1}/{len(cases)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    # batches under a RAM bound (each layer's input + output bytes, all live at once)
    from tinyq.frontend.tflite_reader import read_tflite
    sizes = []
    for i in range(len(cases)):
        g = read_tflite(work / f"l{i}.tflite")
        sizes.append(sum(g.t(t).nbytes for t in [*g.inputs, *g.outputs]))
    batches, cur, cur_b = [], [], 0
    for i, sz in enumerate(sizes):
        if cur and cur_b + sz > args.batch_bytes:
            batches.append(cur)
            cur, cur_b = [], 0
        cur.append(i)
        cur_b += sz
    batches.append(cur)
    results: dict[int, tuple[float, str]] = {}
    exact = True
    for bi, idx in enumerate(batches):
        path = work / f"batch{bi}.tflite"
        path.write_bytes(merge([blobs[i] for i in idx]))
        rep = deploy(DeployOptions(model=path, emulate=True, samples=3, out=work / f"b{bi}", quiet=True,
                                   kernels=args.kernels))
        exact &= bool(rep["bit_exact"])
        layers = rep["layers"]
        # the compiler may run the independent parts in any order: find each case's layers by the
        # tag merge() put on its tensor names
        per_case: dict[int, list[dict]] = {i: [] for i in idx}
        for x in layers:
            tag = x["tensor"].split("|", 1)[0]
            if not tag.startswith(CASE_TAG):
                raise SystemExit(f"layer {x['label']!r} (tensor {x['tensor']!r}) carries no case tag")
            per_case[idx[int(tag[len(CASE_TAG):])]].append(x)
        for i, ls in per_case.items():
            macs = sum(x["macs"] for x in ls)
            instr = sum(x["instructions"] for x in ls)
            if macs and cases[i].family not in ("elem", "pool"):
                results[i] = (macs / instr, "MACs/instr")
            else:
                g = read_tflite(work / f"l{i}.tflite")
                elems = g.t(g.outputs[0]).num_elements
                results[i] = (instr / elems, "instr/elem")
        print(f"batch {bi + 1}/{len(batches)}: {len(idx)} layers, bit-exact {rep['bit_exact']}", file=sys.stderr)
    print(f"{'geometry':<28} {'value':>8} {'unit':<10}")
    for i, c in enumerate(cases):
        v, unit = results[i]
        print(f"{c.name:<28} {v:>8.3f} {unit:<10}")
    conv_like = [(results[i][0], cases[i].name) for i in results if results[i][1] == "MACs/instr"]
    print("\nslowest 20 (MACs/instr):")
    for v, name in sorted(conv_like)[:20]:
        print(f"  {name:<28} {v:.3f}")
    print("\nelement-wise ops and pools (instructions per output element):")
    for i, c in enumerate(cases):
        if results[i][1] == "instr/elem":
            print(f"  {c.name:<28} {results[i][0]:.1f}")
    print(f"\nall bit-exact: {exact}")
    _heatmap(cases, results, Path(args.png))
    print(f"heat map: {args.png}")
    return 0 if exact else 1


def _heatmap(cases: list[Case], results: dict[int, tuple[float, str]], png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    conv = {c.key: results[i][0] for i, c in enumerate(cases) if c.family == "conv"}
    ks, cins = sorted({k[0] for k in conv}), sorted({k[2] for k in conv})
    for ax, s in zip(axes[:2], (1, 2)):
        m = np.full((len(ks), len(cins)), np.nan)
        for (k, st, cin), v in conv.items():
            if st == s:
                m[ks.index(k), cins.index(cin)] = v
        im = ax.imshow(m, cmap="viridis", vmin=0, vmax=1.3, aspect="auto")
        ax.set_xticks(range(len(cins)), cins)
        ax.set_yticks(range(len(ks)), [f"{k}x{k}" for k in ks])
        ax.set_xlabel("input channels")
        ax.set_title(f"CONV_2D, stride {s}, 32 filters", fontsize=9)
        for (r, cc), v in np.ndenumerate(m):
            if v == v:
                ax.text(cc, r, f"{v:.2f}", ha="center", va="center", color="w", fontsize=7)
    dw = {c.key: results[i][0] for i, c in enumerate(cases) if c.family == "dw" and c.key[0] == 1}
    cs, ms = sorted({k[1] for k in dw}), sorted({k[2] for k in dw})
    m = np.full((len(ms), len(cs)), np.nan)
    for (_, c, mult), v in dw.items():
        m[ms.index(mult), cs.index(c)] = v
    axes[2].imshow(m, cmap="viridis", vmin=0, vmax=1.3, aspect="auto")
    axes[2].set_xticks(range(len(cs)), cs)
    axes[2].set_yticks(range(len(ms)), [f"x{v}" for v in ms])
    axes[2].set_xlabel("channels")
    axes[2].set_title("DEPTHWISE 3x3, stride 1 (MACs/instr)", fontsize=9)
    for (r, cc), v in np.ndenumerate(m):
        if v == v:
            axes[2].text(cc, r, f"{v:.2f}", ha="center", va="center", color="w", fontsize=7)
    fig.colorbar(im, ax=axes, shrink=0.8)
    fig.savefig(png, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
