"""The demo content and the demo snapshot obey docs/contracts.md.

The metadata header is parsed here on purpose, not through the site plugins: the content is
checked against the written contract, so a plugin bug cannot hide a content bug (or the reverse).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import markdown
import pytest

from chalicelib.spec import limits, snapshot_schema

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SNAPSHOT = ROOT / "tests" / "fixtures" / "snapshot.json"
ATHENS = ZoneInfo("Europe/Athens")
DEMO_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ATHENS)  # the "now" the demo is written for

CONSULTATION_FIELDS = {"Title", "Slug", "Summary", "Theme", "Opens", "Closes", "Order", "Contact"}
TEXT_FIELDS = {"Title", "Slug", "Kind", "Order", "Budget", "Location", "Department", "Consulted"}
PAGE_SLUGS = {"schetika", "oroi-symmetochis", "prosopika-dedomena", "prosvasimotita"}
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EXPLICIT_ID_RE = re.compile(r"^\{#([^}\s]+)\}$", re.MULTILINE)
EMAIL_RE = re.compile(r"[^\s@\"]+@[^\s@\"]+\.[a-z]{2,}", re.IGNORECASE)
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

# --- ELOT 743 (transcription), enough to check the slugs staff wrote -------------------------

_LETTERS = {
    **dict(zip("αβγδεζηικλμνξοπρσςτυφωϊϋ", "avgdeziiklmnxoprsstyfoiy", strict=True)),
    **{"θ": "th", "χ": "ch", "ψ": "ps"},
}
_PAIRS = {"ου": "ou", "γγ": "ng", "γκ": "gk", "γξ": "nx", "γχ": "nch", "ντ": "nt"}
_VOICED = set("αεηιουωάέήίόύώϊϋβγδζλμνρ")


def elot743(text: str) -> str:
    """Latin transcription of Greek text by ELOT 743 (lower case, non-Greek kept)."""
    # Drop the tonos but keep the diaeresis, which stops αυ/ευ/ου from being digraphs.
    low = unicodedata.normalize("NFD", text.lower()).replace("\u0301", "")
    low = unicodedata.normalize("NFC", low)
    out, i = [], 0
    while i < len(low):
        pair, after = low[i : i + 2], low[i + 2 : i + 3]
        if pair in _PAIRS:
            out.append(_PAIRS[pair])
        elif pair in ("αυ", "ευ", "ηυ"):
            out.append(_LETTERS[pair[0]] + ("v" if after and after in _VOICED else "f"))
        elif pair == "μπ":
            start = i == 0 or not low[i - 1].isalpha()
            end = not after.isalpha()
            out.append("b" if start or end else "mb")
        else:
            out.append(_LETTERS.get(low[i], low[i]))
            i += 1
            continue
        i += 2
    return "".join(out)


def slug_words(title: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", elot743(title)) if w]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    it = iter(whole)
    return all(word in it for word in part)


# --- reading the content ------------------------------------------------------------------------


@dataclass
class Doc:
    path: Path
    meta: dict[str, str]
    body: str
    ids: list[str] = field(default_factory=list)


def read_doc(path: Path) -> Doc:
    """Pelican's Markdown metadata: `Key: value` lines, a blank line, then the body."""
    header, sep, body = path.read_text(encoding="utf-8").partition("\n\n")
    assert sep, f"{path}: no blank line after the metadata"
    meta: dict[str, str] = {}
    for line in header.splitlines():
        match = re.fullmatch(r"([A-Z][A-Za-z_]*): (\S.*)", line)
        assert match, f"{path}: not a `Key: value` metadata line: {line!r}"
        assert match[1] not in meta, f"{path}: {match[1]} given twice"
        meta[match[1]] = match[2].strip()
    return Doc(path, meta, body, EXPLICIT_ID_RE.findall(body))


@cache
def consultations() -> dict[str, tuple[Doc, dict[str, Doc]]]:
    """slug -> (the consultation, {text slug: text})."""
    found = {}
    for folder in sorted(p for p in (CONTENT / "consultations").iterdir() if p.is_dir()):
        index = read_doc(folder / "index.md")
        texts = [
            read_doc(p)
            for p in sorted(folder.glob("*.md"))
            if p.name not in ("index.md", "report.md")
        ]
        by_slug = {t.meta.get("Slug", ""): t for t in texts}
        assert len(by_slug) == len(texts), f"{folder}: duplicate text slug"
        found[index.meta.get("Slug", "")] = (index, by_slug)
    return found


def all_texts() -> list[Doc]:
    return [t for _, texts in consultations().values() for t in texts.values()]


def reports() -> list[Doc]:
    return [read_doc(p) for p in sorted((CONTENT / "consultations").glob("*/report.md"))]


def consulted_ids(text: Doc) -> list[str]:
    """The explicit paragraph ids of the text as consulted (comments point at these)."""
    if "Consulted" not in text.meta:
        return text.ids
    return read_doc(text.path.parent / text.meta["Consulted"]).ids


def all_docs() -> list[Doc]:
    pages = [read_doc(p) for p in sorted((CONTENT / "pages").glob("*.md"))]
    return [c for c, _ in consultations().values()] + all_texts() + reports() + pages


def window(slug: str) -> tuple[datetime, datetime]:
    meta = consultations()[slug][0].meta
    opens, closes = (
        datetime.strptime(meta[key], "%Y-%m-%d %H:%M").replace(tzinfo=ATHENS)
        for key in ("Opens", "Closes")
    )
    return opens, closes


def render(body: str) -> str:
    """The body as Pelican renders it: with the Markdown extensions of pelicanconf."""
    import pelicanconf

    return markdown.markdown(body, extensions=list(pelicanconf.MARKDOWN["extension_configs"]))


def doc_id(doc: Doc) -> str:
    return str(doc.path.relative_to(CONTENT))


# --- the content --------------------------------------------------------------------------------


def test_elot743_matches_the_contract_urls() -> None:
    assert slug_words("Διαβουλεύσεις") == ["diavoulefseis"]
    assert slug_words("Ανοικτά δεδομένα") == ["anoikta", "dedomena"]
    assert slug_words("Αναζήτηση · Προτάσεις") == ["anazitisi", "protaseis"]
    assert slug_words("Εύβοια, Γκύζη, Άγγελος, Μπαλτά") == ["evvoia", "gkyzi", "angelos", "balta"]
    assert slug_words("Λαϊκή αυτοψία") == ["laiki", "aftopsia"]


def test_three_consultations_each_with_at_least_five_texts() -> None:
    found = consultations()
    assert len(found) == 3
    for slug, (_, texts) in found.items():
        assert len(texts) >= 5, slug


def test_one_consultation_is_open_one_upcoming_one_closed_at_demo_time() -> None:
    states = []
    for slug in consultations():
        opens, closes = window(slug)
        states.append(
            "upcoming" if opens > DEMO_NOW else "open" if closes >= DEMO_NOW else "closed"
        )
    assert sorted(states) == ["closed", "open", "upcoming"]


@pytest.mark.parametrize("slug", sorted(consultations()))
def test_consultation_metadata(slug: str) -> None:
    doc, _ = consultations()[slug]
    assert set(doc.meta) <= CONSULTATION_FIELDS, doc_id(doc)
    for key in ("Title", "Summary", "Theme", "Opens", "Closes"):
        assert doc.meta.get(key), f"{doc_id(doc)}: {key} missing"
    opens, closes = window(slug)
    assert closes > opens, doc_id(doc)
    assert int(doc.meta.get("Order", "100")) > 0
    assert SLUG_RE.fullmatch(slug)
    assert is_subsequence(slug.split("-"), slug_words(doc.meta["Title"])), slug
    assert "2026–2030" in doc.body, f"{doc_id(doc)}: the current programming period"


@pytest.mark.parametrize("doc", all_texts(), ids=doc_id)
def test_text_metadata(doc: Doc) -> None:
    meta = doc.meta
    assert set(meta) <= TEXT_FIELDS, doc_id(doc)
    assert meta.get("Title"), doc_id(doc)
    assert meta.get("Kind") in limits()["text_kinds"], doc_id(doc)
    assert int(meta.get("Order", "100")) > 0
    if "Budget" in meta:
        assert re.fullmatch(r"[1-9][0-9]*", meta["Budget"]), "Budget: euros, a plain integer"
        amount = f"{int(meta['Budget']):,}".replace(",", ".")
        assert amount in doc.body, f"{doc_id(doc)}: the body states another budget than {amount}"
    slug = meta.get("Slug", "")
    assert SLUG_RE.fullmatch(slug), doc_id(doc)
    assert is_subsequence(slug.split("-"), slug_words(meta["Title"])), (slug, meta["Title"])
    if "Consulted" in meta:
        assert re.fullmatch(r"consulted/[a-z0-9-]+\.md", meta["Consulted"]), doc_id(doc)
        assert (doc.path.parent / meta["Consulted"]).is_file(), doc_id(doc)


def test_text_slugs_unique_across_the_site() -> None:
    slugs = [t.meta["Slug"] for t in all_texts()] + list(consultations()) + list(PAGE_SLUGS)
    assert len(slugs) == len(set(slugs))


@pytest.mark.parametrize("doc", all_texts(), ids=doc_id)
def test_text_body_has_substance_and_explicit_ids(doc: Doc) -> None:
    html = render(doc.body)
    assert len(re.findall(r"<p[ >]", html)) >= 5, doc_id(doc)
    assert "<li>" in html and "<h2>" in html, doc_id(doc)
    assert 2 <= len(doc.ids) <= 3, doc_id(doc)
    assert len(set(doc.ids)) == len(doc.ids), f"{doc_id(doc)}: duplicate paragraph id"
    for pid in doc.ids:
        assert SLUG_RE.fullmatch(pid) and not pid.startswith("p-"), pid
    # attr_list really turned every one of them into a paragraph id, and left nothing literal
    assert re.findall(r'<p id="([^"]+)">', html) == doc.ids, doc_id(doc)
    assert "{#" not in html and "{:" not in html, doc_id(doc)


def test_pages_exist_with_their_contract_slugs() -> None:
    pages = [read_doc(p) for p in sorted((CONTENT / "pages").glob("*.md"))]
    assert all(p.meta.get("Title") for p in pages)
    assert {p.meta.get("Slug") for p in pages} == PAGE_SLUGS


def test_terms_name_every_moderation_reason_and_the_terms_version() -> None:
    terms = read_doc(CONTENT / "pages" / "oroi-symmetochis.md").body
    for label in limits()["moderation_reasons"].values():
        assert label in terms, label
    assert limits()["terms_version"] in terms


@pytest.mark.parametrize("doc", all_docs(), ids=doc_id)
def test_greek_orthography_and_internal_links(doc: Doc) -> None:
    text = " ".join(doc.meta.values()) + "\n" + doc.body
    assert not re.search(r"σ\b", text), f"{doc_id(doc)}: a final sigma written as σ"
    old_period = re.search(r"\b20(1\d|20) ?[–-] ?20\d\d\b", text)
    assert not old_period, f"{doc_id(doc)}: an old programming period"
    allowed = {f"/{slug}/" for slug in PAGE_SLUGS} | {"/anoikta-dedomena/"}
    for target in re.findall(r"\]\((/[^)]*)\)", doc.body):
        assert target in allowed, f"{doc_id(doc)}: link to {target}"


# --- the demo snapshot --------------------------------------------------------------------------


@cache
def snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_snapshot_validates_against_the_schema() -> None:
    jsonschema.Draft202012Validator(snapshot_schema()).validate(snapshot())


def test_snapshot_size_and_variety() -> None:
    comments, proposals = snapshot()["comments"], snapshot()["proposals"]
    on_proposals = [c for c in comments if c["proposal"]]
    assert 25 <= len(comments) <= 40 and 5 <= len(proposals) <= 7 and 4 <= len(on_proposals) <= 6
    authors = [item["author"] for item in comments + proposals]
    assert {a["respondent_type"] for a in authors} == {"citizen", "organisation"}
    assert any(a["display_name"] is None for a in authors)
    assert any(a["display_name"] for a in authors)
    assert len({a["organisation_type"] for a in authors} - {None}) >= 3
    assert sum(1 for c in comments if c["parent"]) >= 3
    assert any(c["paragraph"] for c in comments) and any(
        c["text"] and not c["paragraph"] for c in comments
    )


def test_snapshot_has_no_email_and_no_private_field() -> None:
    raw = SNAPSHOT.read_text(encoding="utf-8")
    assert not EMAIL_RE.search(raw)
    for private in ("email", "ip_hash", "submission_key", "decision_note"):
        assert f'"{private}"' not in raw


def test_snapshot_contains_the_one_escaping_check() -> None:
    hits = [c for c in snapshot()["comments"] if '<script>alert("x")</script>' in c["body"]]
    assert len(hits) == 1
    assert "{{ 7*7 }}" in hits[0]["body"] and "'" in hits[0]["body"]


def test_snapshot_authors_are_consistent_and_within_limits() -> None:
    fields = limits()["fields"]
    org_types = set(limits()["organisation_types"])

    def within(name: str, value: str | None) -> bool:
        spec = fields[name]
        return value is None or spec.get("min", 0) <= len(value) <= spec["max"]

    for item in snapshot()["comments"] + snapshot()["proposals"]:
        author = item["author"]
        if author["respondent_type"] == "citizen":
            assert author["organisation_name"] is None and author["organisation_type"] is None
        else:
            assert author["organisation_type"] in org_types
        if author["respondent_type"] == "organisation":
            assert author["display_name"] is None, "an organisation is published by its name only"
        elif author["display_name"] is None:
            assert author["organisation_name"] is None, "anonymous means no name at all"
        assert within("display_name", author["display_name"])
        assert within("organisation_name", author["organisation_name"])
        if "title" in item:
            assert within("title", item["title"]) and within("proposal_body", item["body"])
            assert within("location", item["location"])
        else:
            assert within("body", item["body"])


def test_snapshot_ids_references_and_times() -> None:
    items = snapshot()["comments"] + snapshot()["proposals"]
    generated = utc(snapshot()["generated_at"])
    for item in items:
        assert re.fullmatch(r"[0-9a-z]{26}", item["id"])
        assert re.fullmatch(r"NS-[0-9A-HJKMNP-TV-Z]{6}", item["reference"])
        created, approved = utc(item["created_at"]), utc(item["approved_at"])
        millis = 0
        for char in item["id"][:10]:
            millis = millis * 32 + CROCKFORD.index(char)
        assert millis == int(created.timestamp() * 1000), "ids are time-ordered (ULID-like)"
        opens, closes = window(item["consultation"])
        assert opens <= created <= approved <= min(closes, generated), item["id"]
        assert generated <= DEMO_NOW.astimezone(UTC)
    assert len({i["id"] for i in items}) == len(items)
    assert len({i["reference"] for i in items}) == len(items)


def test_snapshot_references_existing_targets() -> None:
    proposals = {p["id"]: p for p in snapshot()["proposals"]}
    comments = {c["id"]: c for c in snapshot()["comments"]}
    for proposal in proposals.values():
        assert window(proposal["consultation"])[0] <= DEMO_NOW, "none on the upcoming one"
    for comment in comments.values():
        consultation = comment["consultation"]
        assert window(consultation)[0] <= DEMO_NOW, "none on the upcoming one"
        if comment["proposal"]:
            target = proposals[comment["proposal"]]
            assert comment["text"] is None and comment["paragraph"] is None
            assert target["consultation"] == consultation
            assert utc(comment["created_at"]) > utc(target["approved_at"])
        else:
            text = consultations()[consultation][1][comment["text"]]
            assert comment["paragraph"] is None or comment["paragraph"] in consulted_ids(text)
        if comment["parent"]:
            parent = comments[comment["parent"]]
            same = ("consultation", "text", "proposal")
            assert [parent[k] for k in same] == [comment[k] for k in same], comment["id"]
            assert utc(comment["created_at"]) > utc(parent["approved_at"]), "replies approved ones"
