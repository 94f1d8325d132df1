"""``genb render RUN --frames T``: sequences of T frames with per-frame and per-sequence ground truth.

Layout (docs/render.md, "Sequences")::

    RUN/render.yaml  RUN/sequences.json           settings; num_sequences, frames, fps
    RUN/sequences/000003/                         one sequence = a run folder of its frames
        run.json  sequence.json  sequence.npz     its manifest; camera path, motions; per-frame arrays
        samples/000000/ ... samples/<T-1>/        one folder per frame: today's files + flow.npz

Sequence ``s`` depends only on (seed, s): identity, clothing, scene, props, lights and sky are
sampled once (:func:`genb.sequence.plan.plan_sequence`); ranks and job-array tasks take
contiguous blocks of sequences. A frame folder is written whole (with its forward flow to the
next frame, so frame t is written once t+1 is drawn); a killed run resumes at the first missing
frame.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from genb.core.io import atomic_write_bytes, npz_bytes
from genb.core.log import get_logger, progress
from genb.core.run import RunFolder, numbered
from genb.core.runner import StageContext, StageSpec, run_stage
from genb.render.workers import usable_cores
from genb.errors import GenbError
from genb.render.config import RenderConfig
from genb.sequence.cameras import CAMERA_MOTIONS
from genb.sequence.flow import forward_flow
from genb.sequence.gait import MOTIONS
from genb.core.records.sequence import FLOW_FILE, SEQUENCE_FILE, SEQUENCES_FILE, SequenceRecord, SequencesManifest, is_sequence_run

logger = get_logger(__name__)

SEQUENCE_FIELDS = ("frames", "fps", "motion_weights", "camera_motion_weights", "motion_blur")


@dataclasses.dataclass
class SequenceConfig(RenderConfig):
    frames: int = 0
    """Frames per sequence; 0 renders single images. With --frames, --num-samples counts sequences."""
    fps: float = 30.0
    """Frame rate of a sequence (BEDLAM: 30)."""
    motion_weights: tuple[float, float, float, float, float, float] = (2.0, 1.0, 1.0, 0.5, 1.0, 1.0)
    """Relative frequency of the motions walk, turn (walk along an arc), wave, stand, sit (sit down on or stand up from a seat), run."""
    camera_motion_weights: tuple[float, float, float, float, float] = (2.0, 1.0, 1.0, 1.0, 1.0)
    """Relative frequency of the camera paths static, pan, dolly, tracking, handheld."""
    motion_blur: float = 0.0
    """Motion blur from the real motion: the fraction of the frame interval the shutter is open (0: off, 0.5: a 180-degree shutter); each pixel is averaged along its exact flow (only image.png changes)."""

    def validate(self) -> None:
        super().validate()
        if self.frames < 2:
            raise GenbError(f"--frames {self.frames} is too few for a sequence", "give --frames 2 or more (e.g. 60)")
        if not 0.0 <= self.motion_blur <= 1.0:
            raise GenbError(f"--motion-blur {self.motion_blur} is outside [0, 1]",
                            "give the shutter's open fraction of a frame, e.g. --motion-blur 0.5 (0: off)")
        if not self.fps > 0:
            raise GenbError(f"--fps {self.fps} is not positive", "give e.g. --fps 30")
        for name, weights in (("motion_weights", self.motion_weights), ("camera_motion_weights", self.camera_motion_weights)):
            if min(weights) < 0 or sum(weights) <= 0:
                raise GenbError(f"--{name.replace('_', '-')} {weights} needs non-negative weights, one positive",
                                "e.g. --motion-weights 2,1,1,0.5,1,1")


def sequence_dir(root: Path, index: int) -> Path:
    return Path(root) / "sequences" / f"{index:06d}"


def _manifest(cfg: SequenceConfig) -> dict[str, Any]:
    return {"kind": "sequences", "num_sequences": cfg.num_samples, "frames": cfg.frames, "fps": cfg.fps,
            "seed": cfg.seed, "body_model": cfg.body, "image_size": list(cfg.image_size),
            "layout": "sequences/NNNNNN/ is a run folder of its frames (samples/NNNNNN/) plus sequence.json/.npz"}


def _frame_done(seq: Path, t: int) -> bool:
    return (seq / "samples" / f"{t:06d}").is_dir()


def sequence_record(plan, cfg: SequenceConfig, index: int, body_name: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``sequence.json`` (recipe) and ``sequence.npz`` (per-frame arrays, leading dim T):

    ``cam_int`` (T, 3, 3), ``cam_ext`` (T, 4, 4) world-to-camera, ``world_keypoints3d``
    (T, P, 25, 3) and ``world_joints3d`` (T, P, J, 3) metres, ``world_<body>_<param>`` the body
    parameters in the world frame (anny ``root`` (T, P, 4, 4) = orientation and translation),
    ``world_xy`` (T, P, 2) root path on the ground, ``world_yaw_deg`` (T, P).
    """
    arrays = {
        "cam_int": np.stack([c.K for c in plan.cameras]).astype(np.float64),
        "cam_ext": np.stack([c.cam_ext for c in plan.cameras]).astype(np.float64),
        "world_keypoints3d": np.stack([w.keypoints for w in plan.world]),
        "world_joints3d": np.stack([w.joints for w in plan.world]),
        "world_xy": plan.xy.astype(np.float32), "world_yaw_deg": plan.yaw.astype(np.float32),
        "fps": np.array(cfg.fps), "sequence": np.array(index),
        **{f"world_{body_name}_{k}": np.stack([w.params[k] for w in plan.world]) for k in plan.world[0].params},
    }
    record = {"index": index, "seed": cfg.seed, "frames": cfg.frames, "fps": cfg.fps, "body_model": body_name,
              "camera_path": plan.camera_record,
              "people": [{"motion": m, "shape": s.tolist(), "height_m": float(h)}
                         for m, s, h in zip(plan.motions, plan.shapes, plan.heights)],
              "dropped_people": plan.dropped,
              "conventions": "world Z up (m); cam_ext world-to-camera (OpenCV); frame t at t / fps seconds; "
                             "samples/<t>/flow.npz: forward flow t -> t+1 (pixels) and valid (not occluded)"}
    return record, arrays


def _meshes(stage, layers: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per person one mesh (world vertices, faces): the body faces shown plus what they wear."""
    out = []
    for layer in layers:
        shown = stage.raster._shown_faces(layer)
        faces = [np.asarray(stage.body.faces, np.int64)[shown] if shown is not None else np.asarray(stage.body.faces, np.int64)]
        verts, n = [np.asarray(layer.vertices, np.float64)], len(layer.vertices)
        for e in layer.extras:
            faces.append(np.asarray(e.faces, np.int64) + n)
            verts.append(np.asarray(e.vertices, np.float64))
            n += len(e.vertices)
        out.append((np.concatenate(verts), np.concatenate(faces)))
    return out


def _write_frame(sub: RunFolder, t: int, sample, flow: np.ndarray, valid: np.ndarray, level: int,
                 shutter: float = 0.0, blur_flow: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """One frame folder, built under a temporary name and renamed whole (as a single sample's), with its flow.

    ``shutter`` > 0: the image is blurred along ``blur_flow`` (flow, valid; default the frame's own)
    (:func:`genb.sequence.blur.flow_blur`)."""
    from genb.render.run import write_sample

    if shutter > 0:
        from genb.sequence.blur import flow_blur

        f, v = blur_flow if blur_flow is not None else (flow, valid)
        sample.images["image"] = flow_blur(sample.images["image"], f, v, shutter)
        sample.scene["motion_blur"] = {"shutter": shutter, "from": "the exact forward flow" if blur_flow is None
                                       else "the previous frame's flow (the last frame has no next one)"}
    write_sample(sub, t, sample, level, extra={FLOW_FILE: npz_bytes({"flow": flow, "valid": valid})})


def _per_frame_noise(prep, t: int) -> None:
    """A sensor draws new noise every frame (the other camera effects stay the sequence's)."""
    look = prep.look
    if look is not None and isinstance(look.effects, dict) and "noise" in look.effects:
        noise = dict(look.effects["noise"])
        noise["seed"] = int((noise["seed"] + 7919 * t) % 2**31)
        look.effects = {**look.effects, "noise": noise}
        prep.scene["camera_effects"] = look.effects


def render_sequence(stage, root: Path, index: int, cfg: SequenceConfig) -> int:
    """Render the missing frames of sequence ``index`` into ``root``; returns how many were written."""
    from genb.core.blas import torch_threads
    from genb.render.run import _manifest as run_manifest
    from genb.sequence.plan import Frame, plan_sequence

    seq = sequence_dir(root, index)
    sub = RunFolder(seq)
    with torch_threads(1):  # the body forwards give the same bits in every process (as RenderStage's)
        plan = plan_sequence(stage, index, cfg.frames, cfg.fps, dict(zip(MOTIONS, cfg.motion_weights)),
                             dict(zip(CAMERA_MOTIONS, cfg.camera_motion_weights)))
    seq.mkdir(parents=True, exist_ok=True)
    record, arrays = sequence_record(plan, cfg, index, stage.body.name)
    if not (seq / "sequence.npz").is_file():
        atomic_write_bytes(seq / "sequence.npz", npz_bytes(arrays))
        SequenceRecord.from_json(record, seq / SEQUENCE_FILE).write(seq / SEQUENCE_FILE)
        run_manifest(dataclasses.replace(cfg, num_samples=cfg.frames)).write(seq / "run.json")
    written, pending = 0, None  # pending: (t, sample, flow inputs) waiting for frame t+1
    last_flow = None  # the last frame's blur follows the frame before it
    for t in range(cfg.frames):
        if _frame_done(seq, t) and (t == 0 or _frame_done(seq, t - 1)):
            continue
        frame = Frame(plan, t)
        prep = stage.prepare(index, frame)
        _per_frame_noise(prep, t)
        sample = stage.finish(prep)
        sample.labels.update({"index": np.array(t), "sequence": np.array(index), "frame": np.array(t),
                              "fps": np.array(cfg.fps)})
        sample.scene.update({"index": t, "sequence": {"index": index, "frame": t, "fps": cfg.fps}})
        geo = {"K": prep.K, "ext": prep.cam_ext, "depth": sample.depth, "instances": sample.images["instances"],
               "meshes": _meshes(stage, frame.layers)}
        if pending is not None:
            flow, valid = forward_flow(pending[2], geo, prep.width, prep.height)
            _write_frame(sub, pending[0], pending[1], flow, valid, cfg.png_compression, cfg.motion_blur)
            last_flow = (flow, valid)
            written += 1
        pending = None if _frame_done(seq, t) else (t, sample, geo)
    if pending is not None:  # the last frame: no next frame, no flow
        H, W = pending[1].depth.shape
        if cfg.motion_blur > 0 and last_flow is None and pending[0] > 0:  # resumed at the last frame
            prev = np.load(sub.sample_dir(pending[0] - 1) / FLOW_FILE)
            last_flow = (prev["flow"], prev["valid"])
        _write_frame(sub, pending[0], pending[1], np.zeros((H, W, 2), np.float32), np.zeros((H, W), bool),
                     cfg.png_compression, cfg.motion_blur, blur_flow=last_flow)
        written += 1
    return written


_worker_stage = None


def _worker_init(cfg: SequenceConfig) -> None:
    import os

    from genb.render.stage import RenderStage

    global _worker_stage
    # Mesa's llvmpipe starts one raster thread per core in every process unless told otherwise
    os.environ.setdefault("LP_NUM_THREADS", str(max(1, usable_cores() // cfg.workers)))
    _worker_stage = RenderStage(cfg)


def _worker_sequence(args: tuple[str, int, SequenceConfig]) -> int:  # noqa: D103 - one sequence in a worker
    root, index, cfg = args
    assert _worker_stage is not None
    return render_sequence(_worker_stage, Path(root), index, cfg)


def _pool_render(root: Path, cfg: SequenceConfig, todo: list[int]):
    """Render the sequences ``todo`` in ``cfg.workers`` spawned processes, a whole sequence per task
    (a sequence depends only on (seed, index): the same bytes as one process); yields frames written."""
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(cfg.workers, initializer=_worker_init, initargs=(cfg,)) as pool:
        yield from pool.imap_unordered(_worker_sequence, [(str(root), s, cfg) for s in todo])


@dataclasses.dataclass
class SequenceSummary:
    """What :func:`run_sequences` did on this rank."""

    sequences: int
    frames: int
    skipped: int
    seconds: float

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else float("nan")


def run_sequences(out: str | Path, cfg: SequenceConfig) -> SequenceSummary:
    """Render every missing frame of every sequence of ``cfg`` into ``out`` (this rank's share)."""
    if cfg.workers == 0:  # auto: sequences render in one process unless --workers asks for more
        cfg = dataclasses.replace(cfg, workers=1)
    from genb.render.stage import RenderStage
    from genb.render.run import input_digests

    root = Path(out)
    if (root / "run.json").is_file() and not is_sequence_run(root):
        raise GenbError(f"{root} holds single images (genb render without --frames)",
                        "write the sequences into a new folder")
    start = time.perf_counter()
    counts = [0, 0]

    def done(s: int) -> bool:
        return len(numbered(sequence_dir(root, s) / "samples")) >= cfg.frames

    def work(ctx: StageContext, todo: list[int]) -> None:
        logger.info("rendering %d of %d sequences of %d frames into %s (%d worker(s))", len(todo), cfg.num_samples,
                    cfg.frames, root, cfg.workers)
        if cfg.workers > 1:  # whole sequences to a pool of processes, each with its own renderer
            for written in progress(_pool_render(root, cfg, todo), total=len(todo), desc="sequences"):
                counts[0] += written
                counts[1] += 1
            return
        try:
            for s in progress(todo, total=len(todo), desc="sequences"):
                counts[0] += render_sequence(ctx.state, root, s, cfg)
                counts[1] += 1
        finally:
            ctx.state.close()

    ran = run_stage(StageSpec(
        name="render", folder=root, record="render.yaml", config=cfg,
        items=lambda: range(cfg.num_samples), is_done=done, validate=cfg.validate,
        setup=lambda ctx: RenderStage(cfg) if cfg.workers == 1 else None, work=work, keep=("num_samples", "workers", "gl_platform"),
        inputs=lambda: input_digests(cfg), markers=("sequences.json", "render.yaml"), ours="a sequence run folder",
        extra_records=lambda: {SEQUENCES_FILE: SequencesManifest.from_json(_manifest(cfg))}, folders=(root / "sequences",),
        clean=[root, root / "sequences", *root.glob("sequences/*"), *root.glob("sequences/*/samples")],
        what=f"sequences in {root}", missing=lambda: 0,
    ))
    summary = SequenceSummary(sequences=counts[1], frames=counts[0], skipped=ran.plan.skipped,
                              seconds=time.perf_counter() - start)
    logger.info("done: %d frames of %d sequences in %.1f s (%.2f frames/s)", summary.frames, summary.sequences,
                summary.seconds, summary.frames_per_second)
    return summary


def add_sequence_arguments(parser) -> None:
    """The sequence flags of ``genb render`` (the fields :class:`SequenceConfig` adds)."""
    from genb.config import add_config_arguments

    add_config_arguments(parser, SequenceConfig, skip=tuple(f.name for f in dataclasses.fields(RenderConfig)))
