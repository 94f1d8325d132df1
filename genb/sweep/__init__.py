"""``genb sweep``: realism against ground-truth accuracy across noise levels.

For each noise level ``s`` the sweep runs ``genb enhance`` (img2img strength ``s``)
and ``genb check`` on the run (both resume: what exists is kept), then measures

* **realism**: FID and KID of the enhanced images against a folder of real
  photographs (``--reference``), with a pluggable feature extractor
  (:mod:`genb.realism`); the extractor used is written in every output;
* **accuracy**: from the checker's per-person scores: keypoint drift,
  silhouette IoU and flow displacement (mean, std, median, p90 over people) and
  the acceptance rate over samples.

Outputs in ``RUN/sweep/``: ``sweep.csv`` (one row per level), ``sweep.md`` (the
same as a Markdown table, with the recommendation), ``sweep.png`` (realism
against accuracy, one labelled point per level), ``contact_sheet.png`` (rows:
samples, columns: the render and each level, ground-truth skeleton overlaid),
``sweep.yaml`` (config, command, versions) and ``sweep.json`` (rows, extractor,
recommendation).

The recommended level is the most realistic one (lowest FID) whose acceptance
rate stays at or above ``--min-acceptance`` (:func:`recommend`).

Several processes (``accelerate launch -m genb sweep ...``): enhance and check
split the samples by ``RANK``/``WORLD_SIZE`` as they always do; after the last
level every process meets at a barrier (accelerate's ``PartialState`` when a
process group can be formed, i.e. under ``accelerate launch``/``torchrun``; for
job arrays without one, rank 0 waits until every sample's check file exists) and
rank 0 alone measures realism and writes the outputs.
"""

from genb.sweep.pictures import contact_sheet, draw_skeletons, plot_png
from genb.sweep.stage import (
    SweepConfig, SweepOutput, SweepStage, _stage_config, add_arguments, read_checks, run, run_sweep,
)
from genb.sweep.table import (
    ACCURACY_MEASURES, ACCURACY_UNITS, STATS, Recommendation, accuracy_row, csv_text, markdown_text, recommend,
    spread, table_columns,
)

__all__ = [
    "ACCURACY_MEASURES", "ACCURACY_UNITS", "STATS", "Recommendation", "SweepConfig", "SweepOutput", "SweepStage",
    "accuracy_row", "add_arguments", "contact_sheet", "csv_text", "draw_skeletons", "markdown_text", "plot_png",
    "_stage_config", "read_checks", "recommend", "run", "run_sweep", "spread", "table_columns",
]
