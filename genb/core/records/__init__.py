"""One typed record, one writer and one reader per file of the run folder.

| file | reader | writer |
| --- | --- | --- |
| ``run.json`` | :class:`run.RunManifest`, :func:`run.read_manifest` (via ``RunFolder.manifest``) | ``RunManifest.write`` (``genb render`` through the runner, each sequence) |
| ``samples/N/scene.json`` | :class:`scene.SceneRecord`, :func:`scene.read_scene` (via ``RunFolder.scene``) | :func:`scene.scene_bytes` (``genb render``) |
| ``samples/N/labels.npz`` | ``RunFolder.labels`` (shapes checked) | ``genb render`` |
| ``samples/N/*.png`` | ``RunFolder.image``/``instances``/``parts``/``control`` (size checked against ``run.json``) | ``genb render`` |
| ``enhanced/noise-s/N.json`` | :class:`enhance.EnhanceRecord` ``.read`` | ``.write`` |
| ``enhanced/noise-s/check/N.json`` | :class:`check.CheckRecord` ``.read``, :func:`check.read_decisions` | ``.write`` |
| ``enhanced/noise-s/crops/N_pPP.json`` | :class:`crops.CropRecord`, :func:`crops.read_crop_record` | ``CropRecord.write`` (``genb enhance --per-person``) |
| ``OUT/.parts/done-rXX-of-YY.json`` | :func:`package.read_rank_marker` | :func:`package.write_rank_marker` |

Every reader validates types (:mod:`genb.core.records.fields`) before its record decides anything.
"""
