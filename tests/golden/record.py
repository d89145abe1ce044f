"""Record the golden monthly and per-run tables (run only when behaviour changes on purpose).

    python tests/golden/record.py

writes ``tests/golden/<scenario>.parquet`` for each scenario of :data:`CASES`,
three seeds each. ``tests/test_golden.py`` checks that the model still
produces exactly these tables.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import sim  # noqa: E402

CASES = ("baseline", "inspire", "family_alliance", "golden_key", "austerity")
SEEDS = 3
MONTHS = 48


def tables(name: str):
    scenario = sim.load_scenario(name, {"run.months": MONTHS})
    monthly, final = sim.run_seeds(scenario, SEEDS, progress=False)
    return monthly, final


def main() -> None:
    for name in CASES:
        monthly, final = tables(name)
        monthly.to_parquet(HERE / f"{name}.monthly.parquet", index=False)
        final.to_parquet(HERE / f"{name}.runs.parquet", index=False)
        print(name, monthly.shape, final.shape)


if __name__ == "__main__":
    main()
