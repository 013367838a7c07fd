"""Workflows: what the commands do, as Python functions (compile, verify, bench, deploy, inspect)."""
