"""The causal-chain statistical suites.

The full dose-response and lever-direction suites run hundreds of seeded
models; they are marked ``statistical`` and run only when
``PARTNERSIM_STATISTICAL=1`` is set (``PARTNERSIM_STATISTICAL=1 ./scripts/test.sh tests/causal``).
Their measured results are in docs/levers.md (``experiments/levers.py``); the
default test run keeps a fast smoke test of each.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PARTNERSIM_STATISTICAL") == "1":
        return
    skip = pytest.mark.skip(reason="full statistical suite: set PARTNERSIM_STATISTICAL=1 to run it")
    for item in items:
        if "statistical" in item.keywords:
            item.add_marker(skip)
