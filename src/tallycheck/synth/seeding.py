"""Independent random generators per purpose, derived from the user's seed.

Each purpose (e.g. "magnitudes", or "votes" and a chunk number) gets its own numpy Generator seeded from
SHA-256("tallycheck.synth" NUL seed NUL purpose parts joined by NUL). Changing how many numbers one step draws
therefore never shifts another step's stream, and chunks can be drawn in any order.
"""

from __future__ import annotations

import hashlib

import numpy as np


def rng_for(seed: int, *purpose: str | int) -> np.random.Generator:
    text = "\0".join(["tallycheck.synth", str(int(seed)), *(str(p) for p in purpose)])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))
