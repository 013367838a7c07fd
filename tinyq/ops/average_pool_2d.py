"""AVERAGE_POOL_2D, int8 or int16 (tinyq/ops/_pool_common.py has the prepare step and both variants)."""
from __future__ import annotations

from tinyq.ops._pool_common import register_pool

register_pool("AVERAGE_POOL_2D", "average_pool_2d")
