"""Render: templates -> model.h / model.c."""
