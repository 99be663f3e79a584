"""Every vocabulary Yardstick uses, defined once.

Each is a `Literal` type (what the type checker holds code to) and a tuple of its values in display
order (what a parser checks input against, a CLI offers as choices, a page lists in a widget).
`values_of` keeps the two from drifting apart: the tuple is derived from the type.
"""

from __future__ import annotations

from typing import Literal, get_args

# Which way a metric or KPI is better.
Direction = Literal["increase", "decrease"]

# Where a KPI's series comes from: daily online metrics, or offline evaluations.
Source = Literal["online", "offline"]

# How a KPI is priced: money per unit, a confusion-matrix of costs, or an offline-to-online bridge.
ValueKind = Literal["per_unit", "cost_matrix", "bridge"]

# The cells of a confusion matrix (a cost-matrix value model prices each).
CostCell = Literal["tp", "fp", "tn", "fn"]

# The agreed lines of a KPI.
ThresholdLine = Literal["target", "warning", "exit"]

# A KPI's status on a day.
KpiStatusCode = Literal["healthy", "warning", "exit", "no_data"]

# What the business owner decided about a KPI's model.
KpiDecision = Literal["continue", "retrain", "withdraw"]

# The options a retraining case compares, and what it recommends.
RetrainOption = Literal["do_nothing", "retrain_now", "retrain_later", "withdraw"]
Recommendation = Literal["retrain_now", "wait", "withdraw", "do_nothing"]

# Where a retraining case's expected gain comes from.
UpliftSource = Literal["experiment", "assumption"]

# Experiments: metric kind, metric role, analysis method, multiple-testing correction.
MetricKind = Literal["proportion", "mean", "ratio"]
MetricRole = Literal["primary", "secondary", "guardrail"]
Method = Literal["fixed", "sequential"]
Correction = Literal["holm", "bh", "none"]

# Stages of a registered model.
ModelStage = Literal["production", "challenger"]

# Languages of the catalogues, and report formats.
Language = Literal["en", "ja"]
ReportFormat = Literal["html", "md"]

# Sizes of the demo store: seconds (tests), under a minute (first start), 100M+ events (benchmarks).
DemoSize = Literal["small", "medium", "large"]


def values_of(vocabulary: object) -> tuple[str, ...]:
    """The values of a `Literal` vocabulary, in the order written."""
    return tuple(str(value) for value in get_args(vocabulary))


DIRECTIONS = values_of(Direction)
SOURCES = values_of(Source)
VALUE_KINDS = values_of(ValueKind)
COST_CELLS = values_of(CostCell)
THRESHOLD_LINES = values_of(ThresholdLine)
KPI_STATUSES = values_of(KpiStatusCode)
KPI_DECISIONS = values_of(KpiDecision)
RETRAIN_OPTIONS = values_of(RetrainOption)
RECOMMENDATIONS = values_of(Recommendation)
UPLIFT_SOURCES = values_of(UpliftSource)
METRIC_KINDS = values_of(MetricKind)
METRIC_ROLES = values_of(MetricRole)
METHODS = values_of(Method)
CORRECTIONS = values_of(Correction)
MODEL_STAGES = values_of(ModelStage)
LANGUAGES = values_of(Language)
REPORT_FORMATS = values_of(ReportFormat)
DEMO_SIZES = values_of(DemoSize)
