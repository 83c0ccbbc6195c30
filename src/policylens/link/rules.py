"""Rule data of the link stage, read from ``policylens/data`` (or a folder overriding it)."""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path

from policylens.gazetteer import Gazetteer

KIND_FAMILIES_FILE = "policy_kind_families.tsv"


def load_kind_families(data_dir: Path | None = None) -> dict[str, str]:
    """Return each policy kind's family from ``policy_kind_families.tsv``."""
    if data_dir is not None and (data_dir / KIND_FAMILIES_FILE).exists():
        text = (data_dir / KIND_FAMILIES_FILE).read_text(encoding="utf-8")
    else:
        packaged = importlib_resources.files("policylens.data").joinpath(KIND_FAMILIES_FILE)
        text = packaged.read_text("utf-8")
    return parse_kind_families(text)


def parse_kind_families(text: str) -> dict[str, str]:
    """Return kind → family from the lines ``family<TAB>kind kind …`` (# starts a comment)."""
    families: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        family, _, kinds = line.partition("\t")
        for kind in kinds.split():
            families[kind] = family.strip()
    return families


class PlaceStripper:
    """Removes place names from a title: 成都市元宇宙产业发展行动方案 → 元宇宙产业发展行动方案."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def __call__(self, text: str) -> str:
        """Return the text without the place names found in it."""
        for mention in reversed(self.gazetteer.find(text)):
            text = text[: mention.start] + text[mention.end :]
        return text
