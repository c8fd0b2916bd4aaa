"""Every absolute link the platform writes into an e-mail or an API page, in one place: the
API's own routes (lambdas/app.py) and, from the manifest the site build wrote, where a
published submission lives on the site (one source for the site's URL patterns: pelicanconf)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import config, manifest, tokens
from chalicelib.manifest import Consultation, Manifest

FOLLOW = "/v1/follow/"
CONFIRM = "/v1/subscriptions/confirm/"
UNSUBSCRIBE = "/v1/unsubscribe/"
RECEIVED = "/v1/received/"  # a submission's confirmation page (chalicelib.form_pages)
SUPPORT_CONFIRM = "/v1/supports/confirm/"  # a support's confirmation (chalicelib.supports)
# Paths never logged past their prefix: a token, or a reference that ties a log line to a person.
SECRET_PREFIXES = (FOLLOW, CONFIRM, UNSUBSCRIBE, RECEIVED, SUPPORT_CONFIRM)
DEFAULT_ANCHOR = "sxolio-{id}"  # older manifests lack comment_anchor


def comment_bucket(comment_id: str) -> str:
    """The finder page of a comment (the manifest's ``comment_url``, {bucket}): the last
    character of its id, random in a ULID, so that the consultation's comments spread evenly
    over at most 32 pages; the site build places each comment by the same rule."""
    return comment_id[-1:].lower()


@dataclass(frozen=True)
class Links:
    site_url: str
    api_url: str
    manifest: Manifest | None = None

    @classmethod
    def current(cls, loaded: Manifest | None = None) -> Links:
        """This environment's links, with ``loaded`` or else the current manifest if usable."""
        cfg = config.get()
        return cls(cfg.site_url, cfg.api_url or cfg.site_url, loaded or manifest.usable())

    @property
    def site_name(self) -> str:
        name = self.manifest.site_name if self.manifest else ""
        return name or "Διαβούλευση"

    def frame(self) -> dict[str, str]:
        """What every API page's frame shows (templates/pages/_base.html): the site, and the
        municipality's name, emblem and help address as the site shows them."""
        built = self.manifest
        return {
            "site_name": self.site_name,
            "site_url": self.site_url,
            "municipality": built.municipality if built else "",
            "emblem": built.emblem if built else "",
            "contact_email": built.contact_email if built else "",
        }

    def follow(self, token: str) -> str:
        return f"{self.api_url}{FOLLOW}{token}"

    def confirm(self, token: str) -> str:
        return f"{self.api_url}{CONFIRM}{token}"

    def support_confirm(self, token: str) -> str:
        return f"{self.api_url}{SUPPORT_CONFIRM}{token}"

    def unsubscribe(self, address: str, scope: str = tokens.ALL) -> str:
        return f"{self.api_url}{UNSUBSCRIBE}{tokens.unsubscribe_token(address, scope)}"

    def consultation(self, slug: str) -> Consultation | None:
        return self.manifest.consultation(slug) if self.manifest else None

    def site(self, path: str) -> str:
        return f"{self.site_url}{path}"

    def submission(self, item: dict[str, Any]) -> str | None:
        """Where a published comment or proposal is on the site (None if unknown)."""
        cons = self.consultation(item.get("consultation", ""))
        if cons is None:
            return None
        if item.get("kind") == "proposal":
            return self.site(cons.proposal_url.format(id=item["id"])) if cons.proposal_url else None
        anchor = ((self.manifest.comment_anchor if self.manifest else "") or DEFAULT_ANCHOR).format(
            id=item["id"]
        )
        if cons.comment_url:  # its finder page, which links on to the page that shows it
            return self.site(
                f"{cons.comment_url.format(bucket=comment_bucket(item['id']))}#{anchor}"
            )
        if item.get("text"):
            text = cons.texts.get(item["text"])
            return self.site(f"{text.url}#{anchor}") if text else None
        if item.get("proposal") and cons.proposal_url:
            return self.site(f"{cons.proposal_url.format(id=item['proposal'])}#{anchor}")
        return None

    def target_title(self, item: dict[str, Any]) -> str | None:
        cons = self.consultation(item.get("consultation", ""))
        text = cons.texts.get(item.get("text") or "") if cons else None
        return text.title if text else None
