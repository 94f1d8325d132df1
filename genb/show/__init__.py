"""Viewers: ``genb show`` contact sheets of samples with their ground truth (``samples``), and
sequences played as animated PNG/GIF (``sequence``)."""
