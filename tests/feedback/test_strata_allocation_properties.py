"""Properties of the per-stratum sample sizes, for any population (hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from feedback.surveys.services.surveys import strata_allocate

populations = st.dictionaries(
    st.tuples(st.sampled_from("ZBSNYFQ"), st.sampled_from("123"), st.sampled_from("CX")),
    st.integers(min_value=1, max_value=5000),
    min_size=1,
    max_size=20,
)


@given(populations, st.integers(min_value=1, max_value=3000), st.integers(min_value=0, max_value=10))
def test_proportional_sizes_stay_within_the_stratum_and_reach_the_minimum(pops, n, minimum):
    sizes = strata_allocate(
        populations=pops, allocation="proportional", sample_size=n, min_per_stratum=minimum, per_stratum=0
    )
    total = sum(pops.values())
    assert set(sizes) == set(pops)
    for key, size in sizes.items():
        assert 0 <= size <= pops[key]
        assert size >= min(minimum, pops[key])
        # never further than rounding from the proportional share, unless lifted to the minimum or capped
        share = n * pops[key] / total
        lifted_or_capped = size in (minimum, pops[key])
        assert lifted_or_capped or abs(size - share) <= 0.5 + 1e-9


@given(populations, st.integers(min_value=1, max_value=100))
def test_fixed_sizes_take_n_or_the_whole_stratum(pops, n):
    sizes = strata_allocate(
        populations=pops, allocation="fixed", sample_size=0, min_per_stratum=0, per_stratum=n
    )
    assert sizes == {key: min(n, population) for key, population in pops.items()}
