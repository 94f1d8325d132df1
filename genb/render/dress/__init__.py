"""Dressing bodies: garments, shoes, hair and accessories built from the body mesh (see docs/render.md)."""

from genb.render.dress.dresser import Dresser
from genb.render.dress.mesh import GarmentMesh
from genb.render.dress.outfit import sample_outfit
from genb.render.dress.wardrobe import load_wardrobe

__all__ = ["Dresser", "GarmentMesh", "load_wardrobe", "sample_outfit"]
