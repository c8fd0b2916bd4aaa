"""The fixture site, built once per module with a snapshot: pages, forms, comments, exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as etree
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from site_support import page, parse

from chalicelib import validation
from chalicelib.sitebuild import build_site
from chalicelib.spec import limits, manifest_schema

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))
API = "http://api.example.test:9000"
OPEN = "diavoulefseis/prasino-kai-evangelistria/"
TEXT = OPEN + "anaplasi-plateias/"
PROPOSAL_ID = "01jproposal00000000000001a"

pytestmark = pytest.mark.xdist_group("site_build")  # one build of the fixture site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    output = tmp_path_factory.mktemp("site") / "output"
    result = build_site(
        root,
        output,
        snapshot=FIXTURE / "snapshot.json",
        api_url=API,
        now=NOW,
        content=FIXTURE / "content",
    )
    # 16 pages and feeds, the closed consultation's results page with its five charts, the
    # comment pages of the two texts with comments (3) and the finder pages of their comments,
    # one per last character of an id (8: the open consultation's 7, the closed one's 1)
    assert result.stats == {"rendered": 33, "skipped": 0, "deleted": 0}
    return output


def html_pages(site: Path) -> list[Path]:
    """The citizens' pages (not Pagefind's, not the staff's JS-only moderation page)."""
    return [p for p in site.rglob("*.html") if not {"pagefind", "moderation"} & set(p.parts)]


def test_urls_are_elot743_and_every_page_type_exists(site: Path) -> None:
    for url in [
        "",
        OPEN,
        TEXT,
        OPEN + "podilata/",
        OPEN + "protaseis/",
        f"{OPEN}protaseis/{PROPOSAL_ID}/",
        "schetika/",
        "oroi-symmetochis/",
        "prosopika-dedomena/",
        "prosvasimotita/",
        "anazitisi/",
        "anoikta-dedomena/",
    ]:
        assert (site / url / "index.html").is_file(), url
    assert (site / "404.html").is_file()
    assert (site / OPEN / "feed.atom").is_file()


def test_home_lists_consultations_with_state_and_counts(site: Path) -> None:
    cards = page(site, "").find_all("li", cls="card")
    assert [c.find("h2").text() for c in cards] == [
        "Πράσινο και Ευαγγελίστρια",
        "Κλειστή διαβούλευση",
        "Μελλοντική διαβούλευση",
    ]
    open_, closed, upcoming = (c.text() for c in cards)
    assert "Ανοιχτή έως 20 Δεκεμβρίου 2026, 23:59 · απομένουν 24 ημέρες" in open_
    assert "2 κείμενα · 7 σχόλια · 1 πρόταση" in open_
    assert "Ολοκληρώθηκε στις 1 Φεβρουαρίου 2026" in closed
    assert "1 κείμενο · 1 σχόλιο · 1 πρόταση" in closed
    assert "ανοίγει στις 10 Ιανουαρίου 2027, 09:00" in upcoming


def test_text_page_paragraph_ids_and_paragraph_select(site: Path) -> None:
    doc = page(site, TEXT)
    body = doc.find("div", cls="text-body")
    blocks = [n for n in body.iter() if n.tag in ("p", "li") and n.get("id")]
    ids = [n.get("id") for n in blocks if not n.get("id").startswith("sxolio-")]
    hashed = "p-" + hashlib.sha1("Ίδια παράγραφος.".encode()).hexdigest()[:8]
    assert ids[0] == "eisagogi"
    assert ids[-2:] == [hashed, f"{hashed}-2"]
    assert len(ids) == 6
    options = doc.find("select", name="paragraph").find_all("option")
    assert (options[0].get("value"), options[0].text()) == ("", "Ολόκληρο το κείμενο")
    assert [o.get("value") for o in options[1:]] == ids
    assert options[1].text() == "§1 — Η πλατεία είναι η καρδιά της…"
    assert options[2].text() == "§2 — Το περιβάλλον της πλατείας θα αναβαθμιστεί…"
    link = doc.find("a", cls="para-link")
    assert link.get("data-paragraph") == "eisagogi"
    # without a script, the API's form page with this paragraph chosen
    assert link.get("href") == (
        f"{API}/v1/comments/new?consultation=prasino-kai-evangelistria"
        "&text=anaplasi-plateias&paragraph=eisagogi"
    )


def test_comments_threaded_anonymous_and_per_paragraph(site: Path) -> None:
    doc = page(site, TEXT)
    first = doc.by_id("sxolio-01jcomment000000000000001a")
    assert first.find("span", cls="author").text() == "Μαρία Παπά"
    reply = doc.by_id("sxolio-01jcomment000000000000002b")
    assert first in list(reply.ancestors())  # nested under its parent
    assert reply.find("span", cls="author").text() == "Ανώνυμος πολίτης"
    details = next(a for a in first.ancestors() if a.tag == "details")
    assert details.find("summary").text() == "Σχόλια στην §1 (2)"
    assert any(a.get("class") == "para-tools" for a in details.ancestors())
    whole = doc.find("section", cls="comments-section")
    metas = [m.text() for m in whole.find_all("p", cls="meta")]
    assert metas[0].startswith("Ανώνυμος φορέας (Σύλλογος)")
    assert metas[1].startswith("Σύλλογος Γονέων (Σωματείο)")
    assert "Νίκος" not in whole.text()  # an organisation shows its name, not its member's
    assert metas[2].startswith("Ελένη Κ.")  # its paragraph no longer exists: on the whole text
    # no list of every comment to choose from: each «Απάντηση» link names its comment
    assert doc.find_all("select", name="parent") == []
    reply = first.find("p", cls="reply").find("a")
    assert reply.get("data-parent") == "01jcomment000000000000001a"
    assert reply.get("href").endswith("&text=anaplasi-plateias&parent=01jcomment000000000000001a")
    assert doc.find("form").find("input", name="parent").get("value") == ""


def test_citizen_text_is_escaped(site: Path) -> None:
    raw = (site / TEXT / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in raw
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in raw
    assert "{{ 7*7 }}" in raw and "49" not in raw
    comment = page(site, TEXT).by_id("sxolio-01jcomment000000000000001a")
    paragraphs = comment.find("div", cls="comment").find_all("p")
    assert paragraphs[1].text() == '<script>alert("x")</script> «εισαγωγικά» "quotes" & {{ 7*7 }}'
    assert paragraphs[2].text() == "Δεύτερη παράγραφος."


def test_comment_form_fields_follow_the_contract(site: Path) -> None:
    doc = page(site, TEXT)
    form = doc.find("form")
    fields = limits()["fields"]
    assert form.get("method") == "post" and form.get("action") == f"{API}/v1/comments"
    hidden = {i.get("name"): i.get("value") for i in form.find_all("input", type="hidden")}
    assert hidden == {
        "text": "anaplasi-plateias",
        "parent": "",
        "consultation": "prasino-kai-evangelistria",
        "submission_key": "",
        "return_to": f"/{TEXT}",
    }
    body = form.find("textarea", name="body")
    assert body.get("minlength") == str(fields["body"]["min"])
    assert body.get("maxlength") == str(fields["body"]["max"])
    assert "required" in body.attrs
    assert form.find("label", for_="f-body").text() == fields["body"]["label"]
    radios = form.find_all("input", name="respondent_type")
    assert [(r.get("value"), "checked" in r.attrs) for r in radios] == [
        ("citizen", True),
        ("organisation", False),
    ]
    org_types = [
        o.get("value") for o in form.find("select", name="organisation_type").find_all("option")
    ]
    assert org_types == ["", *limits()["organisation_types"]]
    assert "checked" not in form.find("input", name="publish_name").attrs
    email = form.find("input", name="email")
    assert email.get("type") == "email" and "required" in email.attrs
    assert "Δεν δημοσιεύεται ποτέ" in doc.by_id(email.get("aria-describedby")).text()
    consent = form.find("input", name="consent")
    assert "required" in consent.attrs
    hrefs = [a.get("href") for a in form.find("label", for_="f-consent").find_all("a")]
    assert [h.rsplit("/", 2)[-2] for h in hrefs] == ["oroi-symmetochis", "prosopika-dedomena"]
    for node in form.iter():  # every visible control has a label
        if node.tag in ("input", "select", "textarea") and node.get("type") not in ("hidden",):
            assert form.find_all("label", for_=node.get("id")), node.attrs


def test_honeypot_is_hidden_from_people_and_assistive_technology(site: Path) -> None:
    form = page(site, TEXT).find("form")
    trap = form.find("input", name="website")
    assert trap.get("tabindex") == "-1" and trap.get("value") == ""
    wrapper = trap.parent
    assert wrapper.get("aria-hidden") == "true" and "hp" in wrapper.classes
    assert wrapper.find("label").text() == "Αφήστε κενό"
    css = (site / "theme" / "css" / "site.css").read_text()
    assert ".hp{position:absolute!important" in css.replace(".vh,", "")


def test_forms_say_what_the_api_says_in_the_same_words(site: Path) -> None:
    """The script's checks read their wording from the form, which takes it from limits.json,
    where the API's validation reads it too; and every form page has the (empty) summary and
    success panel the script fills."""
    messages = limits()["messages"]
    for url in (TEXT, OPEN + "protaseis/", f"{OPEN}protaseis/{PROPOSAL_ID}/"):
        doc = page(site, url)
        form = doc.find("form", cls="submission")
        for code in ("required", "too_short", "too_long", "email", "consent"):
            assert form.get("data-msg-" + code.replace("_", "-")) == messages[code], (url, code)
        summary = doc.find("div", cls="govgr-error-summary")
        assert "hidden" in summary.attrs and summary.get("tabindex") == "-1", url
        panel = doc.find("div", cls="govgr-panel--confirmation")
        assert "hidden" in panel.attrs and "αριθμός αναφοράς" in panel.text().lower(), url
    assert validation.length_problem("comment", "body", "x") == messages["too_short"].format(
        label=limits()["fields"]["body"]["label"], min=limits()["fields"]["body"]["min"]
    )


def test_proposals_page_and_proposal_page(site: Path) -> None:
    listing = page(site, OPEN + "protaseis/")
    card = listing.find("li", cls="card")
    assert card.find("a").get("href").endswith(f"{OPEN}protaseis/{PROPOSAL_ID}/")
    assert card.find("p", cls="meta").text().startswith("Άννα Β. · 20 Νοεμβρίου 2026")
    form = listing.find("form")
    assert form.get("action") == f"{API}/v1/proposals"
    assert form.find("textarea", name="body").get("minlength") == str(
        limits()["fields"]["proposal_body"]["min"]
    )
    assert "required" not in form.find("input", name="location").attrs
    assert "required" in form.find("input", name="title").attrs
    doc = page(site, f"{OPEN}protaseis/{PROPOSAL_ID}/")
    assert doc.find("h1").text() == "Ποδηλατόδρομος στη λεωφόρο"
    reply = doc.by_id("sxolio-01jcomment000000000000007g")
    assert doc.by_id("sxolio-01jcomment000000000000006f") in list(reply.ancestors())
    hidden = {
        i.get("name"): i.get("value") for i in doc.find("form").find_all("input", type="hidden")
    }
    assert hidden["proposal"] == PROPOSAL_ID and "text" not in hidden


@pytest.mark.parametrize(
    ("url", "notice"),
    [
        (
            "diavoulefseis/kleisti/palio-keimeno/",
            "Η διαβούλευση ολοκληρώθηκε στις 1 Φεβρουαρίου 2026",
        ),
        ("diavoulefseis/kleisti/protaseis/", "δεν δέχεται πλέον προτάσεις"),
        ("diavoulefseis/kleisti/", "δεν δέχεται πλέον σχόλια ή προτάσεις"),
        (
            "diavoulefseis/mellontiki/neo-keimeno/",
            "Η διαβούλευση ανοίγει στις 10 Ιανουαρίου 2027, 09:00",
        ),
        ("diavoulefseis/mellontiki/protaseis/", "ανοίγει στις 10 Ιανουαρίου 2027"),
    ],
)
def test_closed_and_upcoming_have_no_forms(site: Path, url: str, notice: str) -> None:
    doc = page(site, url)
    # only «Ενημερώστε με» (the results are still to come), never a submission form
    assert [f for f in doc.find_all("form") if "subscribe-form" not in f.classes] == []
    assert notice in doc.find("main").text()
    assert not doc.find_all("a", cls="para-link") and not doc.find_all("p", cls="reply")


def test_closed_consultation_still_shows_its_comments(site: Path) -> None:
    doc = page(site, "diavoulefseis/kleisti/palio-keimeno/")
    assert "Παλιό σχόλιο σε κλειστή διαβούλευση." in doc.find("main").text()


def test_manifest_is_valid_and_matches_the_pages(site: Path) -> None:
    data = json.loads((site / "consultations.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, manifest_schema())
    by_slug = {c["slug"]: c for c in data["consultations"]}
    assert list(by_slug) == ["prasino-kai-evangelistria", "kleisti", "mellontiki"]
    assert by_slug["kleisti"]["opens"] == "2026-01-01T09:00:00+02:00"
    text = by_slug["prasino-kai-evangelistria"]["texts"][0]
    assert text["url"] == f"/{TEXT}" and text["kind"] == "project"
    select = page(site, TEXT).find("select", name="paragraph").find_all("option")
    assert text["paragraphs"] == [o.get("value") for o in select[1:]]
    # the API's pages wear the municipality as the site does (chalicelib.links.Links.frame)
    assert (data["municipality"], data["emblem"]) == ("Δήμος Νέας Σμύρνης", "theme/img/emblem.svg")
    footer = page(site, TEXT).find("footer")
    assert any(a.get("href") == f"mailto:{data['contact_email']}" for a in footer.find_all("a"))


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_open_data_has_only_public_fields(site: Path) -> None:
    data = json.loads((site / "anoikta-dedomena/prasino-kai-evangelistria.json").read_bytes())
    assert len(data["comments"]) == 7 and len(data["proposals"]) == 1
    keys = _keys(data)
    assert not keys & {"email", "ip_hash", "submission_key", "decision_note", "author"}
    raw = (site / "anoikta-dedomena/prasino-kai-evangelistria.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 8 and "email" not in rows[0]
    anonymous = next(r for r in rows if r["id"] == "01jcomment000000000000003c")
    assert anonymous["display_name"] == "" and anonymous["organisation_type_label"] == "Σύλλογος"
    index = page(site, "anoikta-dedomena/")
    assert index.find("a", href="../anoikta-dedomena/kleisti.csv")


def test_sitemap_and_robots(site: Path) -> None:
    root = etree.fromstring((site / "sitemap.xml").read_bytes())
    locs = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "/" in locs and f"/{TEXT}" in locs and "/schetika/" in locs
    assert not [loc for loc in locs if "404" in loc or "moderation" in loc]
    assert "Disallow: /moderation/" in (site / "robots.txt").read_text()


def test_atom_feed_lists_texts_and_proposals(site: Path) -> None:
    feed = etree.fromstring((site / OPEN / "feed.atom").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert sorted(titles) == [
        "Ανάπλαση πλατείας",
        "Δράση για τα ποδήλατα",
        "Ποδηλατόδρομος στη λεωφόρο",
    ]


def test_no_js_every_page_has_content_and_posting_forms(site: Path) -> None:
    for path in html_pages(site):
        doc = parse(path.read_text(encoding="utf-8"))
        assert doc.find("html").get("lang") == "el", path
        main = doc.find("main")
        assert main.find("h1").text() and len(main.text()) > 30, path
        for form in doc.find_all("form"):
            assert form.get("method") == "post", path
            assert form.get("action").startswith(f"{API}/v1/"), path
        for script in doc.find_all("script"):  # no third-party requests
            assert not (script.get("src") or "").startswith(("http:", "https:", "//")), path


def test_search_and_404_are_not_indexed(site: Path) -> None:
    assert "data-pagefind-body" in page(site, TEXT).find("main").attrs
    for doc in (parse((site / "404.html").read_text()), page(site, "anazitisi/")):
        assert "data-pagefind-body" not in doc.find("main").attrs
    not_found = parse((site / "404.html").read_text())
    assert not_found.find("meta", name="robots").get("content") == "noindex"
    assert not_found.find("a", href="/anazitisi/")  # root-relative: served at any path
    search = page(site, "anazitisi/")
    assert "JavaScript" in search.find("noscript").text() or "JavaScript" in str(
        (site / "anazitisi/index.html").read_text()
    )


def test_a_redacted_comment_says_so_and_links_the_terms(site: Path) -> None:
    doc = page(site, TEXT)
    cut = doc.by_id("sxolio-01jcomment000000000000002b").find("div", cls="comment")
    note = cut.find("p", cls="redacted-note")
    assert "περικοπή" in note.text() and note.find("a").get("href").endswith("/oroi-symmetochis/")
    whole = doc.by_id("sxolio-01jcomment000000000000001a").find("div", cls="comment")
    assert whole.find_all("p", cls="redacted-note") == []
    terms_page = Path(__file__).parents[1] / "content" / "pages" / "oroi-symmetochis.md"
    terms = terms_page.read_text(encoding="utf-8")  # the terms describe it
    assert "Δημοσιεύεται με περικοπή από τον Δήμο" in terms
    assert f"έκδοση όρων {limits()['terms_version']}" in terms
