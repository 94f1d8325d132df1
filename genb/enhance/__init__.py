"""``genb enhance``: re-render samples with a noise-conditioned ControlNet img2img pipeline.

Modules: ``config`` (EnhanceConfig), ``stage`` (EnhanceStage, run_enhance, CLI), ``models``
(loading: hub, local folder, tiny), ``tiny`` (the random-weight test pipeline), ``prompts``
(scene recipe -> prompt), ``regions`` (region-aware noise), ``schedule`` (steps run at a strength).
Nothing here is imported by the renderer.
"""
