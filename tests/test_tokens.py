"""The secrets in e-mailed links (chalicelib.tokens): capabilities stored only as hashes, the
keyed address hash, and unsubscribe tokens that cannot be forged or moved to another address."""

from __future__ import annotations

import pytest

from chalicelib import config, tokens


@pytest.fixture(autouse=True)
def key(api_env: dict[str, str]) -> None:
    """The app's environment (the key is IP_HASH_KEY)."""


def test_a_link_names_its_item_and_keeps_only_the_digest_of_its_secret():
    first, second = tokens.new_link("abc123"), tokens.new_link("abc123")
    assert first[0] != second[0]
    token, digest = first
    ref, secret = token.split(".")
    assert ref == "abc123" and secret not in digest and len(digest) == 64
    assert tokens.read_link(token) == ("abc123", digest)
    assert tokens.same(digest, tokens.read_link(token)[1])
    assert not tokens.same(second[1], digest) and not tokens.same(None, digest)
    slug_link, _ = tokens.new_link("anoichti.0f3a")
    assert tokens.read_link(slug_link)[0] == "anoichti.0f3a"
    for bad in ("", secret, token[:-1], token + "A", token[:-1] + "!", "ABC." + secret,
                "../x." + secret, "a..b." + secret):  # fmt: skip
        assert tokens.read_link(bad) is None, bad


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
