"""The pass pipeline run between the frontend and the backend."""
from __future__ import annotations

from pathlib import Path

from tinyq.frontend.tflite_reader import read_tflite
from tinyq.ir import Graph
from tinyq.passes.dce import eliminate_dead_ops
from tinyq.passes.fold_float16 import fold_float16_constants
from tinyq.passes.fold_pad import fold_pads
from tinyq.passes.fold_shapes import fold_shape_operands
from tinyq.passes.fuse_activation import fuse_activations
from tinyq.passes.fuse_residual import fuse_residual_adds
from tinyq.passes.fuse_tables import fuse_unary_products


def optimize(g: Graph) -> dict[str, int]:
    """Run every pass in order; returns how much each changed."""
    stats = {"float16_constants_folded": fold_float16_constants(g)}
    stats["shape_operands_folded"] = fold_shape_operands(g)
    stats["dead_ops_removed"] = eliminate_dead_ops(g)
    stats["pads_folded"] = fold_pads(g)
    stats["activations_fused"] = fuse_activations(g)
    stats["residual_adds_fused"] = fuse_residual_adds(g)
    stats["unary_products_fused"] = fuse_unary_products(g)
    return stats


def load(path: str | Path, passes: bool = True) -> Graph:
    """Read a .tflite and run the pass pipeline on it."""
    g = read_tflite(path)
    if passes:
        optimize(g)
    return g
