"""A sleeve stands off the arm by the layers under it only where they are.

Every garment is raised over the layers worn under it (:func:`~genb.render.dress.kinds.stacked`):
by their thickest and loosest, everywhere. On the trunk that is right; on the arms it made
balloons. A t-shirt over jeans took the jeans' thickness (13 mm) round its sleeves, where no
jeans are, and a jacket over both stacked its own on that, over the whole arm down to the wrist,
though the t-shirt's sleeve ends above the elbow: the jacket's sleeve stood 4-5 cm off a bare
forearm.

Over the arms (the arm's own coordinate, from the shoulder) a top's, coat's or dress's shell is
now raised only over the sleeves already worn (:func:`arm_thickness`): each covers the arm up to
its cut and fades out over :data:`FADE` of the arm's coordinate past it (no step at its hem); a
garment that stacks (a coat) adds its thickness to theirs, others keep theirs plus 4 mm over
them. The arm blends into the trunk's stacked thickness over the arm's first :data:`BLEND` (the
shoulder), so the cloth stays one smooth surface there.

A coat's or a jacket's sleeve also took the coat's whole ease (0.6 of it on the limbs, the drape's
``region_scale``: 15-23 mm for a coat's 26-38 mm) all round the arm: a tube standing 43-46 mm off a
bare forearm and 45-56 mm off the upper arm (a 3.8 cm ease, 17 mm coat over a t-shirt), a balloon
with a wide cuff. Now (:func:`arm_slack`) its sleeve keeps at most :data:`ARM_EASE` of ease and the
slack hangs under the arm (:data:`HANG`): it rests on the top of a raised arm and hangs below it.

A top's sleeve (a sweater's, a hoodie's, a long-sleeved shirt's; a dress's) took the top's whole thickness (a
hoodie's 18-26 mm: the trunk's bulk) and its ease all round the arm: 37-39 mm off the skin, pillows that ran into
the torso where an arm lay against it. It now keeps at most :data:`SLEEVE_THICK` of its own thickness
(:func:`sleeve_own`) and its ease as a coat's sleeve does: 21-24 mm median off the arm, bent or straight
(``tests/test_sleeve_bend.py``).
Functions over arrays (metres).
"""

from __future__ import annotations

import numpy as np

FADE = 0.15  # arm coordinate (about 15 % of the way from shoulder to elbow): a sleeve's cover fades out past its cut
BLEND = 0.3  # arm coordinate: the arm's thickness blends into the trunk's over this much from the shoulder
GAP = 0.004  # metres a garment that does not stack keeps over the sleeves under it (kinds.stacked)
ARM_EASE = 0.012  # metres: the most ease a sleeve keeps (before the drape's 0.6 limb share)
HANG = 0.7  # share of a sleeve's ease moved from the top of the arm to its underside
SLEEVE_THICK = 0.010  # metres: the most of its own thickness a top's (not a coat's) sleeve keeps on the arm


def sleeve_own(thickness: float, stacks: bool) -> float:
    """The thickness a garment's sleeve keeps of its own on the arm: a coat's (``stacks``) all of it, a top's
    or a dress's at most :data:`SLEEVE_THICK`."""
    return thickness if stacks else min(thickness, SLEEVE_THICK)


def cover(arm: np.ndarray, sleeve: float) -> np.ndarray:
    """(V,) in [0, 1]: how far a sleeve cut at ``sleeve`` (arm coordinate) covers each body vertex
    whose arm coordinate is ``arm`` (NaN off the arms: 0): 1 up to the cut, fading to 0 over :data:`FADE`."""
    a = np.nan_to_num(np.asarray(arm, np.float64), nan=np.inf)
    return np.clip((sleeve + FADE - a) / FADE, 0.0, 1.0) if sleeve >= 0 else np.zeros(len(a))


def arm_thickness(arm: np.ndarray, worn: list[tuple[float, float]], own: float, stacks: bool,
                  trunk: float) -> tuple[np.ndarray, float]:
    """A garment's thickness per body vertex, the arms raised only over the sleeves under them:
    ``((V,) metres, the most on its arms)`` (what the next sleeve over it is raised over).

    Args:
        arm: (V,) the body's arm coordinate (NaN off the arms).
        worn: ``(sleeve, thickness on the arm)`` of the sleeved garments already worn.
        own: the garment's own thickness. stacks: whether it adds to the layers under it (a coat).
        trunk: its stacked thickness (:func:`~genb.render.dress.kinds.stacked`), kept off the arms.
    """
    under = np.zeros(len(arm))
    for sleeve, t in worn:
        under = np.maximum(under, t * cover(arm, sleeve))
    on_arm = under + own if stacks else np.maximum(own, under + GAP * np.minimum(under / GAP, 1.0))
    on_arm = np.minimum(on_arm, trunk)  # never more than everywhere else
    w = np.clip(np.nan_to_num(np.asarray(arm, np.float64), nan=-1.0) / BLEND, 0.0, 1.0)
    return (1.0 - w) * trunk + w * on_arm, float(on_arm.max())


def arm_slack(arm: np.ndarray, up: np.ndarray, ease: float) -> np.ndarray:
    """(V,) the share of a garment's ``ease`` its shell keeps over each body vertex: 1 off the arms and at the
    shoulder (blended in over :data:`BLEND` as :func:`arm_thickness`); on the arm at most :data:`ARM_EASE`
    of ease, less on the arm's top and more under it (``1 - HANG * up``: the slack hangs).

    Args:
        arm: (V,) the body's arm coordinate (NaN off the arms). up: (V,) the posed body normals' upward
            component (world z). ease: the coat's ease, metres.
    """
    keep = min(1.0, ARM_EASE / ease) if ease > 0 else 1.0
    w = np.clip(np.nan_to_num(np.asarray(arm, np.float64), nan=-1.0) / BLEND, 0.0, 1.0)
    return (1.0 - w) + w * keep * (1.0 - HANG * np.clip(np.asarray(up, np.float64), -1.0, 1.0))
