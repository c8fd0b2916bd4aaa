"""Comment pages (plugins/consultations/comment_pages.py): every comment reachable from its text's
page by plain links, on exactly one comment page, at an address that stays when more comments
come; threads never split; withdrawn placeholders keep their place; pages stay light; a rebuild
re-renders only the pages whose comments changed; the e-mails' links land on the comment.
Real Pelican on a copy of the tiny fixture site, with comments generated here."""

from __future__ import annotations

import copy
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from site_support import FIXTURE_NOW, FIXTURE_SITE, Node, page, parse

from chalicelib import manifest, snapshot
from chalicelib.links import Links, comment_bucket
from plugins.consultations import urls
from plugins.consultations.comment_pages import OVERFLOW, paginate
from plugins.consultations.models import Author, Comment, flatten

CONS = "prasino-kai-evangelistria"
TEXT = "anaplasi-plateias"
PARAGRAPH = "eisagogi"  # §1 of the text
PROPOSAL = "01jproposal00000000000001a"
# Small pages, so that a few dozen comments make several: the rules are the same at 50.
SMALL = {"COMMENTS_PER_PAGE": 4, "COMMENTS_INLINE": 6}
START = datetime(2026, 11, 21, 8, tzinfo=UTC)


# --- the snapshot -----------------------------------------------------------------------------
def comment(n: int, *, paragraph: str | None = None, parent: str | None = None, **where: Any):
    """Comment ``n`` of this test, written ``n`` minutes after START (ids and times ordered)."""
    return {
        "id": f"01jpage{n:019d}",
        "reference": f"NS-P{n:05d}",
        "consultation": CONS,
        "text": where.get("text", TEXT if "proposal" not in where else None),
        "proposal": where.get("proposal"),
        "paragraph": paragraph,
        "parent": parent,
        "author": {
            "respondent_type": "citizen",
            "display_name": f"Πολίτης {n}",
            "organisation_name": None,
            "organisation_type": None,
        },
        "body": where.get("body") or f"Σχόλιο αριθμός {n} για την πλατεία.",
        "created_at": (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "approved_at": (START + timedelta(minutes=n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def many() -> dict[str, Any]:
    """The fixture snapshot plus: 14 threads on §1 (some with replies, one of 6 comments), 9
    on the whole text, and 11 on the proposal."""
    data = json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8"))
    n = 0
    for i in range(14):
        n += 1
        root = comment(n, paragraph=PARAGRAPH)
        data["comments"].append(root)
        for _ in range(5 if i == 3 else (1 if i % 3 == 0 else 0)):
            n += 1
            data["comments"].append(comment(n, parent=root["id"]))
    for _ in range(9):
        n += 1
        data["comments"].append(comment(n))
    for _ in range(11):
        n += 1
        data["comments"].append(comment(n, proposal=PROPOSAL))
    return data


def withdraw(data: dict[str, Any], comment_id: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    [item] = [c for c in data["comments"] if c["id"] == comment_id]
    data["comments"].remove(item)
    data.setdefault("withdrawn", []).append(snapshot.placeholder({**item, "kind": "comment"}))
    return data


# --- the build --------------------------------------------------------------------------------
class Site:
    """The fixture content built by Pelican alone (no search index) into one output folder,
    again and again, as a publish does."""

    def __init__(self, root: Path, tmp: Path, **settings: Any) -> None:
        self.root, self.tmp, self.overrides = root, tmp, settings
        self.output = tmp / "output"
        self.content = tmp / "content"
        if not self.content.exists():
            shutil.copytree(FIXTURE_SITE / "content", self.content)

    def build(self, data: dict[str, Any]) -> dict[str, int]:
        from pelican.settings import read_settings

        from chalicelib.sitebuild import run_pelican

        path, stats = self.tmp / "snapshot.json", self.tmp / "stats.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        self.settings = read_settings(
            str(self.root / "pelicanconf.py"),
            override={
                "PATH": str(self.content),
                "OUTPUT_PATH": str(self.output),
                "THEME": str(self.root / "theme"),
                "SNAPSHOT_PATH": str(path),
                "CONSULTATION_NOW": FIXTURE_NOW,
                "CACHE_PATH": str(self.tmp / "cache"),
                "BUILD_STATS_PATH": str(stats),
                **self.overrides,
            },
        )
        run_pelican(self.settings)
        return json.loads(stats.read_text(encoding="utf-8"))

    def url(self, name: str, **fields: str) -> str:
        return urls.url(self.settings, name, **fields)

    @property
    def text_url(self) -> str:
        return self.url("TEXT", consultation=CONS, slug=TEXT)

    def comment_pages(self) -> dict[str, Node]:
        """Every comment page of the site (texts' and proposals' parts), by URL."""
        patterns = [urls.matcher(self.settings, name) for name in ("COMMENTS", "COMMENTS_PART")]
        patterns.append(urls.matcher(self.settings, "PROPOSAL_COMMENTS"))
        found = {}
        for path in self.output.rglob("index.html"):
            url = path.parent.relative_to(self.output).as_posix() + "/"
            if any(p.match(url) for p in patterns):
                found[url] = parse(path.read_text(encoding="utf-8"))
        return found

    def where(self) -> dict[str, str]:
        """comment id → the URL of the one comment page (or proposal page) that shows it."""
        shown: dict[str, str] = {}
        proposal = self.url("PROPOSAL", consultation=CONS, id=PROPOSAL)
        for url, doc in {**self.comment_pages(), proposal: page(self.output, proposal)}.items():
            for cid in anchors(doc):
                assert cid not in shown, f"{cid} on {shown[cid]} and on {url}"
                shown[cid] = url
        return shown


def anchors(doc: Node) -> list[str]:
    return [li.get("id")[len("sxolio-") :] for li in doc.find_all("li") if is_comment(li)]


def is_comment(node: Node) -> bool:
    return node.tag == "li" and (node.get("id") or "").startswith("sxolio-")


def ids_of(data: dict[str, Any], **where: Any) -> set[str]:
    items = data["comments"] + data.get("withdrawn", [])
    return {c["id"] for c in items if all(c.get(k) == v for k, v in where.items())}


@pytest.fixture(scope="module")
def paged(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, dict[str, Any]]:
    site = Site(root, tmp_path_factory.mktemp("paged"), **SMALL)
    data = many()
    site.build(data)
    return site, data


# --- reachable, once, whole threads ---------------------------------------------------------
def test_every_comment_is_reachable_from_the_text_page_by_plain_links(paged) -> None:
    site, data = paged
    text = page(site.output, site.text_url)
    assert not [n for n in text.iter() if is_comment(n)]  # many: not on the text's page
    seen, queue, reached = set(), [site.text_url], set()
    while queue:
        url = queue.pop()
        doc = page(site.output, url)
        reached |= set(anchors(doc))
        if url != site.text_url:  # (the text's comment form has its progressive script)
            assert not doc.find_all("script"), url  # read without JavaScript
        for a in doc.find_all("a"):
            target = urljoin("/" + url, a.get("href") or "").split("#")[0].lstrip("/")
            if target.startswith(site.text_url + "sxolia/") and target not in seen:
                seen.add(target)
                queue.append(target)
    assert reached == ids_of(data, text=TEXT)
    assert len(seen) >= 5  # §1 and the whole text, several pages each


def test_each_comment_is_on_exactly_one_comment_page_with_its_anchor(paged) -> None:
    site, data = paged
    where = site.where()  # fails on a comment shown twice
    assert set(where) == ids_of(data, consultation=CONS) | ids_of(data, consultation="kleisti")
    for cid, url in where.items():
        link = page(site.output, url).by_id(f"sxolio-{cid}").find("p", cls="permalink")
        assert link.find("a").get("href") == f"#sxolio-{cid}"


def test_a_thread_is_never_split_and_pages_hold_what_the_settings_say(paged) -> None:
    site, data = paged
    parents = {c["id"]: c["parent"] for c in data["comments"] if c["parent"]}
    per_page = SMALL["COMMENTS_PER_PAGE"]
    for url, doc in site.comment_pages().items():
        lis = [n for n in doc.iter() if is_comment(n)]
        for li in lis:
            parent = parents.get(li.get("id")[len("sxolio-") :])
            if parent:  # the reply sits inside its parent, on the same page
                assert any(a.get("id") == f"sxolio-{parent}" for a in li.ancestors()), url
        threads = [li for li in lis if not any(is_comment(a) for a in li.ancestors())]
        assert len(lis) <= OVERFLOW * per_page or len(threads) == 1, url
    where = site.where()
    big = next(
        r
        for r in data["comments"]
        if r["id"] in {c["parent"] for c in data["comments"]}
        and sum(c["parent"] == r["id"] for c in data["comments"]) == 5
    )
    family = [c["id"] for c in data["comments"] if big["id"] in (c["id"], c["parent"])]
    assert len(family) == 6 and len({where[c] for c in family}) == 1  # larger than a page


def test_pagination_is_plain_links_with_aria(paged) -> None:
    site, _ = paged
    fields = {"consultation": CONS, "slug": TEXT, "target": PARAGRAPH}
    first = site.url("COMMENTS", **fields)
    assert first == site.text_url + f"sxolia/{PARAGRAPH}/"  # page 1: no part in its address
    second = site.url("COMMENTS_PART", **fields, part="2")
    doc = page(site.output, second)
    navs = [n for n in doc.find_all("nav") if "govgr-pagination" in n.classes]
    assert [n.get("aria-label") for n in navs] == ["Σελίδες σχολίων", "Σελίδες σχολίων (τέλος)"]
    current = navs[0].find_all("a", **{"aria-current": "page"})
    assert [a.text() for a in current] == ["Σελίδα 2"]
    rel = {a.get("rel"): urljoin("/" + second, a.get("href")) for a in navs[0].find_all("a")}
    assert rel["prev"] == "/" + first and rel["next"] == "/" + first + "3/"
    assert doc.find("h1").text().startswith("Ανάπλαση πλατείας")
    assert "§1" in doc.find("p", cls="govgr-caption-m").text()
    back = doc.find("p", cls="back").find("a")
    assert urljoin("/" + second, back.get("href")) == f"/{site.text_url}#{PARAGRAPH}"
    text = page(site.output, site.text_url)
    link = text.find("a", cls="para-comments")
    on_paragraph = [c for c, url in site.where().items() if url.startswith(first)]
    assert link.text() == f"Σχόλια στην §1 ({len(on_paragraph)})"
    assert urljoin("/" + site.text_url, link.get("href")) == "/" + first


def test_the_proposal_page_is_its_first_page_of_comments(paged) -> None:
    site, data = paged
    proposal = site.url("PROPOSAL", consultation=CONS, id=PROPOSAL)
    shown = anchors(page(site.output, proposal))
    assert 0 < len(shown) <= SMALL["COMMENTS_PER_PAGE"]
    part = site.url("PROPOSAL_COMMENTS", consultation=CONS, id=PROPOSAL, part="2")
    assert part.startswith(proposal) and anchors(page(site.output, part))
    assert {c for c, url in site.where().items() if url.startswith(proposal)} == ids_of(
        data, proposal=PROPOSAL
    )


# --- few comments: on the text's page as well ------------------------------------------------
def test_few_comments_show_on_the_text_page_and_link_to_their_comment_page(
    root: Path, tmp_path: Path
) -> None:
    site = Site(root, tmp_path)
    data = json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8"))
    site.build(data)
    text = page(site.output, site.text_url)
    on_text = anchors(text)
    assert set(on_text) == ids_of(data, text=TEXT)
    where = site.where()
    for cid in on_text:  # «Σύνδεσμος»: the comment page, the address that stays
        href = text.by_id(f"sxolio-{cid}").find("p", cls="permalink").find("a").get("href")
        assert urljoin("/" + site.text_url, href) == f"/{where[cid]}#sxolio-{cid}"
    comments_page = page(site.output, where[on_text[0]])
    assert "data-pagefind-body" not in comments_page.find("main").attrs  # indexed once: here
    assert "data-pagefind-body" in text.find("main").attrs


def test_many_comments_are_searched_on_their_comment_pages(paged) -> None:
    site, _ = paged
    pages = site.comment_pages()
    assert len([url for url in pages if url.startswith(site.text_url)]) >= 5
    for url, doc in pages.items():
        indexed = "data-pagefind-body" in doc.find("main").attrs
        assert indexed == (not url.startswith("diavoulefseis/kleisti/")), url  # few there


# --- stable addresses, placeholders, re-rendering --------------------------------------------
def test_an_old_comment_keeps_its_address_when_more_come(root: Path, tmp_path: Path) -> None:
    site = Site(root, tmp_path, **SMALL)
    data = many()
    site.build(data)
    before = site.where()
    later = copy.deepcopy(data)
    n = 8000  # minutes after START: written after every comment of the fixture
    for url in sorted(set(before.values())):  # a reply, written now, to a thread of each page
        on_page = [c for c in data["comments"] if before[c["id"]] == url]
        if len(on_page) < 2 * SMALL["COMMENTS_PER_PAGE"]:  # (a full one moves on: the limit)
            n += 1
            later["comments"].append(comment(n, parent=on_page[0]["id"]))
    for target in ({"paragraph": PARAGRAPH}, {}, {"proposal": PROPOSAL}):
        for _ in range(7):
            n += 1
            later["comments"].append(comment(n, **target))
    site.build(later)
    after = site.where()
    assert {cid: after[cid] for cid in before} == before
    assert len(set(after.values())) > len(set(before.values()))  # the new ones made pages


def test_a_withdrawn_comment_keeps_its_place(root: Path, tmp_path: Path) -> None:
    site = Site(root, tmp_path, **SMALL)
    data = many()
    site.build(data)
    before = site.where()
    roots = [c for c in data["comments"] if c["id"].startswith("01jpage") and c["paragraph"]]
    replied = {c["parent"] for c in data["comments"]}
    gone = next(r["id"] for r in roots[1:] if r["id"] in replied)  # with a reply, not first
    site.build(withdraw(data, gone))
    assert site.where() == before
    li = page(site.output, before[gone]).by_id(f"sxolio-{gone}")
    assert li.find("div", cls="comment-withdrawn").text() == "Αποσύρθηκε από τον συντάκτη"
    assert anchors(li)  # its reply still under it
    finder = site.url("COMMENT_FIND", consultation=CONS, bucket=comment_bucket(gone))
    row = page(site.output, finder).by_id(f"sxolio-{gone}")  # an old e-mail's link: its place
    assert row.text().startswith("Σχόλιο που αποσύρθηκε «Ανάπλαση πλατείας», §1")
    assert "Πολίτης" not in row.text() and "2026" not in row.text()  # no name, no date
    assert urljoin("/" + finder, row.find("a").get("href")) == f"/{before[gone]}#sxolio-{gone}"


def test_a_rebuild_renders_only_the_pages_whose_comments_changed(
    root: Path, tmp_path: Path
) -> None:
    site = Site(root, tmp_path, **SMALL)
    data = many()
    site.build(data)
    marked = list(site.output.rglob("*.html"))
    for path in marked:
        path.write_text(path.read_text(encoding="utf-8") + "<!-- kept -->", encoding="utf-8")
    before = site.where()
    later = copy.deepcopy(data)
    lone = next(  # a thread on one of §1's pages that has room for one more
        c
        for c in data["comments"]
        if c["paragraph"] == PARAGRAPH
        and sum(before[x["id"]] == before[c["id"]] for x in data["comments"]) < 8
    )
    new = comment(900, parent=lone["id"])
    later["comments"].append(new)
    stats = site.build(later)
    consultation = site.url("CONSULTATION", slug=CONS)
    written = {  # Pelican's own pages (search, catalogue, about…) are written every time
        url
        for url in (
            p.relative_to(site.output).as_posix().removesuffix("index.html") for p in marked
        )
        if url.startswith(consultation) or url == ""
        if not (site.output / url / "index.html").read_text("utf-8").endswith("<!-- kept -->")
    }
    where = site.where()
    finder = site.url("COMMENT_FIND", consultation=CONS, bucket=comment_bucket(new["id"]))
    # the text (its counts), its consultation and the home page (counts), the comment page
    # that shows the new comment (that of its thread) and its finder page; and the feed
    assert where[new["id"]] == where[lone["id"]]
    assert written == {site.text_url, where[new["id"]], finder, consultation, ""}
    assert stats["rendered"] == 6 and stats["deleted"] == 0

    # fewer comments: the pages that no longer exist are deleted
    first = site.url("COMMENTS", consultation=CONS, slug=TEXT, target=PARAGRAPH)
    last = max((u for u in where.values() if u.startswith(first)), key=lambda u: (len(u), u))
    assert last != first
    fewer = copy.deepcopy(later)
    fewer["comments"] = [c for c in later["comments"] if where.get(c["id"]) != last]
    stats = site.build(fewer)
    assert stats["deleted"] >= 1 and not (site.output / last / "index.html").exists()


# --- the e-mails' links -----------------------------------------------------------------------
def test_a_comments_link_from_the_manifest_lands_on_it(paged) -> None:
    site, data = paged
    built = manifest.read(site.output / "consultations.json")
    links = Links("https://site.example", "https://api.example", built)
    where = site.where()
    for item in data["comments"]:
        if item["consultation"] != CONS:
            continue
        link = links.submission({**item, "kind": "comment"})
        assert link and link.startswith("https://site.example/")
        path, anchor = link.removeprefix("https://site.example/").split("#")
        assert anchor == f"sxolio-{item['id']}"
        finder = page(site.output, path)  # where the e-mail lands: the comment's row
        row = finder.by_id(anchor)
        assert item["reference"] in row.text()
        assert finder.find("meta", name="robots").get("content") == "noindex"
        onward = urljoin("/" + path, row.find("a").get("href")).lstrip("/")
        assert onward == f"{where[item['id']]}#{anchor}"  # and one link on, the comment
    sitemap = (site.output / "sitemap.xml").read_text(encoding="utf-8")
    finders = urls.matcher(site.settings, "COMMENT_FIND")
    locs = re.findall(r"<loc>/?(.*?)</loc>", sitemap)
    assert not [u for u in locs if finders.match(u)] and any(u in where.values() for u in locs)


def site_setting(root: Path, name: str) -> Any:
    from pelican.settings import get_settings_from_file

    return get_settings_from_file(str(root / "pelicanconf.py"))[name]


def test_a_paragraph_cannot_take_the_whole_texts_name(root: Path, tmp_path: Path) -> None:
    site = Site(root, tmp_path)
    text = site.content / "consultations" / "anoichti" / "podilata.md"
    whole = site_setting(root, "COMMENTS_WHOLE")
    text.write_text(text.read_text(encoding="utf-8") + f"\nΚαι μια ακόμη. {{#{whole}}}\n")
    with pytest.raises(Exception, match=f"«{whole}» δεσμεύεται"):
        site.build(json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8")))


# --- the packing rule alone -------------------------------------------------------------------
def _c(n: int, replies: list[Comment] | None = None, body: str = "x") -> Comment:
    nobody = Author("citizen", None, None, None, "", "")
    made = Comment(f"c{n:04d}", "", body, nobody, None, None, f"2026-01-01T00:{n:02d}", "")
    made.replies = replies or []
    return made


def test_a_late_reply_does_not_push_the_next_threads_on() -> None:
    threads = [_c(n) for n in range(10)]
    assert [len(p) for p in paginate(threads, 4, 10_000)] == [4, 4, 2]
    threads[1].replies = [_c(50 + k) for k in range(3)]  # written after every thread began
    assert [len(p) for p in paginate(threads, 4, 10_000)] == [4, 4, 2]
    threads[1].replies = [_c(50 + k) for k in range(5)]  # past twice the page: moves on
    pages = paginate(threads, 4, 10_000)
    assert [len(p) for p in pages] == [3, 4, 3]
    assert [len(flatten(p)) for p in pages] == [8, 4, 3]


def test_a_thread_larger_than_a_page_stays_whole_alone() -> None:
    big = _c(1, [_c(20 + k) for k in range(12)])
    pages = paginate([_c(0), big, _c(2), _c(3)], 4, 10_000)
    assert [[t.id for t in p] for p in pages] == [["c0000"], ["c0001"], ["c0002", "c0003"]]
    long = [_c(n, body="λ" * 400) for n in range(6)]
    assert [len(p) for p in paginate(long, 50, 1000)] == [2, 2, 2]  # the characters' limit
