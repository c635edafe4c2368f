"""The fast piece count for ASCII text is the regular expression's count, character class by class."""

from __future__ import annotations

import random

from codetune import tokens


def test_fast_count_equals_the_regex_on_every_ascii_character_and_mixtures() -> None:
    rng = random.Random(7)
    alphabet = [chr(code) for code in range(128)] + ["é", "\u00a0", "\u2028", "中"]
    texts = [chr(code) * 3 for code in range(128)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(5000)]
    texts.append("public int size() { return n; } // a_b.c\t\x1c\x1f")
    for text in texts:
        assert tokens._count_pieces(text) == len(tokens._PIECES.findall(text)), repr(text)
