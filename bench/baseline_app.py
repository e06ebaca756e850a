"""The baseline for ``bench.inbound``: the least an inbound-text webhook can do.

    gunicorn --workers 4 --threads 4 'bench.baseline_app:create_app()'

Flask on the same server stack as the patient app; its one route checks the Twilio signature
exactly as the patient app does (public URL + every form parameter), inserts one row and answers
with TwiML. Settings come from the environment: ``BENCH_BASELINE_DATABASE_URL`` (its table
``bench_inbound`` must exist, see ``TABLE_SQL``), ``TWILIO_AUTH_TOKEN``, ``PUBLIC_BASE_URL``.
Not a benchmark script (no ``main``), and never imported by the product.
"""

from __future__ import annotations

import os

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_inbound (
    id serial PRIMARY KEY,
    sid varchar(64) NOT NULL,
    from_number varchar(20),
    body text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
)
"""


def create_app():
    from flask import Flask, Response, abort, request
    from sqlalchemy import create_engine, text
    from twilio.request_validator import RequestValidator
    from twilio.twiml.messaging_response import MessagingResponse

    url = os.environ["BENCH_BASELINE_DATABASE_URL"]
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    public = os.environ["PUBLIC_BASE_URL"].rstrip("/")
    engine = create_engine(url, pool_pre_ping=True)
    insert = text(
        "INSERT INTO bench_inbound (sid, from_number, body) VALUES (:sid, :sender, :body)"
    )
    app = Flask(__name__)

    @app.post("/twilio/sms")
    def sms():
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not validator.validate(public + request.path, request.form, signature):
            abort(403)
        form = request.form
        with engine.begin() as connection:
            connection.execute(
                insert,
                {
                    "sid": form.get("MessageSid", ""),
                    "sender": form.get("From"),
                    "body": form["Body"],
                },
            )
        reply = MessagingResponse()
        reply.message("Thanks, we got your answer.")
        return Response(str(reply), status=200, mimetype="text/xml")

    return app
