"""Experiments at scale: sweeps, comparisons, sensitivity analysis, scenario discovery, reports.

The model never knows it is in a sweep (EMA Workbench's separation): this
package builds runs from experiment files (:mod:`.design`), runs them on Dask
(:mod:`.engine`), keeps every result on disk as it finishes (:mod:`.storage`),
and analyses them (:mod:`.compare`, :mod:`.sensitivity`, :mod:`.discovery`,
:mod:`.report`). The command line lives in :mod:`.commands`::

    partnersim sweep smoke                                # experiments/smoke.toml -> results/smoke/
    partnersim sweep case_inspire --workers 2             # resumable: run it again after a crash
    partnersim sweep case_inspire --scheduler tcp://10.0.0.5:8786   # the same sweep on a cluster
    partnersim compare inspire inspire_halved --seeds 20 [--json]
    partnersim sensitivity sensitivity_morris --metric partnerships_active
    partnersim discover collapse_discovery --where "partnerships_active <= 1"
    partnersim report results/case_inspire                # figures/ and report.md

From Python::

    from sim.experiments import load_experiment, run_sweep, load_results
    summary = run_sweep(load_experiment("smoke"), "results/smoke", workers=2)
    manifest, runs, monthly = load_results("results/smoke")
"""

from .design import Experiment, ExperimentError, load_experiment
from .engine import SweepSummary, run_sweep
from .storage import load_results

__all__ = ["Experiment", "ExperimentError", "SweepSummary", "load_experiment", "load_results", "run_sweep"]
