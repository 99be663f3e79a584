"""The one linear-interpolation quantile of the monitoring SQL, spelled right for each engine.

DuckDB's `quantile_cont(x, q)` and Spark's `percentile(x, q)` (exact, not `percentile_approx`)
both interpolate linearly between the two nearest order statistics (numpy's "linear"). sqlglot
has no expression that renders as both: its `Quantile` is Spark's `percentile` but DuckDB's
`quantile` (which is `quantile_disc`), its `PercentileCont` renders for Spark as a two-argument
`percentile_cont` that Spark does not accept, and within a `WITHIN GROUP` as `percentile_approx`.
So `quantile_cont` builds an expression of its own class, rendered as `QUANTILE_CONT` by default
(DuckDB) and as `PERCENTILE` by the Hive family of dialects (Hive, Spark 2, Spark, Databricks).
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.databricks import Databricks
from sqlglot.dialects.dialect import rename_func
from sqlglot.dialects.hive import Hive
from sqlglot.dialects.spark import Spark
from sqlglot.dialects.spark2 import Spark2


class LinearQuantile(exp.Expression, exp.AggFunc):
    """The q-quantile of `this` by linear interpolation (DuckDB quantile_cont, Spark percentile)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "quantile": True}
    _sql_names: ClassVar[list[str]] = ["QUANTILE_CONT"]


# Each dialect copies its parent's transforms when its class is made, so each is told.
for _dialect in (Hive, Spark2, Spark, Databricks):
    _dialect.Generator.TRANSFORMS[LinearQuantile] = rename_func("PERCENTILE")


def quantile_cont(column: exp.Expression, q: exp.Expression) -> exp.Expression:
    """The `q`-quantile (a literal in [0, 1]) of `column`, interpolated linearly, for any
    dialect."""
    return LinearQuantile(this=column, quantile=q)
