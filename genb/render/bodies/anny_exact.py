"""anny's hot paths computed faster with the same bits (the same sums in the same order).

- :func:`rest_vertices_by_matmul`: the rest vertices as one matrix product of the blendshape
  coefficients with anny's blendshapes read in place;
- :class:`StaturesMixin`: standing heights from the template's extreme vertices only, and the heights
  of a forward's bodies kept for the descriptions that follow it.

tests/test_dress_lod.py checks both against anny's own computation.
"""

from __future__ import annotations

import numpy as np
import torch


def _to_np(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().numpy()


class StaturesMixin:
    """Statures of :class:`~genb.render.bodies.anny_body.AnnyBody` (which sets ``model``, ``dtype``,
    ``device`` and ``_stature_ids = self._stature_vertices()``)."""

    def statures(self, shapes: np.ndarray) -> np.ndarray:
        """(P,) standing height in metres (top of the head to the soles, rest pose) of (P, 6) phenotypes.

        Only the rest-pose vertices that can be highest or lowest (the top and bottom 3 % of
        the template, where the crown and the soles are) are blended: the same extremes as the
        whole mesh (checked over random shapes when the model is built) at a fraction of the cost.
        """
        rows = np.asarray(shapes, np.float64).reshape(-1, 6)
        known = getattr(self, "_forward_statures", {})  # the last forward's bodies (a sample's people)
        if len(rows) and all(r.tobytes() in known for r in rows):
            return np.array([known[r.tobytes()] for r in rows])
        phen = torch.as_tensor(rows, dtype=self.dtype, device=self.device)
        if len(phen) == 0:
            return np.zeros(0)
        with torch.no_grad():
            try:
                pose, phen, local, facial = self.model.get_tensor_inputs(None, phen, None, None)
                coeffs = self.model._get_phenotype_blendshape_coefficients(phen, local, facial)
                z0, basis = self._stature_basis()
                z = z0[None] + coeffs @ basis
            except (AttributeError, TypeError):  # a future anny: fall back to a full forward pass
                z = self.model(phenotype_kwargs=phen)["vertices"][..., 2]
        return _to_np(z.max(1).values - z.min(1).values)

    def _keep_statures(self, phenotypes: np.ndarray, rest_vertices: torch.Tensor | None) -> None:
        """Keep the statures of a forward's bodies (their rest vertices are at hand), by phenotype row: a
        sample's people are described right after they are posed. The same sums as :meth:`statures`, so the
        same bits (tests/test_dress_lod.py checks it); only the last forward's are kept."""
        if rest_vertices is None or rest_vertices.dim() != 3 or len(rest_vertices) != len(phenotypes):
            self._forward_statures = {}
            return
        z = rest_vertices[:, self._stature_ids, 2]
        got = _to_np(z.max(1).values - z.min(1).values)
        rows = np.asarray(phenotypes, np.float64).reshape(-1, 6)
        self._forward_statures = {r.tobytes(): float(h) for r, h in zip(rows, got)}

    def _stature_basis(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The template heights (S,) and the blendshapes' heights (B, S) of the stature vertices, gathered once
        (the gather copied the whole (B, S) slice on every call)."""
        got = getattr(self, "_stature_z", None)
        if got is None:
            ids = self._stature_ids
            got = self._stature_z = (self.model.template_vertices[ids, 2].clone(),
                                     self.model.blendshapes[:, ids, 2].contiguous())
        return got

    def _stature_vertices(self) -> torch.Tensor:
        """Indices of the template vertices that hold the rest pose's highest and lowest points."""
        z = self.model.template_vertices[:, 2]
        lo, hi = torch.quantile(z, 0.03), torch.quantile(z, 0.97)
        return torch.nonzero((z <= lo) | (z >= hi)).squeeze(1)


def rest_vertices_by_matmul(model) -> None:
    """Give ``model`` (an anny model) a ``get_rest_vertices`` that blends its (C, V, 3) blendshapes as one
    (P, C) x (C, 3V) matrix product: anny's einsum first copies the 45 MB of blendshapes into another layout
    on every forward (13 ms of a 20 ms body forward here), the product reads them in place. The same sums in
    the same order: the same bits (tests/test_dress_lod.py checks it). Left as it is when the model has no
    such method or another layout (a future anny)."""
    shapes = getattr(model, "blendshapes", None)
    if not callable(getattr(model, "get_rest_vertices", None)) or shapes is None or shapes.dim() != 3 \
            or not shapes.is_contiguous() or shapes.shape[-1] != 3:
        return

    def get_rest_vertices(blendshape_coeffs: torch.Tensor) -> torch.Tensor:
        blend = model.blendshapes  # read at each call: a later .to() moves the model's tensors
        flat = blend.reshape(blend.shape[0], -1)
        return model.template_vertices[None] + (blendshape_coeffs @ flat).reshape(len(blendshape_coeffs), -1, 3)

    model.get_rest_vertices = get_rest_vertices
