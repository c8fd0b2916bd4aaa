"""The machine-readable outputs of the consultations: the API's manifest and the Atom feeds."""

import json
import xml.etree.ElementTree as etree
from datetime import UTC, datetime
from pathlib import Path

from chalicelib import config, site_files
from chalicelib.manifest import validate

from .models import Consultation

ATOM = "http://www.w3.org/2005/Atom"
MANIFEST_NAME = config.MANIFEST_FILE


def manifest(
    consultations: list[Consultation],
    content_root: Path,
    *,
    site_name: str = "",
    comment_anchor: str = "",
    moderation_url: str = "",
    identity: dict[str, str] | None = None,
) -> dict:
    """What the API checks every submission against, validated against manifest.schema.json;
    and what its e-mails need to name the site and link to a comment (``site_name``,
    ``comment_anchor``: pelicanconf's SITENAME and COMMENT_ANCHOR), to a consultation's results
    and to know that its report is out (``results_url``, ``report_date``); the staff digest links
    to the moderation page (``moderation_url``); the API's pages show the municipality as the
    site does (``identity``: ``municipality``, ``emblem``, ``contact_email``, those set).

    ``generated_at`` is the newest content file's time, not the build's: an unchanged manifest
    stays byte-identical, so the publish step does not upload it again.
    """
    newest = max((p.stat().st_mtime for p in content_root.rglob("*.md")), default=0)
    data: dict = {
        "schema_version": 1,
        "generated_at": datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **({"site_name": site_name} if site_name else {}),
        **({"comment_anchor": comment_anchor} if comment_anchor else {}),
        **({"moderation_url": "/" + moderation_url} if moderation_url else {}),
        **{key: value for key, value in (identity or {}).items() if value},
        "consultations": [
            {
                "slug": c.slug,
                "title": c.title,
                "theme": c.theme,
                "opens": c.opens.isoformat(),
                "closes": c.closes.isoformat(),
                "url": "/" + c.url,
                "proposal_url": "/" + c.proposal_pattern,
                **({"comment_url": "/" + c.comment_pattern} if c.comment_pattern else {}),
                # plugins/results sets results_updated when it builds the results page
                **({"results_url": "/" + c.results_url} if c.results_updated else {}),
                **({"report_date": c.report_date} if c.report_date else {}),
                "texts": [
                    {
                        "slug": t.slug,
                        "title": t.title,
                        "kind": t.kind,
                        "url": "/" + t.url,
                        "paragraphs": [p.id for p in t.paragraphs],
                    }
                    for t in c.texts
                ],
            }
            for c in consultations
        ],
    }
    validate(data)
    return data


def write_manifest(output_path: str, data: dict) -> Path:
    path = Path(output_path) / MANIFEST_NAME
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    site_files.wrote(path)
    return path


def _sub(parent: etree.Element, tag: str, text: str | None = None, **attrs: str) -> etree.Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


def atom_feed(consultation: Consultation, site_url: str) -> bytes:
    """Texts and approved proposals of one consultation, newest first."""
    etree.register_namespace("", ATOM)
    feed = etree.Element(f"{{{ATOM}}}feed", {"xml:lang": "el"})
    base = f"{site_url}/" if site_url else "/"
    _sub(feed, "title", consultation.title)
    _sub(feed, "subtitle", consultation.summary)
    _sub(feed, "id", f"urn:diavoulefsi:{consultation.slug}")
    _sub(feed, "link", href=base + consultation.url)
    _sub(feed, "link", rel="self", href=base + consultation.feed_url)
    entries = [
        (
            consultation.opens.isoformat(),
            f"urn:diavoulefsi:{consultation.slug}:{t.slug}",
            t.title,
            t.url,
            t.kind_label,
        )
        for t in consultation.texts
    ] + [
        (
            p.approved_at,
            f"urn:diavoulefsi:{consultation.slug}:protasi:{p.id}",
            p.title,
            p.url,
            p.body[:300],
        )
        for p in consultation.proposals
    ]
    if consultation.results_updated:
        entries.append(
            (
                consultation.results_updated,
                f"urn:diavoulefsi:{consultation.slug}:results",
                f"Αποτελέσματα: {consultation.title}",
                consultation.results_url,
                "Η συμμετοχή, οι απαντήσεις του Δήμου σε κάθε σχόλιο και πρόταση, "
                "τι άλλαξε στα κείμενα και η έκθεση του Δήμου.",
            )
        )
    entries.sort(key=lambda e: e[0], reverse=True)
    _sub(feed, "updated", max([e[0] for e in entries], default=consultation.opens.isoformat()))
    author = _sub(feed, "author")
    _sub(author, "name", "Δήμος")
    for updated, entry_id, title, url, summary in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "title", title)
        _sub(entry, "id", entry_id)
        _sub(entry, "link", href=base + url)
        _sub(entry, "updated", updated)
        _sub(entry, "summary", summary)
    return etree.tostring(feed, encoding="utf-8", xml_declaration=True)
