"""Submission ids sort by time; references look like NS-XXXXXX."""

import re

from chalicelib import ids


def test_ids_are_26_lowercase_crockford_characters_ordered_by_time():
    made = [ids.new_id(now_ms=ms) for ms in (1_000, 1_001, 1_700_000_000_000, 1_700_000_000_001)]
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{26}", i) for i in made)
    assert made == sorted(made)
    assert len({ids.new_id(now_ms=5) for _ in range(200)}) == 200  # random tail


def test_references_are_ns_and_six_crockford_characters():
    refs = {ids.new_reference() for _ in range(200)}
    assert all(re.fullmatch(r"NS-[0-9A-HJKMNP-TV-Z]{6}", r) for r in refs)
    assert len(refs) > 190
