"""The procedural ground-truth renderer (``genb render``), in rooms:

``bodies/`` body models, key poses and rotations; ``dress/`` what a person looks like (skin, eyes,
garments, hair, shoes, accessories); ``scene/`` camera, placement, contact, framing and the place
around the people; ``raster/`` rasterization and deferred shading; ``labels/`` ground truth and
control maps; ``people`` a sample's people (posed, rested, placed, framed, dressed); ``stage`` one
sample; ``run`` a whole run folder; ``command`` the CLI; ``config`` its flags.
"""
