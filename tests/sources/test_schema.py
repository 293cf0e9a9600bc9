"""The tidy indicator table validates on construction and names failing rows."""

import pandas as pd
import pytest

from cdp_analysis.errors import SchemaError
from cdp_analysis.sources.schema import INDICATOR_COLUMNS, indicator_table


def _row(**kw):
    row = {"area_code": "E09000003", "indicator_id": "92432", "period": "2019 - 21",
           "value": 5.2, "lower_ci": 3.9, "upper_ci": 6.8, "count": 55, "denominator": 389000}
    row.update(kw)
    return row


def test_builds_all_columns_in_order_with_types():
    table = indicator_table([_row()])
    assert list(table.columns) == list(INDICATOR_COLUMNS)
    assert table["value"].dtype == "Float64" and table["area_code"].dtype == "string"
    assert table.loc[0, "count"] == 55


def test_missing_required_column():
    with pytest.raises(SchemaError, match="indicator_id"):
        indicator_table(pd.DataFrame([{"area_code": "E09000003", "period": "2020", "value": 1.0}]))


@pytest.mark.parametrize(("bad", "column", "words"), [
    ({"count": -1}, "count", "negative"),
    ({"lower_ci": 7.0}, "lower_ci", "above the value"),
    ({"upper_ci": 5.0}, "upper_ci", "below the value"),
    ({"value": "abc"}, "value", "not a number"),
    ({"polarity": "Sideways"}, "polarity", "unknown polarity"),
])
def test_invalid_rows_are_named(bad, column, words):
    rows = [_row(), _row(area_code="E09000030", **bad)]
    with pytest.raises(SchemaError) as info:
        indicator_table(rows, source="test.csv")
    text = str(info.value)
    assert words in text and f"'{column}'" in text and "row 1" in text and "E09000030" in text


def test_suppressed_value_is_missing_not_zero():
    table = indicator_table([_row(value=None, lower_ci=None, upper_ci=None, value_note="Count < 10")])
    assert pd.isna(table.loc[0, "value"])
