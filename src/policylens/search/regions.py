"""Region lineage for facets: a place and every division above it, from the gazetteer files."""

from __future__ import annotations

from importlib import resources

from policylens.gazetteer import NATION

DIVISION_FILES = ("regions.tsv", "regions_extra.tsv")


class RegionTable:
    """Division names and parents by code; answers "which regions contain this one"."""

    def __init__(self, divisions: dict[str, tuple[str, str]]) -> None:
        self.divisions = divisions  # code -> (name, parent code)

    def lineage(self, code: str, name: str) -> list[tuple[str, str]]:
        """Return (code, chain name) for the province down to this place: 四川省, 四川省成都市."""
        chain: list[tuple[str, str]] = []
        current = code if code != NATION.code else ""
        while current in self.divisions:
            own, parent = self.divisions[current]
            chain.append((current, own))
            current = parent
        if not chain:
            return [(code, name)]
        out, prefix = [], ""
        for ancestor, own in reversed(chain):
            prefix += own
            out.append((ancestor, prefix))
        return out


def load_region_table() -> RegionTable:
    """Return the region table read from the packaged gazetteer files."""
    divisions: dict[str, tuple[str, str]] = {}
    data = resources.files("policylens.data")
    for name in DIVISION_FILES:
        for line in data.joinpath(name).read_text("utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            code, own, _level, parent, *_ = line.split("\t")
            divisions[code] = (own, parent)
    return RegionTable(divisions)
