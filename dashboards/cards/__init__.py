"""The page's cards, one small Solara component each; ``dashboards/app.py`` composes them."""

from .charts import Charts
from .comparison_card import ComparisonCard
from .export_card import ExportCard
from .headlines import Headlines
from .levers_card import LeversCard
from .network_card import NetworkCard
from .plot import Plot
from .run_controls import RunControls
from .scenario_card import ScenarioCard
from .welcome import Welcome

__all__ = ["Charts", "ComparisonCard", "ExportCard", "Headlines", "LeversCard", "NetworkCard", "Plot", "RunControls",
           "ScenarioCard", "Welcome"]
