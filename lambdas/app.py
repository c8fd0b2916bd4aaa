"""The Chalice app: routes and schedules only; the logic lives in chalicelib/."""

from chalice import Chalice

app = Chalice(app_name="diavoulefsi")


@app.route("/v1/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


# --- public submission routes (chalicelib.intake) -------------------------------------------


# --- staff moderation routes (chalicelib.moderation, chalicelib.auth) -----------------------


# --- schedules (chalicelib.publish) ----------------------------------------------------------
