"""partnersim: an agent-based model of voluntary-sector partnerships in criminal justice.

Charities, commissioners and clients interact through partnerships, funding
cycles and re-tendering (Clinks and the Centre for Justice Innovation, 2017,
*Why we collaborate*). One step is one month.

Quick start::

    import sim
    scenario = sim.load_scenario("baseline")
    monthly, final = sim.run_seeds(scenario, seeds=5)
    print(sim.summarise(final))
"""

from .metrics import BRIEF_METRICS, METRIC_INFO, METRICS, Metric, MetricSet
from .model import PartnershipModel
from .agents import Charity, Commissioner, Partnership, Contract
from .schedule import Phase, Schedule
from .runner import RunResult, derive_seed, mean_ci, replication_seeds, run, run_seeds, summarise, write_results
from .scenario import DOMAINS, SCENARIO_DIR, Scenario, ScenarioError, list_scenarios, load_scenario, own_settings, schema_rows

__version__ = "0.1.0"

__all__ = [
    "BRIEF_METRICS", "METRIC_INFO", "METRICS", "PartnershipModel", "Charity", "Commissioner", "Partnership",
    "Contract", "RunResult", "derive_seed", "mean_ci", "replication_seeds", "run", "run_seeds", "summarise",
    "write_results", "DOMAINS", "SCENARIO_DIR", "Scenario", "ScenarioError", "list_scenarios", "load_scenario",
    "schema_rows", "own_settings", "Metric", "MetricSet", "Phase", "Schedule",
]
