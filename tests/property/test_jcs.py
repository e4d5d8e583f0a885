"""mlbom's fast canonicalization path equals the rfc8785 package's output on every document
it accepts."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from mlbom.jsf import canonicalize

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_fast_path_equals_rfc8785(doc: object) -> None:
    assert canonicalize(doc) == rfc8785.dumps(doc)  # type: ignore[arg-type]


def test_floats_and_astral_characters_take_the_reference_path() -> None:
    assert canonicalize({"a": 100.0}) == b'{"a":100}'
    assert canonicalize({"a": [1e21, 0.1, -0.0]}) == rfc8785.dumps({"a": [1e21, 0.1, -0.0]})
    assert canonicalize({"\U0001f600": 1, "\ue000": 2}) == rfc8785.dumps({"\U0001f600": 1, "\ue000": 2})


def test_unsafe_integers_are_refused() -> None:
    import pytest

    from mlbom.jsf import SignatureFormatError

    with pytest.raises(SignatureFormatError, match="safe integer"):
        canonicalize({"n": 2**53})
