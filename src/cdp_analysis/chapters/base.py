"""The shape every chapter shares: sections with their coverage, frames, figures and words.

A :class:`~cdp_analysis.report.section.Section` (defined in the report layer, re-exported
here) holds its title and key, its coverage, the frames it publishes after disclosure control,
the rendered figures and tables, and its key messages and recommendations. Every chapter is a
:class:`Chapter`.

A chapter yields its sections in reading order; :func:`key_messages` gathers
the chapter's messages (each once). The executive summary, the printable
document and the consistency test read sections, never the HTML.
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cdp_analysis import stats
from cdp_analysis.areas import Area, NeighbourGroup
from cdp_analysis.errors import BuildError, CdpError, ConfigError, DataFormatError, redact_paths
from cdp_analysis.indicators.neighbours import (
    MIN_NEIGHBOURS,
    NEIGHBOUR_COLUMNS,
    neighbour_columns,
    neighbour_comparison,
)
from cdp_analysis.report import narrative, render
from cdp_analysis.report import neighbours as neighbour_words
from cdp_analysis.report.narrative import KeyMessage
from cdp_analysis.report.section import Section
from cdp_analysis.stats.sdc import DisclosurePolicy, suppress_table
from cdp_analysis.store.coverage import COVERED, Coverage
from cdp_analysis.vocabulary import ROLE_COMPARATOR, ROLE_FOCUS, ROLE_MEMBER

if TYPE_CHECKING:
    from cdp_analysis.chapters.context import ChapterContext

__all__ = ["Chapter", "Section", "key_messages", "unique_messages", "missing_section", "build_section", "build_sections",
           "data_error_sentence", "coverage_rows", "partnership_members", "member_rows",
           "ROLE_FOCUS", "ROLE_MEMBER", "ROLE_COMPARATOR", "MEMBER_LABEL", "NeighbourMeasure", "neighbour_section",
           "with_neighbour_columns", "with_neighbour_average", "with_neighbour_averages",
           "neighbour_average_label", "neighbour_marks", "NEIGHBOUR_AVERAGE_SHORT", "NEIGHBOUR_POINTS_LABEL",
           "NEIGHBOURS_TITLE"]

#: ``focus_compared`` of a member's row: members are shown beside the partnership, never compared with it.
MEMBER_LABEL = "Member authority"


def missing_section(title: str, note: str, key: str = "") -> Section:
    """A section whose data does not cover the area: one plain sentence, no number, no message."""
    return Section(title, coverage=Coverage.missing(note), key=key)


#: Errors that are about the program or its settings, never about the data: they fail the build loudly.
_NOT_DATA_ERRORS = (ConfigError, BuildError)


def data_error_sentence(exc: CdpError, hint: str = "") -> str:
    """One plain sentence saying why a section's data falls short, naming files but never a folder.

    >>> from cdp_analysis.errors import DataShortfallError
    >>> data_error_sentence(DataShortfallError("the data holds 1 month (see /tmp/x/police.csv)"))
    'This section is not shown because the data falls short: the data holds 1 month (see …/police.csv).'
    """
    if isinstance(exc, DataFormatError):
        where = [exc.path.name] if exc.path is not None else []
        where += [f"line {exc.line}"] if exc.line is not None else []
        where += [f"column {exc.column!r}"] if exc.column is not None else []
        reason = (", ".join(where) + ": " if where else "") + exc.reason
        if exc.expected is not None:
            reason += f"; expected {exc.expected}" + (f", found {exc.found}" if exc.found is not None else "")
        lead = "This section is not shown because an input file cannot be read"
    else:
        reason = str(exc)
        lead = "This section is not shown because the data falls short"
    reason = redact_paths(" ".join(reason.split())).strip().rstrip(".")
    reason = reason[:1].lower() + reason[1:] if reason[:2] != reason[:2].upper() else reason
    return f"{lead}: {reason}" + (f" ({hint})" if hint else "") + "."


def build_section(title: str, key: str, build: Callable[[], Section | None], *, hint: str = "") -> Section | None:
    """``build()``, or, when the package reports that the data falls short (a :class:`CdpError`), a missing
    section saying why in one sentence. Every chapter builds its sections through this, so one section's
    shortfall never takes the chapter down; programming errors (anything else) and configuration errors
    still fail the build loudly.
    """
    try:
        section = build()
    except _NOT_DATA_ERRORS:
        raise
    except CdpError as exc:
        return missing_section(title, data_error_sentence(exc, hint), key)
    if section is not None and not section.key:
        section.key = key
    return section


def build_sections(specs: Iterable[tuple[str, str, Callable[[], Section | None]]], *, hint: str = ""
                   ) -> dict[str, Section]:
    """``{key: section}`` in reading order from ``(key, title, builder)`` triples, each through
    :func:`build_section`; a builder returning None (a section that does not apply) is left out."""
    found = {}
    for key, title, build in specs:
        section = build_section(title, key, build, hint=hint)
        if section is not None:
            found[key] = section
    return found


def coverage_rows(sections: Iterable[Section]) -> list[dict]:
    """Each section's key, title, coverage status and note (the coverage summary's rows)."""
    return [{"key": s.key, "title": s.title, "status": s.coverage.status, "note": s.coverage.note}
            for s in sections]


def unique_messages(messages: Iterable[KeyMessage]) -> list[KeyMessage]:
    """Messages in order, each text once; a recommendation already given is not repeated."""
    seen_text: set[str] = set()
    seen_rec: set[str] = set()
    out = []
    for message in messages:
        if message.text in seen_text:
            continue
        seen_text.add(message.text)
        if message.recommendation and message.recommendation in seen_rec:
            message = replace(message, recommendation="")
        seen_rec.add(message.recommendation)
        out.append(message)
    return out


def key_messages(sections: Iterable[Section], synthetic: bool) -> str:
    """The chapter's key messages and recommendations as Markdown (escaped, each once).

    At most :data:`~cdp_analysis.report.narrative.MAX_KEY_MESSAGES`, ranked by
    :func:`~cdp_analysis.report.narrative.ranked`; data gaps in their own list.
    """
    sections = list(sections)
    messages = unique_messages(m for s in sections for m in s.key_messages())
    if not messages:
        notes = list(dict.fromkeys(s.coverage.note for s in sections if not s.shown))
        why = [KeyMessage(n) for n in notes] or [KeyMessage("The data holds nothing for this chapter yet.")]
        return ("The data for this area does not support any key message yet.\n\n"
                + narrative.to_markdown(why, synthetic=synthetic))
    shown, gaps = narrative.ranked(messages)
    return narrative.to_markdown(shown, synthetic=synthetic, gaps=gaps)


class Chapter(ABC):
    """The shape every chapter follows: a context in, sections out, key messages from the sections.

    A chapter class is built from a :class:`~cdp_analysis.chapters.context.ChapterContext`
    (``ctx``) and

    - :meth:`sections` returns ``{key: Section}`` in reading order, built through
      :func:`build_sections` (one section's data shortfall becomes that section's one-sentence
      note, never the chapter's failure); the notebook shows each with
      :func:`cdp_analysis.report.render.show_section`;
    - :meth:`key_messages` gives the chapter's key messages as Markdown, from its sections.

    The computation behind a section lives in :mod:`cdp_analysis.indicators` (frames in, frames
    out); a chapter method assembles one section: it calls the indicators, protects what it
    publishes (:mod:`cdp_analysis.stats.sdc`), charts (:mod:`cdp_analysis.report.charts`),
    renders (:mod:`cdp_analysis.report.render`) and words the findings
    (:mod:`cdp_analysis.report.narrative`). No chapter writes HTML or imports another chapter.
    """

    ctx: Any

    @abstractmethod
    def sections(self) -> dict[str, Section]:
        """``{key: section}`` in reading order, through :func:`build_sections`."""

    def key_messages(self, sections: Mapping[str, Section] | None = None) -> str:
        """The chapter's key messages and recommendations as Markdown (:func:`key_messages`).

        ``sections`` are those already built (the notebook builds them once); by default, :meth:`sections`.
        """
        found = self.sections() if sections is None else sections
        return key_messages(found.values(), bool(self.ctx.synthetic))


def partnership_members(area: Area, registry) -> list[Area]:
    """The member authorities of a partnership (an area of type ``cdp`` listing members), else none.

    A county's districts are not members in this sense: a county is one authority.
    """
    if area.type != "cdp" or not area.members:
        return []
    return registry.listed_members(area.code)


def member_rows(rows: pd.DataFrame, focus_value: float, policy: DisclosurePolicy, *, count_col: str = "count",
                derived: tuple[str, ...] = ("value", "lower_ci", "upper_ci")) -> pd.DataFrame:
    """Member authorities' rows of a headline table: disclosure-controlled together, labelled, not compared.

    The partnership's total is published beside them, so one member hidden would be
    recovered by subtraction: secondary suppression over the members hides the next
    smallest too (:func:`cdp_analysis.stats.sdc.suppress_table`). ``role`` is ``member``,
    ``focus_compared`` is :data:`MEMBER_LABEL` (no key message is written about a
    member), and ``compared_with_partnership`` is the member's 95% interval against
    the partnership's value (``Higher``, ``Similar``, ``Lower`` or ``Not compared``).
    """
    if rows.empty:
        return rows.assign(role=pd.Series(dtype=object), focus_compared=pd.Series(dtype=object),
                           compared_with_partnership=pd.Series(dtype=object), suppressed=pd.Series(dtype=bool))
    out = suppress_table(rows, count_col, policy=policy, derived_cols=derived, total_published=True)
    out["role"] = ROLE_MEMBER
    out["focus_compared"] = MEMBER_LABEL
    usable = focus_value == focus_value
    out["compared_with_partnership"] = [
        stats.compare_to_benchmark(lo, hi, focus_value, polarity="NoJudgement")
        if usable and lo == lo and hi == hi else "Not compared"
        for lo, hi in zip(out["lower_ci"].astype(float), out["upper_ci"].astype(float), strict=True)
    ]
    return out


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
#: The title of every chapter's neighbour section.
NEIGHBOURS_TITLE = "Among its statistical neighbours"


@dataclass(frozen=True)
class NeighbourMeasure:
    """A measure a chapter compares with the neighbours: its id in the values frame and its words."""

    measure: str
    label: str  # the table's and chart's name: "Drug offences per 1,000 residents"
    what: str  # in a sentence: "drug offence rate"
    unit: str  # "%" or "per 1,000 residents"
    polarity: str = "NoJudgement"
    period: str = ""
    theme: str = ""
    source: str = ""  # the chart's source line, when not the section's


def neighbour_section(area: Area, group: NeighbourGroup, values: pd.DataFrame, measures: list[NeighbourMeasure],
                      *, names: dict[str, str], synthetic: bool, source: str,
                      policy: DisclosurePolicy | None = None, key: str = "neighbours",
                      title: str = NEIGHBOURS_TITLE, decimals: int = 1) -> Section:
    """The area among its neighbour group on a chapter's headline measures (every chapter's one helper).

    ``values`` holds ``measure, area_code, value`` (``lower_ci, upper_ci`` for the area's
    comparison; ``count, denominator, multiplier`` for a pooled average) of the area and
    its neighbours, as :func:`cdp_analysis.indicators.neighbours.neighbour_comparison`
    reads them. With ``policy``, a row whose count is in the suppressed range is hidden
    (its value too) and takes no part in the average or the rank. Measures without enough
    neighbours' values are listed in one sentence each, with no number; with none at all
    the section is missing with one sentence. A chart is drawn for the first (headline)
    measure and for each measure that differs significantly from the neighbour average; the
    others are in the table and in one sentence.
    """
    if not group.areas:
        return missing_section(title, f"{group.description} So this page compares {area.name} with its region "
                                      "and England only.", key)
    values = values.copy()
    if policy is not None and "count" in values:
        values["suppressed"] = policy.primary(values["count"])
    rows, summary = neighbour_comparison(values, area.code, group.codes,
                                         polarity={m.measure: m.polarity for m in measures})
    by_id = {m.measure: m for m in measures}
    summary = summary[summary["measure"].isin(list(by_id))]
    summary = summary.assign(_order=summary["measure"].map(list(by_id).index)).sort_values("_order", kind="stable")
    summary = summary.drop(columns="_order").reset_index(drop=True)
    compared = summary[summary["reason"] == ""]
    if compared.empty:
        return missing_section(title, f"{area.name} is not compared with {group.name} on this page: for each measure "
                                      f"here the data holds the values of fewer than {_WORDS[MIN_NEIGHBOURS]} of "
                                      "them, so no neighbour average is formed.", key)
    labels = {m.measure: m.label for m in measures}
    table = neighbour_words.summary_table(summary, labels, area.name)
    shown = neighbour_words.values_table(rows, names, labels)
    items = [neighbour_words.group_note_html(area.name, group.name, group.description,
                                             [names.get(c, c) for c in group.codes]),
             render.table_html(table, f"{area.name} among {group.name}: value, neighbour average and rank",
                               synthetic=synthetic, formats={area.name: f",.{decimals}f",
                                                             "Neighbour average": f",.{decimals}f"})]
    messages, similar = [], []
    for _, r in summary.iterrows():
        m = by_id[r["measure"]]
        text = neighbour_words.sentence(area.name, m.what, r, rows, group=group.name, unit=m.unit,
                                        period=m.period, decimals=decimals)
        if r["reason"]:
            messages.append(KeyMessage(text, key=False, rank=narrative.RANK_CONTEXT))
            continue
        differs = r["compared"] not in ("Similar", "Not compared") or neighbour_words.supports_highest(rows, r)
        if differs or r["measure"] == measures[0].measure:  # the headline measure, and those that differ
            chart = neighbour_words.neighbour_chart(rows, r, names=names, title=f"{m.label}: {area.name} among "
                                                    f"{group.name}" + (f", {m.period}" if m.period else ""),
                                                    xlabel=m.label, source=m.source or source,
                                                    synthetic=synthetic)
            items.append(render.chart_html(chart))
        if r["compared"] == "Similar" and not neighbour_words.supports_highest(rows, r):
            similar.append(m.what)
            continue
        worse = r["compared"] == "Worse"
        rank = {"Worse": narrative.RANK_WORSE, "Better": narrative.RANK_BETTER, "Higher": narrative.RANK_DIFFERS,
                "Lower": narrative.RANK_DIFFERS}.get(r["compared"], narrative.RANK_CONTEXT)
        rec = (f"Ask why the {m.what} in {area.name} is worse than the average of {group.name}, and learn from "
               "the best of them."
               if worse else "")
        messages.append(KeyMessage(text, rec, m.theme, key=rank > narrative.RANK_CONTEXT, rank=rank))
    if similar:
        messages.append(KeyMessage(neighbour_words.similar_sentence(area.name, similar, group.name), key=False,
                                   rank=narrative.RANK_CONTEXT))
    lacking = summary[summary["reason"] != ""]
    coverage = COVERED if lacking.empty else Coverage.partial(
        f"{len(compared)} of the {len(summary)} measures are compared with {group.name}; for the others the data "
        "holds too few of the neighbours' values (each is named below).")
    return Section(title, items, messages, coverage, {"neighbours": table, "neighbour_values": shown}, key)


def with_neighbour_columns(table: pd.DataFrame, key: str, area: Area, group: NeighbourGroup, values: pd.DataFrame,
                           *, polarity: str | Mapping[str, str] = "NoJudgement",
                           policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """A headline table with the neighbour average, the area's rank and its comparison with the average.

    ``table[key]`` holds the measure ids of ``values`` (as :func:`neighbour_section` reads
    them); the columns are :data:`~cdp_analysis.indicators.neighbours.NEIGHBOUR_COLUMNS`
    (:func:`~cdp_analysis.indicators.neighbours.neighbour_columns`). With ``policy``, a row
    whose count is in the suppressed range takes no part. Without a group, or on an empty
    table, the table is returned unchanged (the neighbour section says why).
    """
    if not group.areas or table.empty:
        return table
    values = values.copy()
    if policy is not None and "count" in values:
        values["suppressed"] = policy.primary(values["count"])
    columns = (pd.DataFrame(columns=["measure", *NEIGHBOUR_COLUMNS]) if values.empty else
               neighbour_columns(values, area.code, group.codes, polarity=polarity))
    merged = table.drop(columns=[c for c in NEIGHBOUR_COLUMNS if c in table]).merge(
        columns.rename(columns={"measure": key}), on=key, how="left")
    merged["neighbour_compared"] = merged["neighbour_compared"].fillna("Not compared")
    merged["neighbour_rank"] = merged["neighbour_rank"].fillna("")
    merged["neighbour_note"] = merged["neighbour_note"].fillna("the data holds no neighbour values for it")
    return merged


def neighbour_average_label(group: NeighbourGroup) -> str:
    """How a comparison table and its sentence name the neighbour average ("the average of its statistical
    neighbours")."""
    return f"the average of {group.name}"


#: How a chart's axis names the neighbour average (tables and sentences keep :func:`neighbour_average_label`'s words).
NEIGHBOUR_AVERAGE_SHORT = "Neighbour average"


#: How a chart's legend and alt text name the neighbours' own values drawn on the average's bar.
NEIGHBOUR_POINTS_LABEL = "Each neighbour's value"


def neighbour_marks(chart_data: pd.DataFrame, group: NeighbourGroup, area: Area | None = None,
                    values: pd.DataFrame | None = None, *, label: str = "area", measure: str | None = None,
                    by: str | None = None, policy: DisclosurePolicy | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`cdp_analysis.report.charts.rate_bars` for a comparison chart whose data
    may hold the neighbour average row (:func:`with_neighbour_average`, its name in ``area``).

    The axis names the row :data:`NEIGHBOUR_AVERAGE_SHORT` (the alt text keeps the full words). With
    ``area`` and ``values`` (the frame :func:`with_neighbour_average` read), the neighbours' own values
    are faint points on the average's bar (keyed by the bar's name, ``chart_data[label]``): those of
    ``measure``, or of the row's ``by`` category. Exactly the neighbours behind the average: a value
    missing or suppressed (with ``policy``, a count of 1 to 4) is never drawn. Empty without the row.
    """
    long = neighbour_average_label(group)
    if not group.areas or "area" not in chart_data or not (chart_data["area"] == long).any():
        return {}
    marks: dict[str, Any] = {"short": {long: NEIGHBOUR_AVERAGE_SHORT}}
    if area is None or values is None or values.empty:
        return marks
    points = {}
    for _, row in chart_data[chart_data["area"] == long].iterrows():
        part = values[values["measure"] == (measure if by is None else str(row[by]))].copy()
        if policy is not None and "count" in part:
            part["suppressed"] = policy.primary(part["count"]) | (
                part["suppressed"].astype("boolean").fillna(False).to_numpy(bool) if "suppressed" in part else False)
        if part.empty:
            continue
        rows, _ = neighbour_comparison(part, area.code, group.codes)
        shown = rows[(rows["role"] == "neighbour") & rows["value"].notna()]
        if len(shown) >= MIN_NEIGHBOURS:
            points[str(row[label])] = shown["value"].astype(float).tolist()
    if points:
        marks.update(points=points, points_label=NEIGHBOUR_POINTS_LABEL)
    return marks


def with_neighbour_average(table: pd.DataFrame, measure: str, area: Area, group: NeighbourGroup,
                           values: pd.DataFrame, *, polarity: str = "NoJudgement",
                           policy: DisclosurePolicy | None = None, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """A comparison table (the area, its members, region and England: ``area, area_code, role, value,
    lower_ci, upper_ci, focus_compared, suppressed`` ...) with one more comparator row: the neighbour
    average of ``measure`` (:func:`with_neighbour_columns`' rules), the area's interval against it in
    ``focus_compared`` so the chart, the table and the sentence read it as they read England.

    The row has no count, denominator or interval (it is a benchmark value). Without a group, or with
    fewer than two neighbours' values, the table is returned unchanged: the neighbour section says why
    in words.
    """
    if not group.areas or table.empty or values.empty:
        return table
    values = values[values["measure"] == measure].copy()
    if policy is not None and "count" in values:
        values["suppressed"] = policy.primary(values["count"])
    if values.empty:
        return table
    found = neighbour_columns(values, area.code, group.codes, polarity=polarity)
    if found.empty or found["neighbour_note"].iloc[0]:
        return table
    own_rows = table[table["role"] == ROLE_FOCUS] if "role" in table else table[table["area_code"] == area.code]
    if own_rows.empty:
        return table
    own = own_rows.iloc[0]
    row: dict[str, object] = dict.fromkeys(table.columns, np.nan)
    row.update({"area": neighbour_average_label(group), "area_code": "", "role": ROLE_COMPARATOR,
                "value": float(found["neighbour_average"].iloc[0]),
                "focus_compared": str(found["neighbour_compared"].iloc[0]), "suppressed": False})
    for column in ("period", "months_with_data", "crime_type", *keep):
        if column in table:
            row[column] = own[column]
    if "compared_with_partnership" in table:
        row["compared_with_partnership"] = "Not compared"
    extra = pd.DataFrame([{k: v for k, v in row.items() if not (isinstance(v, float) and v != v)}])
    return pd.concat([table, extra], ignore_index=True)[list(table.columns)]


def with_neighbour_averages(table: pd.DataFrame, by: str, area: Area, group: NeighbourGroup, values: pd.DataFrame,
                            *, polarity: str = "NoJudgement", policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """:func:`with_neighbour_average` for each category of ``by`` (its measure id in ``values``), the
    average's row after the category's rows."""
    if not group.areas or table.empty or values.empty:
        return table
    parts = [with_neighbour_average(part, str(category), area, group, values, polarity=polarity, policy=policy,
                                    keep=(by,))
             for category, part in table.groupby(by, sort=False)]
    return pd.concat(parts, ignore_index=True)


# -- since the last assessment ----------------------------------------------------------------
SINCE_TITLE = "Since the last assessment"
SINCE_KEY = "since"
SINCE_RULE = ("Each headline indicator's latest period in this edition is compared with the latest period the "
              "earlier edition held that covers the same months of the year and is as long (twelve months to "
              "December with twelve months to December, a financial year with a financial year), every month "
              "held. A change is significant when the two periods' 95% confidence intervals do not overlap; "
              "better or worse follows the indicator's direction, and police-recorded crime that reflects "
              "police activity is not judged.")


def since_last_assessment(ctx: ChapterContext, headline: Callable[[ChapterContext], pd.DataFrame], *,
                          what: str) -> Section:
    """The section "Since the last assessment": this edition's headline indicators against the earlier edition's.

    Parameters
    ----------
    ctx
        The chapter's :class:`~cdp_analysis.chapters.context.ChapterContext`; ``ctx.earlier`` is
        the earlier edition (``[assessment] previous_years`` before, or ``--since``).
    headline
        The chapter's headline series (:data:`cdp_analysis.indicators.change.SERIES_COLUMNS`) from a
        context: called on ``ctx`` and on ``ctx.earlier``, so both editions are computed the same way.
    what
        What the chapter's headline indicators are, for the sentences (``"drug offences and crime"``).

    A data shortfall of the earlier edition is one plain sentence (a missing section); of the current
    edition it becomes a missing section through :func:`build_section`.
    """
    from cdp_analysis.indicators import change as changes
    from cdp_analysis.store.editions import month_label

    current = headline(ctx)
    earlier_label = month_label(ctx.earlier_month)
    try:
        earlier = headline(ctx.earlier)
    except _NOT_DATA_ERRORS:
        raise
    except CdpError:
        earlier = pd.DataFrame(columns=changes.SERIES_COLUMNS)
    held_before = not earlier.empty and earlier["value"].notna().any()
    if current.empty:
        return missing_section(SINCE_TITLE, f"The data holds none of the headline indicators of {what} for "
                               f"{ctx.area.name}, so what changed since {earlier_label} cannot be said.", SINCE_KEY)
    if not held_before:
        return missing_section(SINCE_TITLE, f"The edition of {earlier_label} held none of the headline indicators "
                               f"of {what} for {ctx.area.name}, so what changed since then cannot be said.",
                               SINCE_KEY)
    table = changes.compare_editions(current, earlier)
    messages = _since_messages(table, ctx.area.name, earlier_label)
    shown = _since_table(table)
    edition = month_label(ctx.edition_month)
    item = render.table_html(shown, f"Headline indicators of {what}, {ctx.area.name}: the edition of "
                             f"{earlier_label} and this edition ({edition})",
                             synthetic=bool(getattr(ctx, "synthetic", False)))
    rule = f'<p class="cdp-table-note">{html.escape(SINCE_RULE)}</p>'
    # the earlier edition's month travels with the comparison (the board summary names it)
    return Section(SINCE_TITLE, [item, rule], messages, COVERED,
                   {"since_last_assessment": table.assign(earlier_edition=earlier_label)}, SINCE_KEY)


def _since_value(value: float, unit: str) -> str:
    return "–" if value != value else narrative.with_unit(narrative.number(value, 1), unit)


def _since_table(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison as a reader sees it: one row per indicator, change in words."""
    words = {"Increased": "Rose significantly", "Decreased": "Fell significantly",
             "No significant change": "No significant change", "Not compared": "Not compared"}
    status = []
    for _, r in table.iterrows():
        if r["status"] == "compared":
            text = words[r["result"]] + (f" ({r['judgement']})" if r["judgement"] else "")
        elif r["status"] in ("new", "retired"):
            text = "New since the earlier edition" if r["status"] == "new" else "No longer in the data"
        else:
            text = f"Not compared: {r['reason']}"
        status.append(text)
    return pd.DataFrame({
        "Indicator": table["indicator"],
        "Earlier edition: period": table["earlier_period"].fillna("–"),
        "Earlier edition: value": [_since_value(v, u) for v, u in zip(table["earlier_value"], table["unit"], strict=True)],
        "This edition: period": table["current_period"].fillna("–"),
        "This edition: value": [_since_value(v, u) for v, u in zip(table["current_value"], table["unit"], strict=True)],
        "Change": status,
    })


def _since_messages(table: pd.DataFrame, area: str, earlier_label: str) -> list[KeyMessage]:
    """A sentence per significant change (the key messages), then what did not change, what is new or gone."""
    messages = []
    compared = table[table["status"] == "compared"]
    for _, r in compared[compared["result"].isin(["Increased", "Decreased"])].iterrows():
        verb = "rose" if r["result"] == "Increased" else "fell"
        judged = f", a change for the {r['judgement']}" if r["judgement"] else ""
        text = (f"Since the edition of {earlier_label}, {r['indicator'][:1].lower() + r['indicator'][1:]} in "
                f"{area} {verb} significantly, from {_since_value(r['earlier_value'], r['unit'])} "
                f"({r['earlier_period']}) to {_since_value(r['current_value'], r['unit'])} ({r['current_period']})"
                f"{judged}.")
        if r["judgement"] == "worse":
            messages.append(KeyMessage(text, f"Find out with partners why {r['indicator'][:1].lower()}"
                                       f"{r['indicator'][1:]} has worsened since the last assessment.",
                                       "Change since the last assessment", rank=narrative.RANK_GETTING_WORSE))
        else:
            rank = narrative.RANK_BETTER if r["judgement"] == "better" else narrative.RANK_DIFFERS
            messages.append(KeyMessage(text, "", "Change since the last assessment", rank=rank))
    if compared.empty:
        messages.append(KeyMessage(f"None of the headline indicators held for {area} can be compared like for like "
                                   f"with the edition of {earlier_label}: each is listed below with the reason.",
                                   rank=narrative.RANK_CONTEXT))
    steady = compared[compared["result"] == "No significant change"]["indicator"].tolist()
    if steady:
        messages.append(KeyMessage(f"No significant change since the edition of {earlier_label}: "
                                   f"{narrative.join_words(steady)}.", key=not messages,
                                   rank=narrative.RANK_CONTEXT))
    for status, lead in (("new", f"New since the edition of {earlier_label}"),
                         ("retired", "No longer in the data (shown in the earlier edition)")):
        names = table.loc[table["status"] == status, "indicator"].tolist()
        if names:
            messages.append(KeyMessage(f"{lead}: {narrative.join_words(names)}.", key=False))
    apart = table[table["status"].isin(["not comparable", "not updated"])]
    for reason, rows in apart.groupby("reason", sort=False):
        names = rows["indicator"].tolist()
        verb = "is" if len(names) == 1 else "are"
        messages.append(KeyMessage(f"{narrative.join_words(names)} {verb} not compared: {reason}.", key=False))
    return messages
