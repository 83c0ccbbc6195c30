"""Build src/policylens/data/regions.tsv from cpca's administrative-division table.

Run by hand when the source table changes:
    pip download --no-deps cpca==0.5.5 -d /tmp/cpca && python scripts/build_regions.py /tmp/cpca/cpca-0.5.5-*.whl
The table (cpca/resources/adcodes.csv, MIT licence) lists 3,512 divisions with 12-digit codes;
the hierarchy is read off the code: PP0000 province, PPCC00 city, PPCCDD district or county.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "policylens" / "data" / "regions.tsv"
MUNICIPALITIES = {
    "11",
    "12",
    "31",
    "50",
}  # 北京 天津 上海 重庆: their districts sit under the province
PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
CITY_SUFFIXES = ("地区", "自治州", "盟", "市")


def short_name(name: str, level: str) -> str:
    """Return the name without its administrative suffix, when that leaves two characters or more."""
    suffixes = PROVINCE_SUFFIXES if level == "province" else CITY_SUFFIXES
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return ""


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("cpca/resources/adcodes.csv").decode("utf-8")
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: r["adcode"])
    out = [
        "# code\tname\tlevel\tparent\tshort  (from cpca 0.5.5 adcodes.csv, MIT; built by scripts/build_regions.py)"
    ]
    for row in rows:
        code = row["adcode"][:6]
        if code.endswith("0000"):
            level, parent = "province", ""
        elif code.endswith("00"):
            level, parent = "city", code[:2] + "0000"
        else:
            level = "district"
            parent = code[:2] + "0000" if code[:2] in MUNICIPALITIES else code[:4] + "00"
        name = row["name"]
        short = short_name(name, level) if level != "district" else ""
        out.append(f"{code}\t{name}\t{level}\t{parent}\t{short}")
    OUT.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {len(out) - 1} regions to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
