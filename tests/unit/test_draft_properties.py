"""Property-based: no JSON a server or a user can send makes the draft parser, its summary or its
diff raise, and what it writes back parses to the same draft."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from addmusic.protocol.draft import Draft, draft_diff

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                           max_leaves=30)
numbers = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    [float("inf"), float("-inf"), float("nan"), 10**30, -1, "12", "1e400", True]))
values = st.one_of(numbers, json_values)
keys = st.sampled_from(["id", "n", "src", "st", "d", "in", "v", "fi", "fo", "duck", "tx", "pos", "wf", "x"])
segments = st.dictionaries(keys, values, max_size=10)
tracks = st.fixed_dictionaries({"tt": st.one_of(st.sampled_from([0, 1, 7]), json_values)},
                               optional={"sg": st.one_of(st.lists(st.one_of(segments, json_values), max_size=5),
                                                         json_values)})
drafts = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={"t": st.one_of(st.lists(st.one_of(tracks, json_values), max_size=4),
                                                       json_values),
                                        "d": values, "m": st.one_of(st.dictionaries(
                                            st.sampled_from(["width", "height", "loudness", "xf", "title"]),
                                            values), json_values)}),
)


@settings(max_examples=400, deadline=None)
@given(drafts)
def test_any_json_parses_summarises_and_diffs(raw: object) -> None:
    draft = Draft.from_json(raw)
    assert isinstance(draft.summary(), str)
    assert draft.end >= 0
    draft_diff(Draft(), draft)
    draft_diff(draft, Draft())
    again = Draft.from_json(draft.to_json())
    assert again.summary() == draft.summary()
    assert again.end == draft.end


@settings(max_examples=200, deadline=None)
@given(drafts)
def test_engine_validation_refuses_or_accepts_but_never_crashes(raw: object) -> None:
    from addmusic.engine import validate

    try:
        draft = validate.parse(raw)
    except validate.DraftRejected as exc:
        assert str(exc)
        return
    sources = validate.Sources({}, {})
    try:
        validate.resolve(draft, {}, {}, lambda media_id: f"/nonexistent/{media_id}.wav")
        validate.check_bounds(draft, sources, {})
    except validate.DraftRejected as exc:
        assert str(exc)
