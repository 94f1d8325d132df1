"""Sequences: video ground truth (motion, moving cameras, exact flow) and flicker-free enhancement."""
