"""HTTP of the public routes: reading the body (JSON or form-encoded, UTF-8 only, size
limit), the answers (JSON, a 303, or an HTML page of the API's own), and CORS for the configured
site origins only.

Which answer a client gets: a form-encoded post is a plain HTML form, answered for people (the
submission routes: chalicelib.form_pages; the subscription form: a 303 back to the site with a
``#enimerosi-…`` notice), unless it asks for JSON with ``Accept: application/json`` (a script
posting the form's fields). JSON posts always get JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from chalice import Response
from chalice.app import Request

from chalicelib import config
from chalicelib.errors import ApiError
from chalicelib.spec import limits

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
RETURN_TO = re.compile(r"/(?!/)[A-Za-z0-9._~%/-]*")
MAX_FORM_FIELDS = 64
# max_request_bytes counts the content (UTF-8), not its escaping: percent-encoding and JSON
# \u-escapes make a body at most three times larger on the wire than its content.
ENCODING_GROWTH = 3
JSON_TYPE = "application/json; charset=utf-8"


_request: ContextVar[Request] = ContextVar("request")


def bind(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: remember this request for its view. ``app.current_request`` is one
    attribute shared by all threads of ``chalice local``, so under concurrent requests a view
    could read another request's; the request a middleware receives is its own."""
    token = _request.set(request)
    try:
        return get_response(request)
    finally:
        _request.reset(token)


def current_request() -> Request:
    """The request the running view answers (see ``bind``)."""
    return _request.get()


def media_type(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """The media type (lowercase, no parameters) and its charset parameter, if any."""
    main, *params = (headers.get("content-type") or "").split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return main.strip().lower(), charset


def from_plain_form(headers: Mapping[str, str]) -> bool:
    """True for a plain HTML form post, answered for people (see the module docstring)."""
    return media_type(headers)[0] == FORM and JSON not in (headers.get("accept") or "").lower()


def read_body(request: Request) -> dict[str, Any]:
    """The posted fields: 413 past max_request_bytes of content (a Greek text is six bytes a
    letter when form-encoded, two in UTF-8), 415 for other media types or charsets,
    400 ``invalid_encoding`` / ``invalid_json`` / ``invalid_type`` for malformed bodies."""
    raw = request.raw_body or b""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    limit = int(limits()["max_request_bytes"])
    if len(data) > ENCODING_GROWTH * limit:
        raise ApiError("too_large")
    kind, charset = media_type(request.headers)
    if kind not in (JSON, FORM) or charset not in (None, "utf-8", "utf8"):
        raise ApiError("unsupported_media_type")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError("invalid_encoding") from exc
    fields = _read_json(text) if kind == JSON else _read_form(text)
    if _content_bytes(fields) > limit:
        raise ApiError("too_large")
    return fields


def _content_bytes(fields: Any) -> int:
    """The UTF-8 size of what was posted, whatever the escaping on the wire."""
    if not isinstance(fields, dict):  # refused by the shape check anyway
        return 0
    return sum(
        len(name.encode("utf-8", "surrogatepass"))
        + (len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else 0)
        for name, value in fields.items()
    )


def _read_json(text: str) -> dict[str, Any]:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ApiError("invalid_json") from exc


def _read_form(text: str) -> dict[str, Any]:
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise ApiError("invalid_encoding") from exc
    except ValueError as exc:  # more fields than any form of ours has
        raise ApiError("too_large") from exc
    fields: dict[str, Any] = {}
    repeated: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            repeated[name] = "Το πεδίο δόθηκε περισσότερες από μία φορές."
        fields[name] = value
    if repeated:
        raise ApiError("invalid_type", fields=repeated)
    return fields


def safe_return_to(value: Any, default: str) -> str:
    """``value`` if it is a site-relative path (one leading ``/``, no ``//``, no scheme, host,
    backslash, query, fragment or control character), else ``default``: never an open
    redirect."""
    limit = int(limits()["fields"]["return_to"]["max"])
    if isinstance(value, str) and len(value) <= limit and RETURN_TO.fullmatch(value):
        return value if "//" not in value else default
    return default


def cors_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Allow-Origin for a site origin only (never ``*``); Vary: Origin always."""
    origin = (headers.get("origin") or "").rstrip("/")
    if origin and origin in config.get().site_origins:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "Retry-After",
            "Vary": "Origin",
        }
    return {"Vary": "Origin"}


def preflight(request: Request) -> Response:
    """The CORS preflight of a submission route: 204 for the site origins, 403 otherwise."""
    cors = cors_headers(request.headers)
    if "Access-Control-Allow-Origin" not in cors:
        return error_json(ApiError("forbidden_origin"), cors)
    cors |= {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept",
        "Access-Control-Max-Age": "600",
    }
    return Response(body="", status_code=204, headers={**cors})


def accepted_json(answer: dict[str, str], cors: dict[str, str]) -> Response:
    return Response(body=json.dumps(answer), status_code=202, headers=_json_headers(cors))


def error_json(error: ApiError, cors: dict[str, str]) -> Response:
    body = json.dumps(error.body(), ensure_ascii=False)
    return Response(
        body=body, status_code=error.status, headers=_json_headers(cors) | error.headers
    )


def redirect(
    return_to: str,
    notice: str,
    outcome: str,
    extra: Mapping[str, str | list[str]] | None = None,
) -> Response:
    """303 back to the page the form is on, with the notice to show as the fragment
    (``#<notice>-<outcome>``: the site's templates show the matching notice)."""
    location = f"{config.get().site_url}{return_to}#{notice}-{outcome}"
    return Response(
        body="",
        status_code=303,
        headers={"Location": location, "Cache-Control": "no-store", **(extra or {})},
    )


def _json_headers(cors: dict[str, str]) -> dict[str, str | list[str]]:
    return {"Content-Type": JSON_TYPE, "Cache-Control": "no-store", **cors}


# --- the API's own pages (private links, confirmations: chalicelib.follow, subscriptions) -----
HTML_TYPE = "text/html; charset=utf-8"


def wants_html(headers: Mapping[str, str]) -> bool:
    """A browser following a link (it asks for text/html); scripts get JSON."""
    accept = (headers.get("accept") or "").lower()
    return "text/html" in accept


def page(body: str, status: int = 200) -> Response:
    """An HTML page of the API: never cached, never indexed, no referrer to other sites (its
    URL holds a token), styles from the site only, forms posting only to itself."""
    site = _origin(config.get().site_url)
    headers: dict[str, str | list[str]] = {
        "Content-Type": HTML_TYPE,
        "Cache-Control": "no-store",
        # Nothing to other sites (the URL holds a token); the page's own forms still send
        # their Origin (under no-referrer a browser sends "Origin: null", which is refused).
        "Referrer-Policy": "same-origin",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {site}; img-src {site}; font-src {site}; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
    }
    return Response(body=body, status_code=status, headers=headers)


def json_answer(data: Mapping[str, Any], status: int = 200) -> Response:
    return Response(
        body=json.dumps(data, ensure_ascii=False), status_code=status, headers=_json_headers({})
    )


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else url


def own_origin(headers: Mapping[str, str]) -> str:
    """The origin this request was addressed to (its own pages post back to it)."""
    proto = (headers.get("x-forwarded-proto") or "http").split(",")[0].strip()
    return f"{proto}://{headers.get('host', '')}"


def same_site(headers: Mapping[str, str]) -> bool:
    """The one Origin rule of every public POST (chalicelib.guards.origin, follow,
    subscriptions): Origin, else Referer, absent or a site origin or the API's own (its pages'
    forms post back to it)."""
    sent = headers.get("origin") or (
        _origin(headers["referer"]) if headers.get("referer") else None
    )
    if sent is None:
        return True
    sent = sent.strip().rstrip("/")
    cfg = config.get()
    return (
        sent in cfg.site_origins
        or sent == own_origin(headers)
        or (bool(cfg.api_url) and sent == _origin(cfg.api_url))
    )
