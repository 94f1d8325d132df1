"""Cross-frame attention to a key frame (genb/enhance/cross_frame.py) on a rendered sequence, tiny pipeline."""

from __future__ import annotations

import json
import shutil

import pytest

from genb.core.run import RunFolder
from genb.errors import GenbError

FRAMES = 4
NOISE = 0.5


@pytest.fixture(scope="module")
def one_sequence(tmp_path_factory):
    """One rendered sequence of 4 frames (anny, bare bodies, 128x96, a moving camera)."""
    from genb.sequence.stage import SequenceConfig, run_sequences

    root = tmp_path_factory.mktemp("xattn") / "run"
    run_sequences(root, SequenceConfig(num_samples=1, frames=FRAMES, image_size=(128, 96), num_people=(1, 1), seed=7,
                                       wardrobe="none", portrait_prob=0.0, png_compression=1,
                                       camera_motion_weights=(0.0, 1.0, 1.0, 0.0, 0.0)))
    return root / "sequences" / "000000"


def _frames(run: RunFolder) -> list[bytes]:
    return [(run.enhanced_dir(NOISE) / f"{t:06d}.png").read_bytes() for t in range(FRAMES)]


def test_key_frame_attention_is_deterministic_and_leaves_the_key_frame(one_sequence, tiny_pipeline_dir, tmp_path):
    """Same bytes twice and across --batch-size (and after a resume); the key frame's bytes are those
    of a run without the option, every other frame's differ; the records say so."""
    from genb.enhance.stage import run_enhance
    from _fixtures_enhance import tiny_enhance_config

    seq = tmp_path / "seq"
    shutil.copytree(one_sequence, seq)
    run = RunFolder(seq)
    got = {}
    for name, xattn, batch in (("a", True, 2), ("b", True, 3), ("plain", False, 2)):
        view = run.view(f"enhanced-{name}")
        run_enhance(view, tiny_enhance_config(noise=NOISE, cross_frame_attention=xattn, batch_size=batch))
        got[name] = _frames(view)
    assert got["a"] == got["b"]
    assert got["a"][0] == got["plain"][0]  # the key frame: as without the option
    assert all(got["a"][t] != got["plain"][t] for t in range(1, FRAMES))
    rec = json.loads((run.view("enhanced-a").enhanced_dir(NOISE) / "000002.json").read_text())
    assert rec["cross_frame"] == {"key_frame": 0, "paired": True}
    # resume: a frame deleted and made again, alone, gives the same bytes
    view = run.view("enhanced-a")
    for ext in ("png", "json"):
        (view.enhanced_dir(NOISE) / f"000002.{ext}").unlink()
    run_enhance(view, tiny_enhance_config(noise=NOISE, cross_frame_attention=True, batch_size=1))
    assert _frames(view) == got["a"]


def test_flipping_the_option_is_refused_on_resume(one_sequence, tiny_pipeline_dir, tmp_path):
    from genb.enhance.stage import run_enhance
    from _fixtures_enhance import tiny_enhance_config

    seq = tmp_path / "seq"
    shutil.copytree(one_sequence, seq)
    run_enhance(RunFolder(seq), tiny_enhance_config(noise=NOISE, steps=4, limit=1))
    before = sorted(p.name for p in RunFolder(seq).enhanced_dir(NOISE).iterdir())
    with pytest.raises(GenbError, match="--cross-frame-attention was False, now True"):
        run_enhance(RunFolder(seq), tiny_enhance_config(noise=NOISE, steps=4, cross_frame_attention=True))
    assert sorted(p.name for p in RunFolder(seq).enhanced_dir(NOISE).iterdir()) == before


def test_unsupported_uses_are_one_clear_error(tiny_pipeline_dir, tmp_path, enhance_run):
    """Off a sequence, and with --per-person: GenbError before anything is written; the CLI exits 2."""
    from genb.cli import main
    from genb.enhance.stage import run_enhance
    from _fixtures_enhance import tiny_enhance_config

    with pytest.raises(GenbError, match="not a sequence"):
        run_enhance(enhance_run, tiny_enhance_config(noise=NOISE, cross_frame_attention=True))
    assert not enhance_run.enhanced_dir(NOISE).exists()
    with pytest.raises(GenbError, match="per-person"):
        tiny_enhance_config(noise=NOISE, cross_frame_attention=True, per_person=True).validate()
    assert main(["enhance", str(enhance_run.root), "--preset", "tiny", "--noise", "0.4",
                 "--cross-frame-attention"]) == 2
    assert not enhance_run.enhanced_dir(0.4).exists()


def test_region_mode_holds_the_people_with_key_frame_attention(one_sequence, tiny_pipeline_dir, tmp_path):
    """Region-aware noise works per row of a [key, frame] call: with --noise-person 0 every frame's
    people keep the render's pixels while the background changes."""
    from genb.core.io import read_image
    from genb.enhance.regions import person_mask
    from genb.enhance.stage import run_enhance
    from _fixtures_enhance import tiny_enhance_config

    seq = tmp_path / "seq"
    shutil.copytree(one_sequence, seq)
    run = RunFolder(seq)
    run_enhance(run, tiny_enhance_config(noise=NOISE, noise_person=0.0, steps=4, cross_frame_attention=True))
    for t in range(FRAMES):
        img, render = read_image(run.enhanced_dir(NOISE) / f"{t:06d}.png"), run.image(t)
        mask = person_mask(run.instances(t), 4)
        assert mask.any() and (img[mask] == render[mask]).all()
        assert (img[~mask] != render[~mask]).any()


def test_processor_attends_to_the_key_frame_within_each_guidance_half():
    """KeyFrameAttnProcessor on a real diffusers Attention layer, batch [uncond key, uncond frame,
    cond key, cond frame]: key rows are plain self-attention; frame rows attend to their own tokens
    and their half's key tokens; a frame identical to its key gets the key's output."""
    import torch
    from diffusers.models.attention_processor import Attention, AttnProcessor2_0

    from genb.enhance.cross_frame import KeyFrameAttnProcessor

    torch.manual_seed(0)
    attn = Attention(query_dim=16, heads=2, dim_head=8).eval()
    x = torch.randn(4, 12, 16)
    with torch.no_grad():
        attn.set_processor(KeyFrameAttnProcessor())
        out = attn(x)
        same = attn(torch.stack([x[0], x[0], x[2], x[2]]))
        attn.set_processor(AttnProcessor2_0())
        plain = attn(x)

        def reference(q_rows: torch.Tensor, kv_rows: torch.Tensor) -> torch.Tensor:
            q, k, v = attn.to_q(q_rows), attn.to_k(kv_rows), attn.to_v(kv_rows)
            w = torch.softmax(torch.einsum("nhd,mhd->hnm", q.view(12, 2, 8), k.view(-1, 2, 8)) / 8 ** 0.5, dim=-1)
            return attn.to_out[0](torch.einsum("hnm,mhd->nhd", w, v.view(-1, 2, 8)).reshape(12, 16))

        for key, frame in ((0, 1), (2, 3)):
            torch.testing.assert_close(out[key], plain[key], atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(out[frame], reference(x[frame], torch.cat([x[frame], x[key]])), atol=1e-5, rtol=1e-5)
            assert not torch.allclose(out[frame], plain[frame], atol=1e-3)
            torch.testing.assert_close(same[frame], same[key], atol=1e-5, rtol=1e-5)


def test_sdxl_architecture_runs_with_key_frame_attention(one_sequence, tiny_pipeline_dir, tmp_path):
    """The SDXL pipeline (its added time ids and pooled text embeddings per row) takes [key, frame] calls too."""
    from genb.enhance.stage import run_enhance
    from _fixtures_enhance import tiny_enhance_config

    seq = tmp_path / "seq"
    shutil.copytree(one_sequence, seq)
    run = RunFolder(seq)
    for name, xattn in (("x", True), ("plain", False)):
        run_enhance(run.view(f"enhanced-{name}"), tiny_enhance_config(architecture="sdxl", noise=NOISE, steps=4, limit=2,
                                                                      cross_frame_attention=xattn))
    x, plain = (run.view(f"enhanced-{n}").enhanced_dir(NOISE) for n in ("x", "plain"))
    assert (x / "000000.png").read_bytes() == (plain / "000000.png").read_bytes()
    assert (x / "000001.png").read_bytes() != (plain / "000001.png").read_bytes()


def test_cli_on_a_whole_sequence_run(one_sequence, tiny_pipeline_dir, tmp_path):
    """`genb enhance RUN --cross-frame-attention` on a run of sequences: every sequence, every frame
    but the key frame paired with it; the flicker report is written."""
    from genb.cli import main

    root = tmp_path / "run"
    shutil.copytree(one_sequence.parent.parent, root)
    assert main(["enhance", str(root), "--preset", "tiny", "--noise", "0.4", "--steps", "5", "--threads", "1",
                 "--cross-frame-attention"]) == 0
    level = RunFolder(root / "sequences" / "000000").enhanced_dir(0.4)
    paired = [json.loads((level / f"{t:06d}.json").read_text())["cross_frame"]["paired"] for t in range(FRAMES)]
    assert paired == [False] + [True] * (FRAMES - 1)
    assert (root / "flicker-noise-0.40.json").is_file()
