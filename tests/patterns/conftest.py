"""Runs every pattern's paired scenarios once per session, in two processes."""

import pytest

from sim.experiments.patterns import PATTERNS, jobs_for, run_jobs


@pytest.fixture(scope="session")
def pattern_runs():
    return run_jobs(jobs_for(PATTERNS), workers=2)
