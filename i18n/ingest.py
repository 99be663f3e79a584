"""Wording of a refused load: each problem of an input file, and the refusal, in either language.

The store names what is wrong with a code and its values (`data.ingest.Problem`); the sentences
live in the catalogues under `error.ingest.` (the CLI prints English, the Data page the reader's
language). Where a problem is comes first: "FILE, line N, column C: ..." in English,
"FILE の N 行目、列 C: ..." in Japanese.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from i18n.catalogue import translate

if TYPE_CHECKING:
    from services.loading import IngestError, Problem


def _where(problem: Problem, lang: str) -> str:
    """The file, then its line (CSV) or row (Parquet), then the column, as far as they are known."""
    place: str = "file" if problem.line is None else problem.row_label
    if problem.column:
        place = "column" if problem.line is None else f"{problem.row_label}_column"
    return translate(
        lang,
        f"error.ingest.at.{place}",
        file=problem.file,
        line=problem.line,
        column=problem.column,
    )


def _values(problem: Problem, lang: str) -> dict[str, object]:
    """The problem's values, with a rejected line's counts of values worded as its `detail`."""
    values = dict(problem.values)
    if "detail" not in values and "expected" in values and "found" in values:
        values["detail"] = translate(
            lang, "error.ingest.counts", expected=values["expected"], found=values["found"]
        )
    return values


def problem_text(problem: Problem, lang: str) -> str:
    """One problem as a line: where it is, then what is wrong."""
    reason = translate(lang, f"error.{problem.code}", **_values(problem, lang))
    return _where(problem, lang) + reason


def refusal_lines(error: IngestError, lang: str) -> tuple[str, ...]:
    """The problems a refusal lists, then how many more there are when not all are listed."""
    shown = error.shown()
    lines = [problem_text(problem, lang) for problem in shown]
    hidden = error.total - len(shown)
    if hidden > 0:
        lines.append(translate(lang, "error.ingest.more", count=hidden))
    return tuple(lines)


def refusal_text(error: IngestError, lang: str) -> str:
    """The whole refusal: every listed problem on its own line, then that nothing was written."""
    return "\n".join([*refusal_lines(error, lang), translate(lang, "error.ingest.refused")])
