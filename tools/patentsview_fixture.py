"""A generated PatentsView bulk download, in PatentsView's own layout, for tests and the scale benchmark.

No real bulk file can be downloaded here, so this writes the five ``g_*.tsv``
tables the loader reads (tab-separated, a header row, text fields in double
quotes as PatentsView's exports quote them), with a chosen share of the
patents assigned to Huawei and its affiliates under the names PatentsView
gives them. Deterministic: the same arguments write the same bytes.

    python -m tools.patentsview_fixture DIR --patents 1000000 --huawei 150000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from loaders.patentsview import COLUMNS

# (assignee_id, organisation, country, share of the Huawei patents)
HUAWEI = (
    ("a0000000-0000-4000-8000-00000000hw01", "HUAWEI TECHNOLOGIES CO., LTD.", "CN", 0.8),
    ("a0000000-0000-4000-8000-00000000hw02", "Huawei Device Co., Ltd.", "CN", 0.15),
    ("a0000000-0000-4000-8000-00000000hw03", "HUAWEI CLOUD COMPUTING TECHNOLOGIES CO., LTD.", "CN", 0.05),
)
# CPC groups drawn for the patents: wireless (H04W), transmission (H04L), AI (G06N), devices (H01L),
# lithography (G03F), and classes no technology of ours covers (A61K, B60R).
GROUPS = ("H04W72/0446", "H04W84/12", "H04L5/0053", "G06N3/08", "H01L21/0274", "G03F7/2004", "A61K31/00", "B60R16/02")
WORDS = ("method", "apparatus", "system", "signal", "channel", "device", "network", "layer", "model", "beam")


@dataclass
class Plan:
    """What was written, to check a load against."""

    patents: int = 0
    huawei: dict[str, int] = field(default_factory=dict)  # assignee id -> patents
    by_group: dict[str, int] = field(default_factory=dict)  # CPC group -> patents holding it
    assignees: int = 0


def write(folder: Path, patents: int, huawei: int, others: int = 2000, seed: int = 7) -> Plan:
    """Write the tables into ``folder``: ``patents`` in all, ``huawei`` of them to Huawei's three assignees."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    plan = Plan(patents=patents, assignees=len(HUAWEI) + others)
    other_ids = [f"b{n:07d}-0000-4000-8000-000000000000" for n in range(others)]
    files = {t: (folder / f"{t}.tsv").open("w", encoding="utf-8", newline="") for t in COLUMNS}
    out = {
        t: csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n") for t, f in files.items()
    }
    try:
        for t, w in out.items():
            w.writerow(COLUMNS[t])
        out["g_location_disambiguated"].writerows(
            [
                ["loc-cn-shenzhen", "Shenzhen", None, "CN", 22, 114, None, None, None],
                ["loc-us-austin", "Austin", "TX", "US", 30, -97, "Travis", "48", "453"],
                ["loc-jp-tokyo", "Tokyo", None, "JP", 35, 139, None, None, None],
            ]
        )
        start = dt.date(2005, 1, 4)
        for n in range(patents):
            pid = str(7_000_000 + n)
            granted = start + dt.timedelta(days=7 * rng.randrange(1000))
            title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
            row = [pid, "utility", granted.isoformat(), title, "An abstract.", "B2", 20, 0, "ipg.xml"]
            out["g_patent"].writerow(row)
            out["g_application"].writerow(
                [f"{n:08d}", pid, "utility", (granted - dt.timedelta(days=900)).isoformat(), "15", 0]
            )
            for seq, group in enumerate(sorted(rng.sample(GROUPS, rng.randint(1, 3)))):
                out["g_cpc_current"].writerow([pid, seq, group[0], group[:3], group[:4], group, "inventive", "F"])
                plan.by_group[group] = plan.by_group.get(group, 0) + 1
            if n < huawei:
                assignee, org, _, _ = _huawei(rng)
                plan.huawei[assignee] = plan.huawei.get(assignee, 0) + 1
                out["g_assignee_disambiguated"].writerow([pid, 0, assignee, None, None, org, 3, "loc-cn-shenzhen"])
            else:
                k = rng.randrange(others)
                org = f"Example Devices {k:04d} Inc."
                out["g_assignee_disambiguated"].writerow([pid, 0, other_ids[k], None, None, org, 2, "loc-us-austin"])
    finally:
        for f in files.values():
            f.close()
    return plan


def _huawei(rng: random.Random) -> tuple[str, str, str, float]:
    x, acc = rng.random(), 0.0
    for row in HUAWEI:
        acc += row[3]
        if x < acc:
            return row
    return HUAWEI[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--huawei", type=int, default=150_000)
    args = parser.parse_args()
    plan = write(args.folder, args.patents, args.huawei)
    print(f"wrote {plan.patents:,} patents ({sum(plan.huawei.values()):,} Huawei's) into {args.folder}")


if __name__ == "__main__":
    main()
