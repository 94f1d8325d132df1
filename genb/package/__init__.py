"""``genb package``: accepted samples -> BEDLAM/CameraHMR npz, 4D-Humans/TokenHMR WebDataset shards, dataset card.

:mod:`genb.package.stage` (command and orchestration), :mod:`genb.package.config`
(settings), :mod:`genb.package.sample` (one sample), :mod:`genb.package.merge` (rank parts
and their merge), :mod:`genb.package.records`
(per-person records from labels), :mod:`genb.package.joints44` (the 44-joint
order), :mod:`genb.package.bedlam` (npz), :mod:`genb.package.wds` (shards),
:mod:`genb.package.card` (dataset card), :mod:`genb.package.inputs` (which
samples), :mod:`genb.package.stats` (distributions).
"""
