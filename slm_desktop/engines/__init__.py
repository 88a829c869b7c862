"""Inference engines. Nothing here imports Qt."""
