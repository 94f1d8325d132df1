"""Skin colour of a rendered run, per person, as a table by sky kind (genb.render.dress.skin_report).

    python bench/skin_colour.py RUN            # a run folder made by `genb render`

Targets: R > G > B for >= 95 % of people; dark tones (Monk 9-10) in daylight
with mean max channel >= 45; light tones (Monk 1-3) with mean R - B >= 15.
"""

from __future__ import annotations

import sys

from genb.render.dress.skin_report import skin_table

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(skin_table(sys.argv[1]))
