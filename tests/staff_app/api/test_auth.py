"""Bearer tokens: who may call, what a refusal looks like, and no cookies or CSRF."""

from __future__ import annotations

from sqlalchemy import select

from cocm.models import ApiToken, AuditEvent
from tests.staff_app.api.helpers import T0, Api, problem_of, token_for
from tests.staff_app.api.helpers import Api as JsonClient


def test_no_token_is_401_with_a_problem_and_is_audited(client, home, sql):
    response = Api(client, None).get("/me")
    body = problem_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in body["detail"]
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_auth_failed"))
    assert event is not None and event.detail["sent_token"] is False


def test_a_wrong_token_is_401(client, home):
    problem_of(Api(client, "cocm_not-a-real-token").get("/me"), 401)
    problem_of(Api(client, "Basic abc").get("/me"), 401)


def test_a_valid_token_acts_as_its_user_and_is_audited(client, home, sql):
    token = token_for(home.manager)
    sql.commit()
    response = Api(client, token).get("/me")
    assert response.status_code == 200, response.text
    me = response.get_json()
    assert me["email"] == home.manager.email
    assert me["clinics"] == [
        {
            "id": home.clinic.id,
            "slug": home.slug,
            "name": home.clinic.name,
            "timezone": "America/New_York",
            "sms_number": home.clinic.sms_number,
            "roles": ["care_manager"],
        }
    ]
    assert me["token"]["prefix"] == token[:12]
    row = sql.scalar(select(ApiToken).where(ApiToken.id == me["token"]["id"]))
    assert row.last_used_at == T0
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_me"))
    assert (event.staff_id, event.api_token_id) == (home.manager.id, row.id)


def test_a_revoked_token_and_a_deactivated_user_are_refused(client, home, sql):
    revoked, inactive = token_for(home.manager), token_for(home.staff("treating_clinician"))
    row = sql.scalar(select(ApiToken).where(ApiToken.prefix == revoked[:12]))
    row.revoked_at = T0
    home.staff("treating_clinician").is_active = False
    sql.commit()
    problem_of(Api(client, revoked).get("/me"), 401)
    problem_of(Api(client, inactive).get("/me"), 401)


def test_no_session_cookie_is_read_or_set(staff_app, client, home, sql):
    token = token_for(home.manager)
    sql.commit()
    client.set_cookie("sql", "forged-or-stale")
    response = JsonClient(client, token).get("/me")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Set-Cookie" not in Api(client, None).get("/me").headers


def test_posts_need_no_csrf_token(staff_app, client, home, sql):
    staff_app.config["WTF_CSRF_ENABLED"] = True
    token = token_for(home.manager)
    sql.commit()
    body = {"mrn": "CSRF-1", "first_name": "Ana", "last_name": "Lee", "date_of_birth": "1980-02-01"}
    response = Api(client, token).post("/patients", body)
    assert response.status_code == 201, response.text


def test_unknown_paths_and_methods_answer_problems(client, home, sql):
    token = token_for(home.manager)
    sql.commit()
    api = Api(client, token)
    assert problem_of(api.get("/no-such-thing"), 404)
    assert problem_of(api.get("/patients/not-a-number"), 404)
    assert problem_of(api.get("/patients/99999999999"), 404)
    response = api.open("DELETE", "/patients")
    problem_of(response, 405)
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_and_a_non_object_is_422(client, home, sql):
    token = token_for(home.manager)
    sql.commit()
    api = Api(client, token)
    response = client.post(
        "/api/v1/patients",
        data=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    problem_of(response, 400)
    problem_of(api.post("/patients", [1, 2]), 422)


def test_staff_pages_still_use_their_html_errors(client, home):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
