"""Properties that must hold for any data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from experiments.stats import compare
from tests.experiments.factories import cuped_stats_of, mean_stats_of, ratio_stats_of

values = st.floats(min_value=-1_000, max_value=1_000, allow_nan=False, allow_subnormal=False)
positive = st.floats(min_value=0.5, max_value=100, allow_nan=False)


def samples(elements=values, min_size: int = 3, max_size: int = 40):
    return st.integers(min_size, max_size).flatmap(
        lambda n: arrays(np.float64, n, elements=elements)
    )


def _spread(array: np.ndarray) -> float:
    return float(np.std(array))


def _compare(control, variant, **options):
    return compare(control, variant, metric="m", control_name="c", variant_name="v", **options)


@settings(max_examples=200, deadline=None)
@given(samples(), samples(), st.floats(min_value=-500, max_value=500, allow_nan=False))
def test_adding_a_constant_to_every_value_leaves_effect_and_p_value_unchanged(
    control, variant, constant
):
    assume(_spread(control) > 1e-3 and _spread(variant) > 1e-3)
    assume(abs(control.mean()) > 1e-3 and abs(control.mean() + constant) > 1e-3)

    before = _compare(mean_stats_of(control), mean_stats_of(variant))
    after = _compare(mean_stats_of(control + constant), mean_stats_of(variant + constant))

    scale = max(1.0, float(np.abs(np.concatenate([control, variant])).max()), abs(constant))
    assert after.absolute_effect == pytest.approx(before.absolute_effect, abs=1e-9 * scale)
    assert after.p_value == pytest.approx(before.p_value, rel=1e-6, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(samples(), samples())
def test_swapping_the_arms_flips_the_sign_of_the_effect(control, variant):
    assume(_spread(control) > 1e-3 and _spread(variant) > 1e-3)
    assume(abs(control.mean()) > 1e-3 and abs(variant.mean()) > 1e-3)

    forward = _compare(mean_stats_of(control), mean_stats_of(variant))
    backward = _compare(mean_stats_of(variant), mean_stats_of(control))

    assert backward.absolute_effect == pytest.approx(-forward.absolute_effect, rel=1e-12)
    assert backward.statistic == pytest.approx(-forward.statistic, rel=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-12)
    assert backward.absolute_ci == pytest.approx(
        (-forward.absolute_ci[1], -forward.absolute_ci[0]), rel=1e-12, abs=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(samples(min_size=6), samples(min_size=6), st.data())
def test_segment_statistics_add_up_to_the_whole_and_give_the_same_result(control, variant, data):
    assume(_spread(control) > 1e-3 and _spread(variant) > 1e-3)
    assume(abs(control.mean()) > 1e-3)
    split_c = data.draw(st.integers(1, len(control) - 1))
    split_v = data.draw(st.integers(1, len(variant) - 1))

    summed_c = mean_stats_of(control[:split_c]) + mean_stats_of(control[split_c:])
    summed_v = mean_stats_of(variant[:split_v]) + mean_stats_of(variant[split_v:])
    whole = _compare(mean_stats_of(control), mean_stats_of(variant))
    from_segments = _compare(summed_c, summed_v)

    assert summed_c.n == len(control)
    assert summed_c.sum == pytest.approx(control.sum(), abs=1e-9 * max(1, np.abs(control).sum()))
    assert from_segments.absolute_effect == pytest.approx(whole.absolute_effect, rel=1e-9, abs=1e-9)
    assert from_segments.p_value == pytest.approx(whole.p_value, rel=1e-6, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    samples(positive, min_size=6),
    samples(positive, min_size=6),
    samples(positive, min_size=6),
    st.data(),
)
def test_ratio_and_cuped_segments_add_up_to_the_whole(first, second, third, data):
    size = min(len(first), len(second), len(third))
    numerators, denominators, pre = first[:size], second[:size], third[:size]
    split = data.draw(st.integers(1, size - 1))

    ratio_whole = ratio_stats_of(numerators, denominators)
    ratio_summed = ratio_stats_of(numerators[:split], denominators[:split]) + ratio_stats_of(
        numerators[split:], denominators[split:]
    )
    cuped_whole = cuped_stats_of(numerators, pre)
    cuped_summed = cuped_stats_of(numerators[:split], pre[:split]) + cuped_stats_of(
        numerators[split:], pre[split:]
    )

    assert ratio_summed.n == ratio_whole.n and cuped_summed.n == cuped_whole.n
    assert ratio_summed.mean == pytest.approx(ratio_whole.mean, rel=1e-12)
    assert ratio_summed.variance == pytest.approx(ratio_whole.variance, rel=1e-6, abs=1e-9)
    assert cuped_summed.covariance == pytest.approx(cuped_whole.covariance, rel=1e-6, abs=1e-9)


def test_adding_statistics_of_different_kinds_is_refused():
    rng = np.random.default_rng(1)
    with pytest.raises(TypeError, match="same statistic kind"):
        mean_stats_of(rng.random(5)) + cuped_stats_of(rng.random(5), rng.random(5))
