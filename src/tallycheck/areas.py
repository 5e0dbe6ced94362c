"""The area tree as the report and the screen use it: which areas it breaks the results down by, and where each station falls.

The report does not assume Iraq's tiers. It breaks down by the children of the tree's single root (governorates
under a country), or by the top-level areas themselves when there are several roots or no areas.csv at all, in
which case every area named by a station or contest is its own root.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .model import ElectionData


@dataclass(frozen=True, slots=True)
class AreaTree:
    names: Mapping[str, str]
    levels: Mapping[str, str]
    parents: Mapping[str, str]  # "" at a root
    roots: tuple[str, ...]
    breakdown: tuple[str, ...]  # the areas the report breaks results down by, in order of name

    @classmethod
    def from_data(cls, data: ElectionData) -> AreaTree:
        names: dict[str, str] = {}
        levels: dict[str, str] = {}
        parents: dict[str, str] = {}
        for r in data.table("areas").to_pylist():
            names[r["area_id"]] = r["name"] or r["area_id"]
            levels[r["area_id"]] = r["level"] or ""
            parents[r["area_id"]] = r["parent"] or ""
        # areas a station or contest names but areas.csv does not hold (or there is no areas.csv): their own roots
        named = pc.unique(pa.chunked_array(data.table("stations").column("area").chunks
                                           + data.table("contests").column("area").chunks, pa.string()))
        for a in named.to_pylist():
            if a not in names:
                names[a], levels[a], parents[a] = a, "", ""
        for a, p in list(parents.items()):
            if p and p not in names:  # a parent that is not in the table: treat the area as a root
                parents[a] = ""
        def by_name(a: str) -> tuple[str, str]:
            return names[a].casefold(), a

        roots = tuple(sorted((a for a, p in parents.items() if not p), key=by_name))
        children = sorted((a for a, p in parents.items() if len(roots) == 1 and p == roots[0]), key=by_name)
        breakdown = tuple(children) if len(roots) == 1 and children else roots
        return cls(MappingProxyType(names), MappingProxyType(levels), MappingProxyType(parents), roots, breakdown)

    def chain(self, area: str) -> tuple[str, ...]:
        """The area and its ancestors, nearest first; stops on a cycle rather than looping."""
        out: list[str] = []
        cur = area
        while cur and cur not in out:
            out.append(cur)
            cur = self.parents.get(cur, "")
        return tuple(out)

    def breakdown_of(self, area: str) -> str | None:
        """The breakdown area that holds `area`, or None for an area above the breakdown (the country)."""
        wanted = set(self.breakdown)
        return next((a for a in self.chain(area) if a in wanted), None)

    def name(self, area: str) -> str:
        return self.names.get(area, area)

    @property
    def level_word(self) -> str:
        """The word areas.csv uses for the breakdown tier (e.g. governorate), or "area"."""
        words = Counter(self.levels.get(a, "") for a in self.breakdown)
        word, _ = words.most_common(1)[0] if words else ("", 0)
        return word or "area"

    def breakdown_codes(self, areas: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """For each value of `areas`, the index of its breakdown area in `self.breakdown`, or -1."""
        if len(areas) == 0:
            return np.zeros(0, np.int64)
        encoded = pc.dictionary_encode(pa.chunked_array([areas]) if isinstance(areas, pa.Array) else areas)
        encoded = encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded
        index = {a: i for i, a in enumerate(self.breakdown)}
        lookup = np.array([index.get(self.breakdown_of(a) or "", -1) for a in encoded.dictionary.to_pylist()]
                          + [-1], np.int64)  # the last slot is for null areas
        idx = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy(zero_copy_only=False)
        return lookup[idx]
