"""The scene around the people: camera and placement, contact with the ground and seats, framing,
sky and sun, ground materials, props and places, held objects, environment maps.

``sample`` camera, placement, lights, background and appearance draws; ``contact`` support and
seats; ``framing`` framing statistics and tests; ``scenery`` a sample's setting and look (what the
shading needs); ``sky``, ``materials``, ``props``, ``held``, ``envmap``; ``places/`` the scene grammar.
"""
