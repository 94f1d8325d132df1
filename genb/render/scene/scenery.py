"""A sample's surroundings and look: sky and sun, ground material, props or a room, and the
image-space passes that use them (sun shadows, aerial perspective, camera response and
effects).

:func:`sample_setting` draws everything from one random stream and returns a
:class:`Setting` (meshes for the rasterizer and a JSON record for ``scene.json``);
:meth:`Setting.look` prepares the :class:`Look` that :class:`genb.render.stage.RenderStage`
applies to the rasterized image.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from genb.render.raster import colour

from genb.render.raster import effects

from genb.render.scene import contact

from genb.render.scene import envmap

from genb.render.scene import materials

from genb.render.scene import places

from genb.render.raster import probe

from genb.render.scene import props

from genb.render.raster import shading

from genb.render.raster import shadows

from genb.render.scene import sky
from genb.core.conventions import SCENE_PART_INDEX
from genb.render.raster.gl import RasterOutput
from genb.render.raster.meshes import GroundLayer, PropMesh, merge_meshes
from genb.render.raster.sun_camera import ShadowCamera

WINDOW_PENUMBRA_TAN = 0.008  # a sunlit room's shadows: the sun's disc through a window (no sky glow around it)
GROUND_SIZE_M = 800.0  # its edge (400 m) is inside the depth range and fully hazed


@dataclasses.dataclass
class Look:
    """What happens to a sample's pixels after rasterization.

    Attributes:
        shadow_pass: the sun's depth-only pass (or None), and shadow_cam its camera.
        lighting: the key/ambient light recipe. sky: the sky recipe (None for photo backgrounds).
        contacts: (C, 3) world points that may touch the ground (:func:`contact.ground_contacts`). effects: camera effects recipe.
        shadows: whether sun shadows and contact darkening are applied.
        probe: the light the deferred shading uses (:func:`genb.render.raster.probe.light_probe`).
        ground_seed: the ground texture's seed (its large-scale variation), or None.
    """

    shadow_pass: tuple | None
    shadow_cam: ShadowCamera | None
    lighting: dict[str, Any]
    sky: dict[str, Any] | None
    contacts: np.ndarray
    effects: dict[str, Any]
    shadows: bool
    probe: probe.LightProbe | None = None
    ground_seed: int | None = None
    catcher: bool = False
    """The ground is a shadow catcher: :func:`catch_shadows` puts the backdrop on it."""
    ground_relief: tuple | None = None
    """(material, tile metres, (2,) texture origin, seed) of the ground's relief, or None."""
    materials: np.ndarray | None = None
    """(256, 256) uint8 material id per (instance, part) (painted clothes, :mod:`genb.render.dress.painted`), or None."""
    windows: list = dataclasses.field(default_factory=list)
    """A room's windows (``wall_window`` recipes): where its sun may come in."""

    def detail(self, out: RasterOutput, K: np.ndarray, cam_ext: np.ndarray) -> None:
        """Per-pixel surface detail of the scene (in place, before shading and control maps): the
        ground's relief bends its normals (:func:`genb.render.raster.relief.apply_ground_relief`)."""
        if self.ground_relief is not None:
            from genb.render.raster.relief import apply_ground_relief

            material, tile, origin, seed = self.ground_relief
            apply_ground_relief(out, K, cam_ext, material, tile, np.asarray(origin), seed)

    def shade(self, color: np.ndarray, out: RasterOutput, K: np.ndarray, cam_ext: np.ndarray,
              shadow_depth: np.ndarray | None) -> np.ndarray:
        """The lit image (:func:`genb.render.raster.shading.light_image`: per-pixel light over the colour
        pass's albedo, sun shadows and contact darkening, the camera's tone curve), premultiplied
        by the coverage, float32 0..255."""
        sun_map, contact_map = self.shadow_maps(out, K, cam_ext, shadow_depth)
        mats = None
        if self.materials is not None:
            from genb.render.dress.painted import material_map

            mats = material_map(out.instances, out.parts, self.materials)
        return shading.light_image(color, out.coverage, out.depth, out.normals, out.parts, K, cam_ext, self.probe,
                                   sun_map, contact_map, ground_seed=self.ground_seed, material_ids=mats,
                                   strands=out.strands)

    def shadow_maps(self, out: RasterOutput, K: np.ndarray, cam_ext: np.ndarray,
                    shadow_depth: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(H, W) sun visibility and contact occlusion (1 = open), or (None, None) without shadows."""
        from genb.core.conventions import SCENE_PART_INDEX

        if not self.shadows:
            return None, None
        memo = self.__dict__.get("_shadow_memo")  # (out, shadow_depth, maps): shade() then ground_darkening()
        if memo is not None and memo[0] is out and memo[1] is shadow_depth:
            return memo[2]
        lin_depth = self.shadow_cam.linear_depth(shadow_depth) if shadow_depth is not None else None
        sun_map, contact_map = shadows.sun_and_contact(
            out.depth, out.normals, out.parts == SCENE_PART_INDEX["ground"], K, cam_ext, lin_depth,
            self.shadow_cam, np.asarray(self.lighting["direction"]), self.contacts,
            **self._window_light())
        if (sun_map < 1).any():  # hide the filter taps' pattern in the penumbrae
            sun_map = shadows.soften(sun_map, 1.0)
        if self.catcher:  # ground_darkening() asks again for the same G-buffer: computed once (kept by identity)
            self._shadow_memo = (out, shadow_depth, (sun_map, contact_map))
        return sun_map, contact_map

    def _window_light(self) -> dict[str, Any]:
        """The sun's shadow options in a room the sun shines into (else none): crisper penumbrae, and only
        points whose rays toward the sun may pass a window are looked up in the map."""
        if not ((self.sky or {}).get("daylight") or {}).get("sun") or not self.windows:
            return {}
        toward = -np.asarray(self.lighting["direction"], np.float64)
        toward /= np.linalg.norm(toward)
        return {"penumbra_tan": WINDOW_PENUMBRA_TAN,
                "open_to_sun": lambda pts: places.room.open_to_sun(pts, toward, self.windows)}

    def ground_darkening(self, out: RasterOutput, K: np.ndarray, cam_ext: np.ndarray,
                         shadow_depth: np.ndarray | None) -> np.ndarray:
        """(H, W) float32 0..1: how much the shadows darken level ground (for the shadow catcher):
        the sun's share of an upward surface's light where the sun is hidden, times contact occlusion."""
        sun_map, contact_map = self.shadow_maps(out, K, cam_ext, shadow_depth)
        H, W = out.depth.shape
        if sun_map is None:
            return np.ones((H, W), np.float32)
        cos = max(0.0, -float(np.asarray(self.lighting["direction"])[2]))  # the light travels down onto the ground
        sun = float(self.lighting["intensity"]) * cos
        ambient = float(np.mean(self.lighting["ambient"]))
        share = sun / max(sun + ambient, 1e-6)
        return ((1.0 - share * (1.0 - sun_map)) * contact_map).astype(np.float32)

    def through_glass(self, lit: np.ndarray, out: RasterOutput, backdrop: np.ndarray) -> np.ndarray:
        """A room's window glass shows the sky outside (the backdrop of a room with windows,
        :func:`genb.render.scene.sky.sky_image`), brighter than the room as daylight is: (H, W, 3) float
        premultiplied like ``lit`` (:meth:`shade`); unchanged outdoors and in rooms without windows."""
        if self.sky is None or self.sky["setting"] != "indoor" or "outside" not in self.sky:
            return lit
        glass = out.parts == SCENE_PART_INDEX["glass"]
        if not glass.any():
            return lit
        view = np.float32(255.0) - np.float32(0.55) * (np.float32(255.0) - backdrop[glass].astype(np.float32))
        lit[glass] = view * out.coverage[glass][:, None]  # in place: ``lit`` is this sample's own image
        return lit

    def finish_image(self, image: np.ndarray, out: RasterOutput, backdrop: np.ndarray, K: np.ndarray) -> np.ndarray:
        """Aerial perspective, the camera's exposure and white balance, then its effects."""
        if self.sky is not None:
            if self.sky["setting"] != "indoor":
                image = sky.aerial_perspective(image, backdrop, out.depth, K, self.sky["visibility_m"],
                                               0.95 * GROUND_SIZE_M / 2)
            image = sky.camera_response(image, self.sky["exposure"], self.sky["white_balance"])
        return effects.apply_effects(image, out.depth, self.effects)


@dataclasses.dataclass
class Setting:
    """A sample's surroundings.

    Attributes:
        lighting: key and ambient light recipe (``scene.json``'s ``lighting``).
        background: the background recipe (``scene.json``'s ``background``).
        ground: the ground plane, or None (photo background).
        props: the props' meshes. objects: their recipes. sky: the sky recipe or None.
    """

    lighting: dict[str, Any]
    background: dict[str, Any]
    ground: GroundLayer | None = None
    props: list[PropMesh] = dataclasses.field(default_factory=list)
    objects: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    sky: dict[str, Any] | None = None
    catcher: bool = False
    """The ground only catches shadows (environment maps): it shows the backdrop, darkened by them."""

    def backdrop(self, K: np.ndarray, cam_ext: np.ndarray, width: int, height: int) -> np.ndarray:
        """(H, W, 3) uint8 sky or environment map seen through the camera (its horizon follows pitch and roll)."""
        if self.background.get("kind") == "environment":
            return envmap.environment_background(envmap.load_environment(self.background["path"]), K, cam_ext,
                                                 width, height, self.background["yaw_deg"])
        return sky.sky_image(self.sky, K, cam_ext, width, height)

    def add_objects(self, recipes: list[dict[str, Any]]) -> None:
        """Add objects (recipes of :mod:`genb.render.scene.props`) to the setting: meshes and ``scene.json``."""
        for rec in recipes:
            self.props.extend(PropMesh(*m, casts_shadow=places.casts_shadow(rec)) for m in places.prop_meshes(rec))
            self.objects.append(rec)

    def record(self) -> dict[str, Any]:
        """The setting's entries of ``scene.json``."""
        rec: dict[str, Any] = {"objects": self.objects}
        if self.sky is not None:
            rec["sky"] = {k: v for k, v in self.sky.items() if k != "lighting"}
        return rec

    def look(self, raster, passes: list, cfg, width: int, height: int, keypoints_world: np.ndarray,
             cam_ext: np.ndarray, rng: np.random.Generator) -> Look:
        """The :class:`Look` of this setting for the rasterizer's ``passes`` (no GL yet)."""
        shadow_pass, cam = None, None
        do_shadows = cfg.shadows and self.ground is not None
        if do_shadows:
            built = raster.build_shadow_pass(passes[0][0], np.asarray(self.lighting["direction"]), width, height,
                                              grow=True)
            if built is not None:
                shadow_pass, cam = built
        contacts = contact.ground_contacts(keypoints_world)
        # the people's distances (camera z of their keypoints' mean): depth of field focuses on one
        z = (keypoints_world.mean(axis=1) @ cam_ext[:3, :3].T + cam_ext[:3, 3])[:, 2] if len(keypoints_world) else []
        focus = [float(d) for d in z if d > 0.3]
        return Look(shadow_pass=shadow_pass, shadow_cam=cam, lighting=self.lighting, sky=self.sky,
                    contacts=np.asarray(contacts, np.float64),
                    effects=effects.sample_effects(rng, cfg.camera_effects, focus), shadows=do_shadows,
                    probe=self.light_probe(), ground_seed=self.background.get("texture_seed"),
                    catcher=self.catcher, ground_relief=self.relief(),
                    windows=[o for o in self.objects if o["type"] == "wall_window" and "sill" in o])

    def relief(self) -> tuple | None:
        """The ground's relief recipe for :attr:`Look.ground_relief` (None without a textured ground)."""
        material = self.background.get("ground")
        if self.ground is None or self.catcher or material not in materials.TILE_M:
            return None
        origin = (self.ground.center[0] - self.ground.size / 2, self.ground.center[1] - self.ground.size / 2)
        return material, float(self.ground.tile), origin, int(self.background.get("texture_seed", 0))

    def light_probe(self) -> probe.LightProbe:
        """The light of this setting: its sky (or environment map), sun and ground bounce."""
        albedo = 0.15
        if self.ground is not None:
            albedo = colour.SRGB_TO_LINEAR[self.ground.texture.reshape(-1, 3)].mean(axis=0)
        walls = [o for o in self.objects if o["type"] == "room_wall"]
        if walls:  # a room's bounce light comes off its walls as much as off its floor
            wall = colour.SRGB_TO_LINEAR[np.rint(np.array(props._hex(walls[0]["color"])) * 255).astype(int)]
            albedo = 0.4 * albedo + 0.6 * wall
        env = None
        if self.background.get("kind") == "environment":
            env = (envmap.load_environment(self.background["path"]), float(self.background["yaw_deg"]))
        return probe.light_probe(self.lighting, self.sky, albedo, env)


def image_setting(background: dict[str, Any], lighting: dict[str, Any]) -> Setting:
    """The setting of a photo background: no ground, sky or props."""
    return Setting(lighting=lighting, background=background)


def environment_setting(rng: np.random.Generator, maps: list, camera_xy=None) -> Setting:
    """One of the environment maps, turned by a random yaw: background and diffuse light. Given the
    camera's ``camera_xy``, a shadow-catching ground: an invisible plane at ``z = 0`` that shows the map's
    own floor, darkened where people's shadows and contact darkening fall (:func:`catch_shadows`)."""
    path = str(maps[int(rng.integers(len(maps)))])
    yaw = float(rng.uniform(0, 360))
    lighting = envmap.environment_lighting(envmap.load_environment(path), yaw)
    ground = None
    if camera_xy is not None:
        ground = GroundLayer(np.full((8, 8, 3), 160, np.uint8), size=GROUND_SIZE_M, tile=2.0,
                             center=(float(camera_xy[0]), float(camera_xy[1])))
    return Setting(lighting=lighting, background={"kind": "environment", "path": path, "yaw_deg": yaw},
                   ground=ground, catcher=ground is not None)


def catch_shadows(lit: np.ndarray, darkening: np.ndarray, out: RasterOutput, backdrop: np.ndarray) -> np.ndarray:
    """The shadow catcher: ground pixels take the backdrop (the environment map's floor) times the
    darkening the shadows give level ground there (:meth:`Look.ground_darkening`, 0..1).

    Args:
        lit: (H, W, 3) float the lit image (:meth:`Look.shade`); darkening: (H, W) float 0..1.
        backdrop: (H, W, 3) uint8 the map seen through the camera.
    """
    from genb.core.conventions import SCENE_PART_INDEX

    ground = out.parts == SCENE_PART_INDEX["ground"]
    result = lit.copy()
    result[ground] = backdrop[ground].astype(np.float32) * darkening[ground][:, None] * out.coverage[ground][:, None]
    edge = (out.depth <= 0) & (out.instances == 0)  # the plane's far, anti-aliased edge at the horizon
    result[edge] = backdrop[edge].astype(np.float32) * out.coverage[edge][:, None]
    return result


def _near_people(rec: dict[str, Any], people_xy: np.ndarray, reach: float = 8.0) -> bool:
    """A place's object casts sun shadows only within ``reach`` metres of someone: the shadow map is framed
    on its casters, and a street's far lamps and trees would coarsen the people's own shadows."""
    if "place" not in rec or "wall" in rec or not len(people_xy):  # a room's windows are part of its walls
        return True
    gap = np.linalg.norm(np.asarray(people_xy, float) - rec["position"], axis=1).min() - max(rec["size"][:2]) / 2
    return bool(gap < reach)


def _keeps_framed(camera, keypoints_world: np.ndarray, protect: int | None, need: int, seen: np.ndarray | None = None):
    """A test ``recipe -> bool``: does the framed person keep enough keypoints unhidden behind this prop? With
    ``seen`` (25,) bool, the keypoints the framing found in view, at least ``need + 1`` of them stay unhidden
    by the prop's meshes (a ray cast); without, the outline hides at most ``19 - need`` of the 25 (6 kept for
    self-occlusion). None without a framed person."""
    if protect is None or not len(keypoints_world):
        return None
    from genb.render.scene import framing

    K, ext = camera.K, camera.cam_ext
    kp = np.asarray(keypoints_world[protect], np.float64)
    if seen is not None:
        keep = min(int(need) + 1, int(np.sum(seen)))
        return lambda rec: int(np.sum(seen & ~framing.hidden_by_meshes(
            kp, [(m[0], m[1]) for m in places.prop_meshes(rec)], K, ext))) >= keep  # a ray cast: exact
    budget = max(0, 19 - int(need))
    return lambda rec: framing.hidden_by_nearer(kp, props.box_corners(rec)[None], K, ext, camera.width,
                                                camera.height) <= budget


def _choose_place(rng: np.random.Generator, spec: str, indoor: bool):
    """The place kind of a sample: by weight among those matching the sky (``any``), among the listed
    ones (a comma list; an indoor/outdoor mismatch is settled by the place), or None (``none``)."""
    if spec == "none":
        return None
    if spec == "any":
        return places.choose_place(rng, indoor)
    kinds = [places.PLACE_KINDS[k.strip()] for k in spec.split(",")]
    match = [k for k in kinds if k.indoor == indoor] or kinds
    return match[int(rng.integers(len(match)))]


def sample_setting(rng: np.random.Generator, cfg, camera, people_xy: np.ndarray, keypoints_world: np.ndarray,
                   radii: np.ndarray, seats: list[dict[str, Any]] = (), protect: int | None = None,
                   protect_seen: np.ndarray | None = None) -> Setting:
    """Sky, sun, ground material and props of one sample.

    Args:
        camera: the sampled :class:`genb.render.scene.sample.CameraRecipe`.
        people_xy: (P, 2) people's ground positions; radii: (P,) their footprint radii, metres.
        keypoints_world: (P, 25, 3) BODY25 keypoints in the world (feet: contact darkening).
        seats: seat recipes already under seated people (:mod:`genb.render.scene.contact`); props keep clear.
        protect: the person who must stay in view (the framed one): no prop stands in their sightline.
        protect_seen: (25,) bool, their keypoints the framing found in view (an occluder leaves enough of them).
    """
    sky_recipe = sky.sample_sky(rng)
    indoor = sky_recipe["setting"] == "indoor"
    place = _choose_place(rng, cfg.places, indoor)
    if place is not None and place.indoor != indoor:  # the place decides: a street under an outdoor sky
        sky_recipe = sky.sample_sky(rng, "indoor" if place.indoor else None)
        while (sky_recipe["setting"] == "indoor") != place.indoor:
            sky_recipe = sky.sample_sky(rng)
        indoor = place.indoor
    choices = place.grounds if place is not None else (materials.INDOOR if indoor else materials.OUTDOOR)
    material = choices[int(rng.integers(len(choices)))]
    seed = int(rng.integers(2**31))
    cam_xy = np.array(camera.position[:2], np.float64)
    ground = GroundLayer(materials.ground_texture(material, seed), size=GROUND_SIZE_M, tile=materials.TILE_M[material],
                         center=(float(cam_xy[0]), float(cam_xy[1])))
    yaw = math.radians(camera.yaw_deg)
    forward = np.array([-math.sin(yaw), math.cos(yaw)])
    n = int(rng.integers(cfg.props[0], cfg.props[1] + 1))
    occluders = min(n, int(rng.integers(cfg.occluders[0], cfg.occluders[1] + 1)))
    objects = props.place_props(rng, n, occluders, cam_xy, forward, np.asarray(people_xy, np.float64),
                                np.asarray(radii, np.float64), cfg.max_distance * (0.5 if indoor else 1.0), indoor,
                                fixed=list(seats), protect=protect,
                                allow=_keeps_framed(camera, keypoints_world, protect, cfg.min_framed_keypoints,
                                                    protect_seen))
    objects = list(seats) + objects
    room, walls, near = None, [], []
    if indoor:  # four walls around the camera and everyone, above the camera (genb.render.scene.places.room)
        walls, room = places.room.room_shell(rng, np.asarray(camera.position, np.float64),
                                             np.asarray(people_xy, np.float64))
        objects = walls + places.room.inside(objects, room)
    background = {"kind": "procedural", "sky": sky_recipe["setting"], "ground": material, "texture_seed": seed}
    if place is not None:  # the place around the people (genb.render.scene.places), then its backdrop
        near, far = places.build_place(rng, place, cam_xy, forward, np.asarray(people_xy, np.float64),
                                       np.asarray(radii, np.float64), protect, objects, room)
        objects = places.keep_dry(objects, near) + near + far
        background.update(place=place.name, description=places.describe(place, near + far))
    if indoor:  # windows open their walls; the sun may come in through one; a ceiling closes the room
        sky_recipe = places.room.light_room(rng, sky_recipe, walls, room, near, objects, background, cam_xy, forward)
    glass = SCENE_PART_INDEX["glass"]
    meshes = merge_meshes([(m, places.casts_shadow(rec) and m[4] != glass and _near_people(rec, people_xy))
                           for rec in objects for m in places.prop_meshes(rec)])
    return Setting(lighting=sky_recipe["lighting"], background=background, ground=ground, props=meshes,
                   objects=objects, sky=sky_recipe)
