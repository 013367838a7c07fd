"""MAX_POOL_2D, int8 or int16 (tinyq/ops/_pool_common.py has the prepare step and both variants)."""
from __future__ import annotations

from tinyq.ops._pool_common import register_pool

register_pool("MAX_POOL_2D", "max_pool_2d")
