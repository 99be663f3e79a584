"""SQLGlot builder of the annotations read that explanations need, over a `TableMapping`.

The family enters as a literal, never as formatted text; render with `.sql(dialect="duckdb")` or
`"spark"`.
"""

from __future__ import annotations

from sqlglot import exp

from core.tables import STORE_TABLES, TableMapping

ANNOTATION_COLUMNS = ("date", "kind", "note", "author")


def annotations_query(family: str, tables: TableMapping = STORE_TABLES) -> exp.Select:
    """The family's annotations, oldest first. Columns: date, kind, note, author."""
    annotations = tables.annotations
    alias = "a"
    return (
        exp.select(
            *(
                exp.column(annotations.column(role), table=alias, quoted=True).as_(role)
                for role in ANNOTATION_COLUMNS
            )
        )
        .from_(exp.to_table(annotations.name, alias=exp.TableAlias(this=exp.to_identifier(alias))))
        .where(
            exp.EQ(
                this=exp.column(annotations.column("family"), table=alias, quoted=True),
                expression=exp.Literal.string(family),
            )
        )
        .order_by(*ANNOTATION_COLUMNS[:3])
    )
