"""Running ``genb render`` over a run folder: this rank's missing samples, in this process or in a
pool of workers, written whole (:func:`write_sample`) on a background thread, with the run's
manifest (``run.json``) and settings record through :func:`genb.core.runner.run_stage`.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import multiprocessing as mp
import os
import time
from pathlib import Path

from genb.core.io import DEPTH_FILE, atomic_dir, depth_bytes, npz_bytes, png_bytes
from genb.core.log import get_logger, progress
from genb.core.records.run import RunManifest
from genb.core.records.scene import scene_bytes
from genb.core.resume import digest_files
from genb.core.run import RunFolder
from genb.core.runner import StageContext, StageSpec, run_stage
from genb.errors import GenbError
from genb.render.config import RenderConfig
from genb.render.prep_process import Preparer, use_process
from genb.render.stage import RenderedSample, RenderStage
from genb.render.workers import resolve_workers, usable_cores

logger = get_logger(__name__)

FORMAT_VERSION = 2  # 2: seed streams hash their whole name (every draw differs from version 1)
# Fields that may change between invocations on the same run folder.
RESUMABLE_FIELDS = ("num_samples", "workers", "gl_platform")


def write_sample(run: RunFolder, index: int, sample: RenderedSample, png_compression: int = 1,
                 extra: dict[str, bytes] | None = None) -> None:
    """Write one sample folder: built under a temporary name, renamed whole. ``extra``: more files
    (name -> bytes) that belong to the folder, written before the rename (a sequence frame's flow)."""
    images = sample.images  # every registered control map is among them (RenderStage.complete)
    with atomic_dir(run.sample_dir(index)) as tmp:
        for name, img in images.items():
            (tmp / f"{name}.png").write_bytes(png_bytes(img, png_compression))
        (tmp / DEPTH_FILE).write_bytes(depth_bytes(sample.depth))
        (tmp / "labels.npz").write_bytes(npz_bytes(sample.labels))
        (tmp / "scene.json").write_bytes(scene_bytes(sample.scene))  # the recipe checked by its record
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)


class SampleWriter:
    """Writes samples on a background thread while the next one renders.

    PNG encoding and file writes release the GIL, so they overlap with the body
    model and the rasterizer. At most ``depth`` samples wait; an error raised while
    writing is raised again by the next :meth:`submit` or by :meth:`close`.
    """

    def __init__(self, run: RunFolder, png_compression: int, depth: int = 2):
        self.run, self.level, self.depth = run, png_compression, depth
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-writer")
        self._pending: list[concurrent.futures.Future] = []

    def submit(self, index: int, sample: RenderedSample) -> None:
        while len(self._pending) >= self.depth:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(write_sample, self.run, index, sample, self.level))

    def close(self) -> None:
        try:
            for f in self._pending:
                f.result()
        finally:
            self._pending.clear()
            self._pool.shutdown(wait=True)




# ----------------------------------------------------------------------------- running a whole run


@dataclasses.dataclass
class RenderSummary:
    """What :func:`run_render` did on this rank."""

    rendered: int
    skipped: int
    seconds: float
    total: int
    startup_seconds: float = 0.0
    """Time before steady rendering: building the body model and GL context, spawning workers."""

    @property
    def samples_per_second(self) -> float:
        return self.rendered / self.seconds if self.seconds > 0 else float("nan")

    @property
    def steady_samples_per_second(self) -> float:
        """Throughput once started (what a long run approaches)."""
        busy = self.seconds - self.startup_seconds
        return self.rendered / busy if busy > 0 else float("nan")


_worker_stage: RenderStage | None = None
_worker_failed: BaseException | None = None


def _worker_init(cfg: RenderConfig) -> None:
    global _worker_stage, _worker_failed
    # Share the cores between workers: Mesa's llvmpipe starts one raster thread per core
    # in every process unless told otherwise.
    os.environ.setdefault("LP_NUM_THREADS", str(max(1, usable_cores() // cfg.workers)))
    try:
        _worker_stage = RenderStage(cfg)
    except Exception as e:  # noqa: BLE001 - raised by the first sample: a pool whose initializer raises
        _worker_failed = e  # starts a new worker for ever, and the run would hang


def _worker_render(args: tuple[str, int]) -> int:  # noqa: D103 - one sample in a pool worker
    root, index = args
    if _worker_failed is not None:
        raise _worker_failed
    assert _worker_stage is not None
    write_sample(RunFolder(root), index, _worker_stage(index), _worker_stage.cfg.png_compression)
    return index


def _manifest(cfg: RenderConfig) -> RunManifest:
    """``run.json``: what every later stage reads about the run."""
    return RunManifest(
        format_version=FORMAT_VERSION, num_samples=cfg.num_samples, seed=cfg.seed,
        body_model=cfg.body, image_size=tuple(cfg.image_size), portrait_prob=cfg.portrait_prob,
        depth_file=DEPTH_FILE,
        conventions="docs/architecture.md: world Z up (m); camera OpenCV; pixel centres at integers; "
                    "keypoints OpenPose BODY_25",
    )


def input_digests(cfg: RenderConfig) -> dict[str, str]:
    """Content digests of every input file that shapes a sample, by the flag that names it.

    The wardrobe file, the background and environment folders, motion files, SMPL-X model
    files and the asset library (pose library, appearance tables, rigs): a resume after
    editing any of them is refused (:func:`genb.core.runner.guard_settings`).
    """
    from genb.render.assets import asset_path
    from genb.render.dress.wardrobe import resolve_wardrobe

    out: dict[str, str] = {}
    wardrobe = resolve_wardrobe(cfg.wardrobe)
    if wardrobe is not None:
        out["wardrobe"] = digest_files([wardrobe])
    for field in ("environments", "motion_dir", "smplx_dir"):
        if getattr(cfg, field):
            out[field] = digest_files([getattr(cfg, field)], getattr(cfg, field))
    if cfg.backgrounds != "procedural":
        out["backgrounds"] = digest_files([cfg.backgrounds], cfg.backgrounds)
    library = asset_path()
    out["asset library"] = digest_files([p for p in sorted(library.iterdir()) if p.name != "wardrobe"], library)
    return out


def _validate(run: RunFolder, cfg: RenderConfig) -> None:
    cfg.validate()
    if (run.root / "run.json").is_file():
        found = run.manifest.format_version or 1  # a corrupt run.json is an error naming it
        if found != FORMAT_VERSION:
            raise GenbError(f"{run.root} was rendered by a genb whose samples are drawn differently "
                            f"(run format {found}, this genb writes {FORMAT_VERSION}): resuming it would mix two datasets",
                            "render into a new folder (or finish this one with the genb version that started it)")


AHEAD = 2
"""Samples prepared ahead of the one rasterizing: the preparing side keeps busy while this process draws."""


def _pipeline(run: RunFolder, cfg: RenderConfig, todo: list[int], stage: RenderStage, preparer: Preparer) -> None:
    """Render ``todo`` in this process with a pipeline: samples k+1, k+2 are prepared (bodies, scene:
    no GL; by ``preparer``: a child process, or a thread with GENB_PREPARE=thread) while sample k
    rasterizes on this thread and sample k-1 is completed (shading, labels, control maps) on a
    thread and then written on another. numpy, zlib and llvmpipe release the GIL, so the stages overlap."""
    writer = SampleWriter(run, cfg.png_compression)
    completer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genb-complete")
    # a sample whose render frames nobody is drawn again here, prepared by the preparer
    redo = lambda index, retry: preparer.submit(index, retry).result()  # noqa: E731
    ahead = collections.deque(preparer.submit(i) for i in todo[:AHEAD])
    behind: tuple[int, concurrent.futures.Future] | None = None
    try:
        for k, i in enumerate(progress(todo, total=len(todo), desc="render")):
            prep = ahead.popleft().result()
            if k + AHEAD < len(todo):
                ahead.append(preparer.submit(todo[k + AHEAD]))
            raw = stage.rasterize(prep)
            if behind is not None:
                writer.submit(behind[0], stage.redraw_if_unframed(behind[0], behind[1].result(), redo))
            behind = (i, completer.submit(stage.complete, prep, raw))
        if behind is not None:
            writer.submit(behind[0], stage.redraw_if_unframed(behind[0], behind[1].result(), redo))
            behind = None
    finally:
        if behind is not None:  # a later sample failed: still write the one completed before it
            try:
                if behind[1].exception() is None and stage.frames_someone(behind[1].result()):
                    writer.submit(behind[0], behind[1].result())  # (one to draw again is left to a resume)
            except Exception:  # noqa: BLE001 - the first error is the one raised
                pass
        preparer.close()
        completer.shutdown(wait=True, cancel_futures=True)
        writer.close()
        stage.close()


def _render_todo(run: RunFolder, cfg: RenderConfig, todo: list[int], stage: "RenderStage | None",
                 preparer: Preparer | None = None) -> float:
    """Render ``todo`` into ``run``: in this process (``stage``; ``preparer``: who prepares, default a
    thread of this process), or in a pool of workers each with its own renderer. Returns when steady
    rendering started (``time.perf_counter``)."""
    started = time.perf_counter()
    if cfg.workers == 1:
        assert stage is not None
        _pipeline(run, cfg, todo, stage, preparer if preparer is not None else Preparer(cfg, stage))
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(cfg.workers, initializer=_worker_init, initargs=(cfg,)) as pool:
            jobs = pool.imap_unordered(_worker_render, [(str(run.root), i) for i in todo])
            for k, _ in enumerate(progress(jobs, total=len(todo), desc="render")):
                if k == cfg.workers - 1:  # every worker has delivered its first sample
                    started = time.perf_counter()
    return started


def run_render(out: str | Path, cfg: RenderConfig) -> RenderSummary:
    """Render every missing sample of ``cfg`` into the run folder ``out`` (this rank's share);
    ``workers`` 0: as many as :func:`genb.render.workers.auto_workers` says."""
    cfg = resolve_workers(cfg)
    run = RunFolder(out)
    start = time.perf_counter()
    started = [start]  # when steady rendering started

    preparer: list[Preparer] = []  # the preparing process (unless GENB_PREPARE=thread), started before this process's stage

    def setup(ctx: StageContext) -> RenderStage | None:
        if cfg.workers > 1:
            return None  # each worker builds its own
        if use_process(cfg.num_samples):  # (built beside this process's stage: two cores, two start-ups at once)
            preparer.append(Preparer(cfg))
        try:
            stage = RenderStage(cfg)  # body model and forwards on one torch thread (see RenderStage)
        except BaseException:
            for p in preparer:
                p.close()
            raise
        logger.info("GL renderer: %s", stage.raster.gl_renderer_name)
        return stage

    def work(ctx: StageContext, todo: list[int]) -> None:
        logger.info("rendering %d of %d samples into %s (%d already done, %d rank(s), %d worker(s))",
                    len(todo), cfg.num_samples, run.root, ctx.plan.skipped, ctx.ranks.world, cfg.workers)
        started[0] = _render_todo(run, cfg, todo, ctx.state, preparer[0] if preparer else None)

    done = set(run.sample_ids())
    ran = run_stage(StageSpec(
        name="render", folder=run.root, record="render.yaml", config=cfg,
        items=lambda: range(cfg.num_samples), is_done=lambda i: i in done,
        validate=lambda: _validate(run, cfg), setup=setup, work=work,
        keep=RESUMABLE_FIELDS, inputs=lambda: input_digests(cfg),
        markers=("run.json", "render.yaml"), ours="a run folder",
        outputs_exist=lambda: bool(run.sample_ids()), extra_records=lambda: {"run.json": _manifest(cfg)},
        folders=(run.samples_dir,), clean=run.stale_folders(), what=f"samples in {run.root}",
        missing=lambda: 0,  # each rank renders its own block; nothing to aggregate
    ))
    end = time.perf_counter()
    todo, skipped = len(ran.plan.todo), ran.plan.skipped
    started_at = started[0]
    if cfg.workers > 1 and todo > cfg.workers:  # the first samples' own work is not start-up
        started_at -= (end - started_at) / (todo - cfg.workers) * cfg.workers
    summary = RenderSummary(rendered=todo, skipped=skipped, seconds=end - start,
                            total=cfg.num_samples, startup_seconds=max(0.0, started_at - start))
    logger.info("done: %d rendered, %d skipped in %.1f s (%.2f samples/s); %d/%d samples in %s",
                summary.rendered, summary.skipped, summary.seconds, summary.samples_per_second,
                len(run.sample_ids()), cfg.num_samples, run.root)
    return summary
