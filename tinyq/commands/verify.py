"""tinyq verify MODEL: generated C on the host vs TFLM's interpreter (LiteRT's reference kernels where
TFLM cannot run the model)."""
from __future__ import annotations

import argparse
import json

from tinyq.commands._options import add_flash_args
from tinyq.plan.patch import PATCH_HELP
from tinyq.workflows.verify import MAX_SAMPLES, check_output_dir, check_verify_args, verify


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check the generated C bit-exact against TFLM on random inputs")
    p.add_argument("model", help="int8, 16x8 or float32 .tflite file (float32: against LiteRT within a tolerance)")
    p.add_argument("--samples", type=int, default=100, help=f"random inputs to try, 1 to {MAX_SAMPLES:,} (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (>= 0)")
    p.add_argument("--layers", action="store_true", help="diff every intermediate tensor, name the first op that differs")
    p.add_argument("--sanitize", action="store_true",
                   help="build with -fsanitize=address,undefined and the arena check (each layer writes "
                        "only its outputs and scratch)")
    p.add_argument("--keep", metavar="DIR", help="keep the generated sources and host build in DIR")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--kernels", choices=["dsp", "dsp8", "mve", "portable"], default="dsp",
                   help="kernel family to check: dsp (the Cortex-M4 kernels, their instructions written "
                        "in C on the host; default), dsp8, mve (the Helium kernels' algorithm in C) or portable")
    p.add_argument("--patch", default="auto", metavar="MODE",
                   help=PATCH_HELP + " (without a board, auto patches only for the 30%% saving; --layers turns "
                        "patches off: it compares every layer's whole output)")
    add_flash_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_verify_args(args.samples, args.seed)
    if args.keep is not None:
        check_output_dir(args.keep, "--keep")
    rep = verify(args.model, kernels=args.kernels, samples=args.samples, seed=args.seed, layers=args.layers,
                 sanitize=args.sanitize, work_dir=args.keep, patch=args.patch,
                 flash=args.flash, flash_budget=args.flash_budget)
    if args.json:
        print(json.dumps(rep.to_dict(), indent=2))
    else:
        if rep.tolerance is not None:
            status = f"WITHIN {rep.tolerance:g} OF LITERT" if rep.ok else "BEYOND TOLERANCE"
            print(f"{rep.model}: {status}  samples={rep.samples} elements={rep.elements} "
                  f"beyond={rep.mismatches} max_abs_diff={rep.max_abs_diff:.3g} "
                  f"max_rel_err={rep.max_rel_err:.3g} top1_agreement={rep.top1_agreement:.1%} "
                  f"arena={rep.arena_bytes} B" + (" (ASan+UBSan, arena check)" if rep.sanitized else ""))
        else:
            status = "BIT-EXACT" if rep.ok else "MISMATCH"
            print(f"{rep.model}: {status}  samples={rep.samples} elements={rep.elements} "
                  f"mismatches={rep.mismatches} max_abs_diff={rep.max_abs_diff} arena={rep.arena_bytes} B"
                  + (" (ASan+UBSan, arena check)" if rep.sanitized else "") + f"  reference: {rep.reference}")
            if rep.reference_note:
                print(f"  (TFLM cannot run this model, so LiteRT's reference kernels were the reference: "
                      f"{rep.reference_note[:300]})")
        if rep.first_bad_layer:
            b = rep.first_bad_layer
            print(f"first differing layer: op {b['index']} {b['op']} -> '{b['tensor']}' "
                  f"({b['mismatches']} of {b['elements']} elements in sample {b['sample']})")
    return 0 if rep.ok else 1
