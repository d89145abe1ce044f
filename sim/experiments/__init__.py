"""Experiments at scale: sweeps, comparisons, sensitivity analysis, scenario discovery, reports.

The model never knows it is in a sweep (EMA Workbench's separation): this
package builds runs from experiment files (:mod:`.design`), runs them on Dask
(:mod:`.engine`), keeps every result on disk as it finishes (:mod:`.storage`),
and analyses them (:mod:`.compare`, :mod:`.sensitivity`, :mod:`.discovery`,
:mod:`.report`). The command line lives in :mod:`.commands`.
"""

from .design import Experiment, ExperimentError, load_experiment
from .engine import SweepSummary, run_sweep
from .storage import load_results

__all__ = ["Experiment", "ExperimentError", "SweepSummary", "load_experiment", "load_results", "run_sweep"]
