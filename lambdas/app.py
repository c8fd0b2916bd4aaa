"""The Chalice app: routes and schedules only; the logic lives in chalicelib/."""

import os
from collections.abc import Callable

from chalice import AuthResponse, Chalice, CORSConfig, Cron, Rate, Response
from chalice.app import AuthRequest, CloudWatchEvent, Request

from chalicelib import (
    answers,
    auth,
    follow,
    form_pages,
    http,
    intake,
    moderation,
    moderation_groups,
    moderation_queue,
    subscriptions,
    supports,
)

app = Chalice(app_name="diavoulefsi")


@app.route("/v1/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


# --- public submission routes (chalicelib.intake) -------------------------------------------
# Form bodies travel base64-encoded through API Gateway, so invalid UTF-8 reaches the check.
app.api.binary_types.append(http.FORM)
PUBLIC = {"content_types": ["*/*"]}  # intake answers other media types with the contract's 415


@app.middleware("http")
def bind_request(request: Request, get_response: Callable[[Request], Response]) -> Response:
    return http.bind(request, get_response)  # chalice local's threads share app.current_request


@app.route("/v1/comments", methods=["POST"], **PUBLIC)
def post_comment() -> Response:
    return intake.submit("comment", http.current_request())


@app.route("/v1/proposals", methods=["POST"], **PUBLIC)
def post_proposal() -> Response:
    return intake.submit("proposal", http.current_request())


# Without a script: the comment form aimed at a paragraph or a comment, and the confirmation.
@app.route("/v1/comments/new", methods=["GET"])
def comment_form() -> Response:
    return form_pages.blank(http.current_request().query_params)


@app.route("/v1/received/{reference}", methods=["GET"])
def received(reference: str) -> Response:
    return form_pages.received(reference, http.current_request().query_params)


@app.route("/v1/comments", methods=["OPTIONS"])
@app.route("/v1/proposals", methods=["OPTIONS"])
@app.route("/v1/subscriptions", methods=["OPTIONS"])
@app.route("/v1/supports", methods=["OPTIONS"])
def preflight() -> Response:
    return http.preflight(http.current_request())


# --- a participant's private link and e-mail choices (chalicelib.follow, subscriptions) -----
@app.route("/v1/follow/{token}", methods=["GET"])
def follow_page(token: str) -> Response:
    return follow.view(token, http.current_request())


@app.route("/v1/follow/{token}", methods=["POST"], **PUBLIC)
def follow_action(token: str) -> Response:
    return follow.act(token, http.current_request())


@app.route("/v1/subscriptions", methods=["POST"], **PUBLIC)
def subscribe() -> Response:
    return subscriptions.subscribe(http.current_request())


@app.route("/v1/subscriptions/confirm/{token}", methods=["GET", "POST"], **PUBLIC)
def subscription_confirm(token: str) -> Response:
    return subscriptions.confirm(token, http.current_request())


@app.route("/v1/unsubscribe/{token}", methods=["GET", "POST"], **PUBLIC)
def unsubscribe(token: str) -> Response:
    return subscriptions.unsubscribe(token, http.current_request())


# --- «Υποστηρίζω» on a published comment or proposal (chalicelib.supports) ------------------
@app.route("/v1/supports/new", methods=["GET"])
def support_form() -> Response:
    return supports.new(http.current_request())


@app.route("/v1/supports", methods=["POST"], **PUBLIC)
def support() -> Response:
    return supports.submit(http.current_request())


@app.route("/v1/supports/sent", methods=["GET"])
def support_sent() -> Response:
    return supports.sent(http.current_request())


@app.route("/v1/supports/confirm/{token}", methods=["GET", "POST"], **PUBLIC)
def support_confirm(token: str) -> Response:
    return supports.confirm(token, http.current_request())


# --- staff moderation routes (chalicelib.moderation, chalicelib.auth) -----------------------
@app.authorizer(ttl_seconds=0)  # no caching: a revoked token stops working at once
def staff_token(auth_request: AuthRequest) -> AuthResponse:
    return auth.authorize(auth_request.token)


@app.middleware("http")
def staff_only(request: Request, get_response: Callable[[Request], Response]) -> Response:
    return auth.guard(app.routes, request, get_response)


STAFF = {
    "authorizer": staff_token,
    "content_types": ["application/json"],  # no cross-site HTML form can post here
    "cors": CORSConfig(allow_origin=auth.site_origin(), max_age=600),
}


@app.route("/v1/moderation/items", methods=["GET"], **STAFF)
@moderation.json_errors
def moderation_items() -> dict[str, object]:
    return moderation_queue.list_items(http.current_request().query_params)


@app.route("/v1/moderation/items/{item_id}", methods=["GET"], **STAFF)
@moderation.json_errors
def moderation_item(item_id: str) -> dict[str, object]:
    return moderation_queue.get_item(item_id)


@app.route("/v1/moderation/items/{item_id}", methods=["POST"], **STAFF)
@moderation.json_errors
def moderation_decide(item_id: str) -> dict[str, object]:
    request = http.current_request()
    return moderation.decide(item_id, request.raw_body, auth.staff_name(request))


@app.route("/v1/moderation/items/{item_id}/answer", methods=["POST"], **STAFF)
@moderation.json_errors
def moderation_answer(item_id: str) -> dict[str, object]:
    request = http.current_request()
    return answers.answer(item_id, request.raw_body, auth.staff_name(request))


@app.route("/v1/moderation/answers", methods=["POST"], **STAFF)
@moderation.json_errors
def moderation_answer_many() -> dict[str, object]:
    request = http.current_request()
    return answers.answer_many(request.raw_body, auth.staff_name(request))


@app.route("/v1/moderation/items/{item_id}/split", methods=["POST"], **STAFF)
@moderation.json_errors
def moderation_split(item_id: str) -> dict[str, object]:
    request = http.current_request()
    return moderation_groups.split(item_id, request.raw_body, auth.staff_name(request))


# Campaign groups as one (chalicelib.moderation_groups): see it, decide it, answer it.
@app.route("/v1/moderation/groups/{group_id}", methods=["GET"], **STAFF)
@moderation.json_errors
def moderation_group(group_id: str) -> dict[str, object]:
    return moderation_groups.show(group_id, http.current_request().query_params)


@app.route("/v1/moderation/groups/{group_id}", methods=["POST"], **STAFF)
@moderation.json_errors
def moderation_group_decide(group_id: str) -> dict[str, object]:
    request = http.current_request()
    return moderation_groups.decide_group(group_id, request.raw_body, auth.staff_name(request))


@app.route("/v1/moderation/groups/{group_id}/answer", methods=["POST"], **STAFF)
@moderation.json_errors
def moderation_group_answer(group_id: str) -> dict[str, object]:
    request = http.current_request()
    return moderation_groups.answer_group(group_id, request.raw_body, auth.staff_name(request))


@app.route("/v1/moderation/summary", methods=["GET"], **STAFF)
@moderation.json_errors
def moderation_summary() -> dict[str, object]:
    return moderation_queue.summary(http.current_request().query_params)


@app.route("/v1/moderation/decided-unpublished", methods=["GET"], **STAFF)
@moderation.json_errors
def moderation_decided_unpublished() -> dict[str, object]:
    return moderation_queue.decided_unpublished(http.current_request().query_params)


# --- schedules (chalicelib.publish) ----------------------------------------------------------
# Every minute, a run that costs one read when nothing changed; a change asks for a run at once
# (chalicelib.trigger), so an approval is live within a minute either way.
PUBLISH_RATE_MINUTES = int(os.environ.get("PUBLISH_RATE_MINUTES", "1"))


@app.schedule(Rate(PUBLISH_RATE_MINUTES, unit=Rate.MINUTES))
def publish_site(event: CloudWatchEvent) -> dict[str, object]:
    """Republish the site when a moderation decision arrived since the last publish."""
    from chalicelib import publish, trigger  # only this function needs them: the API's cold start

    return publish.scheduled(requested=event.source == trigger.SOURCE).as_dict()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def group_submissions(event: object) -> dict[str, object]:
    """Group the near-identical submissions that arrived (a campaign's copies)."""
    from chalicelib import grouping  # numpy, through datasketch: this function's only

    return grouping.scheduled().as_dict()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def send_mail(event: object) -> dict[str, object]:
    """Send the outbox's due messages (receipts, notices, confirmations, the digest)."""
    from chalicelib import outbox

    return outbox.send_due().as_dict()


@app.schedule(Cron(0, 5, "*", "*", "?", "*"))
def staff_digest(event: object) -> dict[str, object]:
    """Every morning (05:00 UTC: 07:00 or 08:00 in Athens), the staff's digest."""
    from chalicelib import digest

    return {"written": digest.enqueue()}
