from __future__ import annotations

import pytest

from secloop.release.stats.outliers import percentile, remove_outliers


def test_percentile_follows_commons_math_not_numpy() -> None:
    ordered = [float(v) for v in range(1, 11)]
    # position p(n+1)/100: 2.75 and 8.25 (numpy's default gives 3.25 and 7.75)
    assert percentile(ordered, 25) == 2.75
    assert percentile(ordered, 75) == 8.25
    assert percentile(ordered, 50) == 5.5
    assert percentile([4.0, 9.0], 25) == 4.0  # position 0.75 < 1 clamps to the minimum
    assert percentile([4.0, 9.0], 75) == 9.0  # position 2.25 >= n clamps to the maximum
    assert percentile([7.0], 100) == 7.0


def test_percentile_rejects_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="percentile of no values"):
        percentile([], 25)
    with pytest.raises(ValueError, match=r"must be in \(0, 100\]"):
        percentile([1.0], 0)


def test_tukey_fences_drop_values_outside_factor_times_iqr() -> None:
    values = [float(v) for v in range(1, 11)] + [40.0, -30.0]
    trimmed = remove_outliers(values, 3.0)
    # sorted: -30, 1..10, 40; positions 3.25 and 9.75 -> Q1 = 2.25, Q3 = 8.75, IQR 6.5
    assert trimmed.fences == (2.25 - 19.5, 8.75 + 19.5)
    assert trimmed.removed == 2
    assert trimmed.kept == [float(v) for v in range(1, 11)]
    loose = remove_outliers(values, 5.0)  # fences -30.25 and 41.25 keep both
    assert (loose.removed, loose.kept) == (0, values)


def test_no_values_and_a_bad_factor() -> None:
    assert remove_outliers([], 3.0).removed == 0
    with pytest.raises(ValueError, match="greater than zero"):
        remove_outliers([1.0], 0.0)
