"""genb: training data for 3D human pose and shape estimation.

Render exact ground truth procedurally (``genb render``), re-render it with a
noise-conditioned ControlNet (``genb enhance``), keep what still matches
(``genb check``), hand it to HPS trainers (``genb package``), and measure the
realism/accuracy trade-off (``genb sweep``).
"""

__version__ = "0.1.0"
