"""Shared fixtures for the top-level model tests.

Scenarios here are deliberately small and short (tens of charities, hundreds of
clients, one or two years) so the whole suite stays quick; the claims they test
are directions and contracts, never tuned numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent

from helpers import SMALL, per_seed, run_model, small  # noqa: E402,F401  (shared with the test modules)


@pytest.fixture
def small_scenario():
    """Factory: ``small_scenario("inspire", commissioning__retender="rollover")``."""
    return small


@pytest.fixture
def seeded_values():
    """Factory: per-seed values of ``fn(model)`` over fixed replication seeds."""
    return per_seed
