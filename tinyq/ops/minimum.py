"""MINIMUM, int8, with broadcasting (prepare and kernel: register_max_min in _elementwise.py)."""
from __future__ import annotations

from tinyq.ops._elementwise import register_max_min

register_max_min("MINIMUM")
