"""Every vocabulary Yardstick uses, defined once.

Each is a `Literal` type (what the type checker holds code to) and a tuple of its values in display
order (what a parser checks input against, a CLI offers as choices, a page lists in a widget).
The tuple is derived from the type (`typing.get_args`), so the two cannot drift apart, and it is
typed as a tuple of the vocabulary, so a value taken from it keeps its `Literal` type.
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

# Where a KPI's value for a day comes from: its labels (realised) or its scores alone (estimated,
# for the days whose labels are not in yet).
Basis = Literal["realised", "estimated"]
# How an estimated money figure relates to the KPI's realised money (monitoring.coverage): as it
# is (the predictions cover the KPI's transactions), scaled by 1 / coverage, or as it is with the
# coverage unmeasured (no labelled day holds both).
MoneyBasis = Literal["as_is", "scaled", "unmeasured"]
MONEY_BASES: tuple[MoneyBasis, ...] = ("as_is", "scaled", "unmeasured")

# What the business owner decided about a KPI's model.
KpiDecision = Literal["continue", "retrain", "withdraw"]
# What the retraining page and command offer the owner; a choice is recorded as a KpiDecision
# (`wait` as `continue`: kpi.plan.DECISION_FOR_CHOICE).
DecisionChoice = Literal["retrain", "wait", "withdraw"]

# The options a retraining case compares, and what it recommends.
RetrainOption = Literal["do_nothing", "retrain_now", "retrain_later", "withdraw"]
Recommendation = Literal["retrain_now", "wait", "withdraw", "do_nothing"]

# Why a retraining option acts on the day it does (kpi.economics.OptionValue.basis): the later day
# that maximises the NPV (retrain later), or no fallback value given (withdraw, not priced).
OptionDayBasis = Literal["best_day", "fallback_zero"]

# Where a retraining case's expected gain comes from.
UpliftSource = Literal["experiment", "assumption"]
# Who gave the gain a retraining case is evaluated on: a stored plan, an experiment of a model of
# the KPI's family, or a value the user entered (page or flags). No recommendation without one.
UpliftOrigin = Literal["plan", "experiment", "entered"]
# Where a retraining case's fallback value comes from: given with the request (a plan, the page,
# a flag) or the KPI's stored fallback value.
FallbackSource = Literal["given", "stored"]

# Experiments: metric kind, metric role, analysis method, multiple-testing correction.
MetricKind = Literal["proportion", "mean", "ratio"]
MetricRole = Literal["primary", "secondary", "guardrail"]
Method = Literal["fixed", "sequential"]
Correction = Literal["holm", "bh", "none"]

# Where now falls in an experiment's window: before its start, within it, or at or after its end.
ExperimentStatus = Literal["planned", "running", "finished"]

# The call on an experiment (or one treatment). `invalid`: the sample ratio check failed, so no
# effect can be trusted and none is shown.
ExperimentOutcome = Literal["ship", "dont_ship", "keep_running", "no_effect", "invalid"]

# A guardrail metric's non-inferiority test (experiments.guardrails): shown worse by less than its
# margin (`pass`), shown worse by more (`breach`), or neither yet.
GuardrailStatus = Literal["pass", "breach", "inconclusive"]

# Which comparisons a multiple-testing correction runs over: the primary metric across treatments,
# the secondary metrics across treatments, or one segment column. Guardrails belong to none: each
# is a one-sided non-inferiority test against its margin.
CorrectionFamily = Literal["primary", "secondary", "segment"]

# Whether a p-value shown to a reader is the raw one or the one adjusted within its family.
PValueKind = Literal["raw", "adjusted"]

# Stages of a registered model.
ModelStage = Literal["production", "challenger"]

# Languages of the catalogues, and report formats.
Language = Literal["en", "ja"]
ReportFormat = Literal["html", "md"]

# Monitoring: a monitor's (or a feature's, or an objective's) status; how a feature is typed; the
# drift statistics; the serving objectives a monitor may agree; what an annotation records.
MonitorStatus = Literal["ok", "warning", "alert", "insufficient_data"]
FeatureType = Literal["numeric", "categorical"]
DriftMethod = Literal["psi", "wasserstein", "ks", "js"]
ServingObjective = Literal["latency_p95_ms", "latency_p99_ms", "fallback_rate"]
AnnotationKind = Literal["data", "labels", "parameters", "algorithm", "business", "infrastructure"]
# KPI metrics that are a rate of a per-request binary outcome (a click, a conversion), so a
# prediction's label is that outcome and the metric can be computed per `served_by` level.
LabelRateMetric = Literal["ctr", "click_through_rate", "conversion_rate", "cvr"]
# Why a KPI's value cannot be split by serving level (kpi.fallback_value.ineligibility).
FallbackIneligibility = Literal["not_online", "not_per_unit", "not_label_rate"]
# Whether a challenger arm's serving differs from the control's (the experiment health check).
ArmHealthStatus = Literal["ok", "flagged", "insufficient_data"]
# Whether a classifier's scores are calibrated on a monitor's reference (performance estimation).
CalibrationStatus = Literal["calibrated", "uncalibrated", "insufficient_data"]

# What changed around a drop: the KPI events explained, and the kinds of change listed beside them
# (declared ones first: annotations and deployments; then measured ones: drift and serving).
ExplainEventKind = Literal["step", "crossing"]
ChangeKind = Literal["annotation", "deployment", "drift", "serving"]

# Sizes of the demo store: seconds (tests), under a minute (first start), 100M+ events (benchmarks).
DemoSize = Literal["small", "medium", "large"]


DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
LABEL_RATE_METRICS: tuple[LabelRateMetric, ...] = get_args(LabelRateMetric)
SOURCES: tuple[Source, ...] = get_args(Source)
VALUE_KINDS: tuple[ValueKind, ...] = get_args(ValueKind)
COST_CELLS: tuple[CostCell, ...] = get_args(CostCell)
THRESHOLD_LINES: tuple[ThresholdLine, ...] = get_args(ThresholdLine)
KPI_STATUSES: tuple[KpiStatusCode, ...] = get_args(KpiStatusCode)
KPI_DECISIONS: tuple[KpiDecision, ...] = get_args(KpiDecision)
DECISION_CHOICES: tuple[DecisionChoice, ...] = get_args(DecisionChoice)
RETRAIN_OPTIONS: tuple[RetrainOption, ...] = get_args(RetrainOption)
RECOMMENDATIONS: tuple[Recommendation, ...] = get_args(Recommendation)
UPLIFT_SOURCES: tuple[UpliftSource, ...] = get_args(UpliftSource)
UPLIFT_ORIGINS: tuple[UpliftOrigin, ...] = get_args(UpliftOrigin)
METRIC_KINDS: tuple[MetricKind, ...] = get_args(MetricKind)
METRIC_ROLES: tuple[MetricRole, ...] = get_args(MetricRole)
METHODS: tuple[Method, ...] = get_args(Method)
CORRECTIONS: tuple[Correction, ...] = get_args(Correction)
EXPERIMENT_STATUSES: tuple[ExperimentStatus, ...] = get_args(ExperimentStatus)
EXPERIMENT_OUTCOMES: tuple[ExperimentOutcome, ...] = get_args(ExperimentOutcome)
GUARDRAIL_STATUSES: tuple[GuardrailStatus, ...] = get_args(GuardrailStatus)
CORRECTION_FAMILIES: tuple[CorrectionFamily, ...] = get_args(CorrectionFamily)
P_VALUE_KINDS: tuple[PValueKind, ...] = get_args(PValueKind)
MODEL_STAGES: tuple[ModelStage, ...] = get_args(ModelStage)
LANGUAGES: tuple[Language, ...] = get_args(Language)
REPORT_FORMATS: tuple[ReportFormat, ...] = get_args(ReportFormat)
DEMO_SIZES: tuple[DemoSize, ...] = get_args(DemoSize)
MONITOR_STATUSES: tuple[MonitorStatus, ...] = get_args(MonitorStatus)
FEATURE_TYPES: tuple[FeatureType, ...] = get_args(FeatureType)
DRIFT_METHODS: tuple[DriftMethod, ...] = get_args(DriftMethod)
SERVING_OBJECTIVES: tuple[ServingObjective, ...] = get_args(ServingObjective)
ANNOTATION_KINDS: tuple[AnnotationKind, ...] = get_args(AnnotationKind)
CALIBRATION_STATUSES: tuple[CalibrationStatus, ...] = get_args(CalibrationStatus)
EXPLAIN_EVENT_KINDS: tuple[ExplainEventKind, ...] = get_args(ExplainEventKind)
CHANGE_KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)
