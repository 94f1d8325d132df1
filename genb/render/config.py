"""The render config: every field is a ``genb render`` flag and a key of ``configs/render/*.yaml``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Literal

from genb.errors import GenbError
from genb.render.bodies import body_choices


MAX_SAMPLES = 10_000_000
"""The most samples one run folder holds."""
MAX_IMAGE_SIDE = 8192
"""The longest image side genb renders: every desktop GL driver allows framebuffers this large."""
MAX_IMAGE_PIXELS = 4096 * 4096
"""The most pixels of an image (~200 bytes each of memory while it renders, per worker)."""


@dataclasses.dataclass
class RenderConfig:
    num_samples: int = 16
    """Number of images to render (sample indices 0..N-1)."""
    seed: int = 0
    """Run seed: sample i depends only on (seed, i)."""
    body: str = dataclasses.field(default="anny", metadata={"choices": body_choices})
    """Body model: anny (ships with genb, no licence files), smplx (needs --smplx-dir), or one you registered
    in genb.render.bodies.BODY_MODELS."""
    smplx_dir: str | None = None
    """Folder holding SMPLX_NEUTRAL.npz (and/or SMPLX_MALE.npz, SMPLX_FEMALE.npz) from smpl-x.is.tue.mpg.de."""
    smplx_gender: Literal["neutral", "male", "female"] = "neutral"
    """Which SMPL-X model file to use."""
    motion_dir: str | None = None
    """SMPL-X only: a folder of AMASS-style .npz motions (poses, trans, betas) to sample poses from."""
    motion_prob: float = 0.5
    """SMPL-X with --motion-dir: probability that a person takes a motion-capture pose instead of a key pose."""
    anny_cache_dir: str | None = None
    """Where anny keeps its build cache (~800 MB; default $ANNY_CACHE_DIR, else $XDG_CACHE_HOME/anny, else ~/.cache/anny)."""
    image_size: tuple[int, int] = (512, 384)
    """Landscape image size as WIDTH,HEIGHT in pixels (multiples of 8)."""
    portrait_prob: float = 0.25
    """Probability that an image is portrait (width and height swapped)."""
    num_people: tuple[int, int] = (1, 10)
    """Range MIN,MAX of people per image (uniform, like BEDLAM's 1-10)."""
    fov_deg: tuple[float, float] = (25.0, 65.0)
    """Range of the horizontal field of view, degrees."""
    camera_height: tuple[float, float] = (0.5, 2.5)
    """Range of the camera height above the ground, metres."""
    camera_pitch_deg: tuple[float, float] = (-25.0, 8.0)
    """Range of the camera pitch, degrees (negative looks down)."""
    camera_roll_deg: tuple[float, float] = (-5.0, 5.0)
    """Range of the camera roll, degrees."""
    person_height_frac: tuple[float, float] = (0.2, 1.1)
    """Range of a person's apparent height as a fraction of the image height (sets distances)."""
    max_distance: float = 30.0
    """People are placed no farther than this from the camera, metres."""
    truncation_prob: float = 0.15
    """Probability that a person is placed partly outside the frame."""
    feet_row: tuple[float, float] = (0.45, 0.98)
    """Range of the row (fraction of the image height) a person's feet are aimed at when not truncated."""
    head_row: tuple[float, float] = (-0.05, 1.0)
    """Range of the row (fraction of the image height) of the head of a person who is not truncated."""
    head_row_exact: bool = False
    """Test the head row on the head's top exactly: the highest row its crown projects to, where the person's
    yaw and the camera's pitch put it (closeup), not on the body's top estimated as the feet's row minus the
    apparent height (exact only at zero pitch for a head straight above the body's origin: closeup's heads
    were up to 0.13 of the image higher than estimated)."""
    whole_in_frame: bool = False
    """Keep a person who is not truncated on purpose whole in the image: their outline (the crown pushed out by
    a bound on hair and hats, the body's farthest points pushed out by a bound on clothes:
    genb/render/scene/outline.py) inside the left, right and top edges, and the bottom edge too when
    ``feet_row`` keeps the feet in frame (at most 1)."""
    framing: str = ""
    """The framing this config aims for, as the framing test measures it (e.g. 'median_area>=0.15 kp12>=0.8')."""
    min_framed_keypoints: int = 13
    """At least one person has this many of their 25 keypoints in frame, not self-occluded and not behind a
    prop; the camera and the placement are re-drawn until so (0: no check)."""
    max_sky_fraction: float = 1.0
    """Re-draw the camera while more than this fraction of the image would be above the horizon."""
    min_largest_box: float = 0.0
    """Re-draw the camera and placement while the largest person's box (clipped to the image) covers less
    than this fraction of it."""
    frame_tries: int = 16
    """Draws of camera and placement before the fallback (one person straight ahead, turned towards the camera,
    the camera aimed at them within its height and pitch ranges, checked as a draw is; 0: the fallback only)."""
    places: str = "any"
    """Where people are: any (every kind, by weight), a comma list of kinds (street, park, plaza, parking_lot,
    field, beach, living_room, office, gym), or none (a bare ground with scattered props)."""
    shadows: bool = True
    """The sun (key light) casts soft shadows of people and props; ground near the feet is darkened."""
    props: tuple[int, int] = (0, 6)
    """Range MIN,MAX of procedural props per image (boxes, walls, fences, benches, trees, cars...)."""
    occluders: tuple[int, int] = (0, 2)
    """Range MIN,MAX of those props placed between the camera and a person (they occlude)."""
    camera_effects: bool = True
    """Sampled camera effects on the image only: depth of field, noise, vignetting, motion blur, JPEG."""
    seg_palette: Literal["parts", "ade20k"] = "parts"
    """Colours of control_seg: genb's body parts, or ADE20K classes (what the seg ControlNet was trained on)."""
    backgrounds: str = "procedural"
    """procedural (sky and textured ground), or a folder of background images."""
    environments: str | None = None
    """A folder of equirectangular environment maps (.hdr, .exr, .png, .jpg): the background through the camera and the diffuse light (replaces the procedural sky and ground)."""
    visibility_tolerance: float = 0.02
    """Visibility epsilon, metres: a surface hides a keypoint only when it is this much nearer than the
    keypoint's own body surface along its ray (see docs/architecture.md, visibility rule)."""
    proj_vertex_count: int = 256
    """Size of the fixed vertex subset projected to 2D in the labels (proj_verts)."""
    workers: int = 0
    """Worker processes on this machine (each builds its own renderer and body model); 0, the default: one
    per core for runs of 32 samples or more, at most one per 1.5 GB of available memory, the cores shared
    among this machine's ranks; 1 for shorter runs (genb.render.workers)."""
    gl_platform: Literal["egl", "osmesa"] = "egl"
    """PyOpenGL platform: egl (Mesa on CPU, the GPU via EGL_DEVICE_ID) or osmesa."""
    png_compression: int = 1
    """PNG compression level 0-9 (1 is fast and still lossless)."""
    wardrobe: str = "everyday"
    """What people wear: a preset of render/wardrobe/ (everyday), a wardrobe YAML file, or none (painted bodies)."""

    def validate(self) -> None:
        """One :class:`GenbError` (problem, fix) for the first bad setting: numbers and ranges first, then
        the scene settings and the inputs on disk."""
        self._validate_numbers()
        self._validate_scene_and_inputs()

    def _validate_numbers(self) -> None:
        """Counts, sizes, camera ranges and probabilities."""

        def bad(problem: str, fix: str) -> None:
            raise GenbError(problem, fix)

        if self.body not in body_choices():
            bad(f"--body must be one of {', '.join(body_choices())}, got {self.body!r}", "e.g. --body anny")
        if self.num_samples < 1:
            bad(f"--num-samples must be at least 1, got {self.num_samples}", "ask for one sample or more")
        if self.num_samples > MAX_SAMPLES:
            bad(f"--num-samples allows at most {MAX_SAMPLES:,} samples per run (one folder each), "
                f"got {self.num_samples:,}", "render several runs with different --seed values")
        lo, hi = self.num_people
        if lo < 1 or hi < lo:
            bad(f"--num-people must be MIN,MAX with 1 <= MIN <= MAX, got {lo},{hi}", "e.g. --num-people 1,10")
        if hi > 250:
            bad(f"--num-people allows at most 250 people per image, got {hi}", "use fewer people")
        w, h = self.image_size
        if w < 32 or h < 32 or w % 8 or h % 8:
            bad(f"--image-size must be two multiples of 8 of at least 32, got {w},{h}",
                "e.g. --image-size 512,384 (diffusion models need multiples of 8)")
        if max(w, h) > MAX_IMAGE_SIDE or w * h > MAX_IMAGE_PIXELS:
            bad(f"--image-size {w},{h} is too large: genb renders at most {MAX_IMAGE_SIDE} pixels a side and "
                f"{MAX_IMAGE_PIXELS // 2**20} megapixels in all (GL drivers allow framebuffers of 8192 to 16384 pixels "
                f"a side, and a render needs about 200 bytes of memory per pixel per worker)",
                "e.g. --image-size 1024,768; render smaller and upscale if you need larger images")
        for name, (a, b), lo_ok, hi_ok in (
            ("fov-deg", self.fov_deg, 1.0, 170.0),
            ("camera-height", self.camera_height, 0.05, 100.0),
            ("camera-pitch-deg", self.camera_pitch_deg, -89.0, 89.0),
            ("camera-roll-deg", self.camera_roll_deg, -90.0, 90.0),
            ("person-height-frac", self.person_height_frac, 0.01, 5.0),
        ):
            if not (lo_ok <= a <= b <= hi_ok) or math.isnan(a) or math.isnan(b):
                bad(f"--{name} must be MIN,MAX with {lo_ok} <= MIN <= MAX <= {hi_ok}, got {a},{b}",
                    f"give a range inside [{lo_ok}, {hi_ok}]")
        for name, p in (("portrait-prob", self.portrait_prob), ("truncation-prob", self.truncation_prob),
                        ("motion-prob", self.motion_prob)):
            if not 0.0 <= p <= 1.0:
                bad(f"--{name} is a probability in [0, 1], got {p}", "give a value between 0 and 1")
        if self.max_distance <= 0.5:
            bad(f"--max-distance must be above 0.5 m, got {self.max_distance}", "e.g. --max-distance 30")

    def _validate_scene_and_inputs(self) -> None:
        """Place kinds, workers, props, framing, and the folders and files the run reads."""

        def bad(problem: str, fix: str) -> None:
            raise GenbError(problem, fix)

        if self.places not in ("any", "none"):
            from genb.render.scene.places import PLACE_KINDS

            unknown = sorted({k.strip() for k in self.places.split(",")} - set(PLACE_KINDS))
            if unknown:
                bad(f"--places names unknown kinds: {', '.join(unknown)}",
                    f"use any, none or a comma list of: {', '.join(PLACE_KINDS)}")
        if self.workers < 0:
            bad(f"--workers must be 0 (one per core) or more, got {self.workers}", "e.g. --workers 2, or 0 for one per core")
        if not 0 <= self.png_compression <= 9:
            bad(f"--png-compression is 0-9, got {self.png_compression}", "e.g. --png-compression 1")
        if self.visibility_tolerance < 0:
            bad(f"--visibility-tolerance must be >= 0, got {self.visibility_tolerance}", "e.g. 0.02")
        if self.body == "smplx" and not self.smplx_dir:
            bad("--body smplx needs --smplx-dir",
                "download SMPL-X (NPZ) from https://smpl-x.is.tue.mpg.de and pass the folder holding "
                "SMPLX_NEUTRAL.npz as --smplx-dir DIR")
        for name, (a, b) in (("props", self.props), ("occluders", self.occluders)):
            if a < 0 or b < a or b > 64:
                bad(f"--{name} must be MIN,MAX with 0 <= MIN <= MAX <= 64, got {a},{b}", f"e.g. --{name} 0,4")
        lo_f, hi_f = self.feet_row
        if not -1.0 <= lo_f <= hi_f <= 3.0:
            bad(f"--feet-row must be MIN,MAX with -1 <= MIN <= MAX <= 3, got {lo_f},{hi_f}", "e.g. --feet-row 0.45,0.98")
        if self.backgrounds != "procedural" and not Path(self.backgrounds).is_dir():
            bad(f"background folder {self.backgrounds} does not exist",
                "give a folder of .jpg/.png images, or --backgrounds procedural")
        if self.environments and not Path(self.environments).is_dir():
            bad(f"environment folder {self.environments} does not exist",
                "give a folder of equirectangular .hdr/.exr/.png/.jpg maps")
        if self.environments and self.backgrounds != "procedural":
            bad("--environments and --backgrounds both replace the background", "give one of them")
        if self.environments:  # every map about 2:1 (a photo is not a panorama), before anything is written
            from genb.render.scene.envmap import list_environments

            list_environments(self.environments)
        if self.motion_dir and not Path(self.motion_dir).is_dir():
            bad(f"motion folder {self.motion_dir} does not exist", "give a folder of AMASS-style .npz files")
        from genb.render.dress.wardrobe import load_wardrobe

        load_wardrobe(self.wardrobe)  # unknown presets, missing files and bad values: one clear error
        if self.motion_dir and self.body != "smplx":
            bad("--motion-dir reads SMPL-X motions and needs --body smplx", "drop --motion-dir or use --body smplx")
