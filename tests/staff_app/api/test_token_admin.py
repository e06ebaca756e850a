"""The admin page of API tokens: list the tokens of one's clinics' staff, revoke them."""

from __future__ import annotations

from sqlalchemy import select

from cocm.models import ApiToken, AuditEvent
from tests.cocm.clinics.helpers import csrf, signed_in
from tests.staff_app.api.helpers import Api, problem_of, token_for


def _tokens(home, away, sql) -> tuple[str, str]:
    mine, theirs = token_for(home.manager, "EHR sync"), token_for(away.manager, "Their sync")
    sql.commit()
    return mine, theirs


def _id(sql, token: str) -> int:
    return sql.scalar(select(ApiToken.id).where(ApiToken.prefix == token[:12]))


def test_admins_see_their_clinics_tokens_only(staff_app, home, away, sql):
    mine, theirs = _tokens(home, away, sql)
    client = signed_in(staff_app, home.staff("admin"))
    page = client.get("/admin/api-tokens")
    assert page.status_code == 200
    assert "EHR sync" in page.text and mine[:12] in page.text
    assert "Their sync" not in page.text and theirs[:12] not in page.text
    assert mine not in page.text  # never the token itself
    assert sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_tokens_view"))


def test_revoke_stops_the_token_at_once(staff_app, client, home, away, sql):
    mine, _ = _tokens(home, away, sql)
    admin = signed_in(staff_app, home.staff("admin"))
    assert Api(client, mine).get("/me").status_code == 200
    page = admin.get("/admin/api-tokens")
    response = admin.post(
        "/admin/api-tokens/revoke", data={"token_id": _id(sql, mine), "csrf_token": csrf(page.text)}
    )
    assert response.status_code == 302
    assert "revoked" in admin.get("/admin/api-tokens").text
    problem_of(Api(client, mine).get("/me"), 401)
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_token_revoked"))
    assert event.staff_id == home.staff("admin").id and event.object_id == _id(sql, mine)


def test_another_clinics_token_cannot_be_revoked(staff_app, client, home, away, sql):
    _, theirs = _tokens(home, away, sql)
    admin = signed_in(staff_app, home.staff("admin"))
    token = csrf(admin.get("/admin/api-tokens").text)
    response = admin.post(
        "/admin/api-tokens/revoke", data={"token_id": _id(sql, theirs), "csrf_token": token}
    )
    assert response.status_code == 404
    assert Api(client, theirs).get("/me").status_code == 200
    missing = admin.post("/admin/api-tokens/revoke", data={"csrf_token": token})
    assert missing.status_code == 404


def test_only_admins(staff_app, home, away, sql):
    mine, _ = _tokens(home, away, sql)
    for role in ("care_manager", "treating_clinician", "psychiatric_consultant", "clinic_lead"):
        client = signed_in(staff_app, home.staff(role))
        assert client.get("/admin/api-tokens").status_code == 403
        refused = client.post("/admin/api-tokens/revoke", data={"token_id": _id(sql, mine)})
        assert refused.status_code in (400, 403)
    assert sql.get(ApiToken, _id(sql, mine)).revoked_at is None
