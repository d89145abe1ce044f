#!/usr/bin/env bash
# Set up .venv (first time) and run the main job: the Inspire women's service
# at full value against the same service re-tendered at half value, over 20
# seeded replications, each under its own parameter set drawn from the
# calibrated posterior of the baseline region (the same draw for both
# scenarios), so the intervals carry seed noise and parameter uncertainty.
# Prints the comparison table and writes figures and a summary to results/main/.
source "$(dirname "$0")/_python.sh"
rm -rf results/main
.venv/bin/partnersim compare inspire inspire_halved --seeds "${SEEDS:-20}" \
    --posterior experiments/posteriors/baseline/posterior.parquet --out results/main
.venv/bin/partnersim report results/main
