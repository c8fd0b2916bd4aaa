"""The secrets in e-mailed links (chalicelib.tokens): capabilities stored only as hashes, the
keyed address hash, and unsubscribe tokens that cannot be forged or moved to another address."""

from __future__ import annotations

import pytest

from chalicelib import config, tokens


@pytest.fixture(autouse=True)
def key(api_env: dict[str, str]) -> None:
    """The app's environment (the key is IP_HASH_KEY)."""


def test_a_capability_is_random_well_formed_and_stored_only_as_its_digest():
    first, second = tokens.new_capability(), tokens.new_capability()
    assert first[0] != second[0]
    token, digest = first
    assert tokens.well_formed(token) and token not in digest
    assert tokens.digest(token) == digest and len(digest) == 64
    for bad in ("", token[:-1], token + "A", token[:-1] + "!", "../" + token[3:]):
        assert not tokens.well_formed(bad)


def test_the_address_hash_ignores_case_and_spaces_and_needs_the_key(monkeypatch, api_env):
    same = tokens.address_hash(" Maria@Example.GR ")
    assert same == tokens.address_hash("maria@example.gr")
    assert same != tokens.address_hash("maria2@example.gr")
    monkeypatch.setenv("IP_HASH_KEY", "another-key")
    config.reset()
    assert tokens.address_hash("maria@example.gr") != same


def test_unsubscribe_tokens_round_trip_and_refuse_forgeries():
    token = tokens.unsubscribe_token("maria@example.gr")
    assert tokens.read_unsubscribe(token) == (tokens.ALL, tokens.address_hash("maria@example.gr"))
    scoped = tokens.unsubscribe_token("maria@example.gr", "anoichti")
    assert tokens.read_unsubscribe(scoped)[0] == "anoichti"
    payload, signature = token.rsplit(".", 1)
    other = tokens.unsubscribe_token("nikos@example.gr").rsplit(".", 1)[0]
    for forged in (f"{other}.{signature}", f"{payload}.{'0' * 32}", payload, "", "a.b.c", "%%%.x"):
        assert tokens.read_unsubscribe(forged) is None
