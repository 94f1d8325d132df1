"""Conventions shared by every stage: axes, units, keypoint and part orders.

Axes and units
--------------
* **World frame**: metres, right-handed, **Z up**, the ground plane is ``z = 0``.
  A body with zero yaw faces **-Y** and has its left side towards **+X**
  (anny's native frame).
* **Camera frame**: OpenCV: ``x`` right, ``y`` down, ``z`` forward (the viewing
  direction), metres. ``cam_ext`` (4x4) maps world points to the camera frame:
  ``X_cam = cam_ext @ [X_world, 1]``.
* **Pixels**: OpenCV: ``(u, v)`` with the centre of the top-left pixel at
  ``(0, 0)``; ``[u, v, 1]^T ~ K @ X_cam``.
* **Semantic body frame** (used to write key poses once for every rig):
  SMPL's rest frame: ``x`` to the body's left, ``y`` up, ``z`` forward, rest
  pose a T-pose. Rotations are written as XYZ Euler angles in degrees about
  these axes: for hips and knees positive ``x`` swings the limb backward (the
  signs for every joint are written in the header of ``render/poses/key_poses.yaml``).
"""

from __future__ import annotations

import numpy as np

# OpenPose BODY_25 order: genb's common 2D/3D keypoint set for every body model.
BODY25 = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
    "left_elbow", "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye", "right_ear",
    "left_ear", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe",
    "right_small_toe", "right_heel",
)
BODY25_INDEX = {name: i for i, name in enumerate(BODY25)}

# OpenPose COCO-18 (what the OpenPose ControlNet was trained on), as indices into BODY25.
OPENPOSE18_FROM_BODY25 = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])
# Limbs of the OpenPose 18-point skeleton (pairs of OpenPose-18 indices) and their colours.
OPENPOSE18_LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)
OPENPOSE18_COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)

# Body parts: id 0 is background; ids are stored in parts.png.
PARTS = (
    "background", "head", "torso", "left_upper_arm", "right_upper_arm", "left_lower_arm",
    "right_lower_arm", "left_hand", "right_hand", "left_upper_leg", "right_upper_leg",
    "left_lower_leg", "right_lower_leg", "left_foot", "right_foot",
    # what people wear (genb.render.dress), drawn over the body: ids 15..
    "hair", "upper_clothes", "coat", "lower_clothes", "dress", "shoes", "headwear", "bag", "facial_hair",
)
# The body's own parts (ids 0..14); the rest are garment, hair and accessory classes.
BODY_PARTS = PARTS[:15]
PART_INDEX = {name: i for i, name in enumerate(PARTS)}

# Semantic joints in which key poses are written, mapped to each rig by its body model.
SEMANTIC_JOINTS = (
    "pelvis", "spine_lower", "spine_mid", "spine_upper", "neck", "head",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_collar", "right_collar", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
SEMANTIC_INDEX = {name: i for i, name in enumerate(SEMANTIC_JOINTS)}

# Rotation taking the semantic body frame (x left, y up, z forward) to the world
# frame of a body with zero yaw (x left, z up, facing -y): a +90 degree turn about x.
SEMANTIC_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

# World to OpenGL-camera flip used when handing an OpenCV camera to pyrender.
CV_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])

# Limbs of the BODY25 skeleton (pairs of BODY25 indices), for overlays.
BODY25_LIMBS = (
    (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (10, 11),
    (8, 12), (12, 13), (13, 14), (1, 0), (0, 15), (15, 17), (0, 16), (16, 18),
    (14, 19), (19, 20), (14, 21), (11, 22), (22, 23), (11, 24),
)

# Scene classes in parts.png (ids from 64, so body-part and garment classes below 64 never collide):
# the ground, props (genb.render.scene.props) and held objects. ``instances.png`` is 0 on all of them.
SCENE_PART_BASE = 64
SCENE_PARTS = (
    "ground", "wall", "fence", "box", "bench", "pole", "step", "planter", "plant", "tree", "car", "held_object",
    # appended (never renumber): seats, places (genb.render.scene.places) and the backdrop
    "chair", "building", "window", "door", "sidewalk", "road_marking", "lamp", "sign", "hedge", "sofa", "table",
    "shelf", "picture", "rug", "backdrop", "cloud", "equipment",
    "water",  # the sea (beach)
    "glass", "ceiling",  # a room's window panes (the daylight seen through them) and its ceiling
)
SCENE_PART_INDEX = {name: SCENE_PART_BASE + i for i, name in enumerate(SCENE_PARTS)}
