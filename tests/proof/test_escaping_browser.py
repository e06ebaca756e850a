"""Markup and script in names, notes and texts appear escaped on every staff and portal page.

A patient named ``<script>…</script>``, a contact note and a queue note carrying ``<img
onerror>``, and an inbound text with ``<b>`` and ``<script>`` are added to the live demo database;
then the chart, registry, queue, queue item, SMS simulator list and thread, and the patient's own
portal home are opened in headless Chromium. On each: the literal text is visible as text, no
element was made from it, and ``window.__xss`` was never set. (The content security policy would
block the scripts even if they were injected, so the DOM and the visible text are the proof of
escaping, and ``window.__xss`` the proof that nothing ran.)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cocm import db
from cocm.clock import utcnow
from cocm.inbound import receive_sms
from cocm.models import Clinic, Contact, Message, QueueItem, Staff
from cocm.response_queue import add_note
from tests.e2e.conftest import ARTIFACTS, CHROMIUM_ARGS, sign_in
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.browser

MARIA = "maria.lopez@demo.cocm.example"
FIRST = "<script>window.__xss=1</script>"
LAST = "O'Brien<img src=x onerror=window.__xss=2>"
NOTE = "<img src=x onerror=window.__xss=3> called & left a message"
QUEUE_NOTE = '"><svg onload=window.__xss=4></svg> tried twice'
TEXT = "<b>bold</b><script>window.__xss=5</script> hi"
# Elements the hostile strings would have become had they been inserted as markup.
INJECTED = """() => [...document.querySelectorAll('*')].filter(e =>
    (e.tagName === 'SCRIPT' && e.textContent.includes('__xss')) ||
    [...e.attributes].some(a => a.name.startsWith('on')) ||
    (e.tagName === 'IMG' && e.getAttribute('src') === 'x') ||
    (e.tagName === 'B' && e.textContent === 'bold')
).map(e => e.outerHTML.slice(0, 200))"""


@dataclass(frozen=True)
class Hostile:
    patient_id: int
    phone: str
    typed_phone: str
    queue_item_id: int


@pytest.fixture(scope="module")
def hostile(live_server):
    """The hostile records, committed to the live server's database."""
    now = utcnow()
    session = db.Session()
    try:
        maria = session.scalar(select(Staff).where(Staff.email == MARIA))
        clinic = session.get(Clinic, maria.memberships[0].clinic_id)
        digits = f"{uuid.uuid4().int % 10_000:04d}"
        patient = PatientFactory(
            clinic=clinic,
            first_name=FIRST,
            last_name=LAST,
            care_manager_id=maria.id,
            phone_e164=f"+1202555{digits}",
            sms_consent_at=now,
        )
        EpisodeFactory(patient=patient, status="active")
        session.add(
            Contact(
                patient_id=patient.id,
                staff_id=maria.id,
                kind="phone",
                outcome="reached",
                occurred_at=now,
                minutes=5,
                note=NOTE,
                next_action=NOTE,
            )
        )
        session.flush()
        result = receive_sms(
            session,
            message_sid=f"SM{uuid.uuid4().hex}",
            from_number=patient.phone_e164,
            to_number=clinic.sms_number,
            body=TEXT,
            opt_out_type=None,
            now=now,
        )
        # Free text with nothing open: a queue item for a person, linked to the text.
        item = session.scalars(
            select(QueueItem).where(QueueItem.message_id == result.message.id)
        ).one()
        add_note(session, item, maria, QUEUE_NOTE, now)
        session.commit()
        hostile = Hostile(
            patient.id,
            patient.phone_e164,
            f"(202) 555-{digits}",
            item.id,
        )
    finally:
        db.Session.remove()
    return hostile


def _escaped(page, *literals: str) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__xss") == "undefined", page.url
    assert page.evaluate(INJECTED) == [], page.url
    shown = page.locator("body").inner_text()
    for literal in literals:
        assert literal in shown, f"{literal!r} is not shown as text on {page.url}"


def in_chromium(executable: str, name: str, steps: Callable[[Page], None]) -> None:
    """Run ``steps`` on a fresh page of a headless Chromium of its own, in a thread of its own.

    Playwright's sync API allows one instance per thread, and tests/e2e keeps its own session
    browser open for the whole run; a thread keeps the two apart.
    """

    def run() -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(10_000)
            try:
                steps(page)
            finally:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"escaping-{name}-last.png"), full_page=True)
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


def test_staff_pages_show_markup_as_text(chromium_path, live_server, hostile):
    in_chromium(chromium_path, "staff", lambda page: _staff_pages(page, live_server, hostile))


def _staff_pages(page: Page, live_server: str, hostile: Hostile) -> None:
    sign_in(page, live_server, MARIA)
    expect(
        page.get_by_role("link", name="Sign out").or_(page.get_by_text("Sign out"))
    ).to_be_visible()
    staff = f"{live_server}/staff"
    visits = {
        f"{staff}/patients/{hostile.patient_id}": (FIRST, LAST, NOTE),
        f"{staff}/registry": (FIRST, LAST),
        f"{staff}/queue": (FIRST,),
        f"{staff}/queue/{hostile.queue_item_id}": (FIRST, TEXT, QUEUE_NOTE),
        f"{staff}/simulator/": (FIRST,),
        f"{staff}/simulator/patients/{hostile.patient_id}": (FIRST, TEXT),
    }
    for url, literals in visits.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        _escaped(page, *literals)


def test_the_patients_own_portal_home_shows_markup_as_text(chromium_path, live_server, hostile):
    in_chromium(chromium_path, "portal", lambda page: _portal_home(page, live_server, hostile))


def _portal_home(page: Page, live_server: str, hostile: Hostile) -> None:
    page.goto(f"{live_server}/portal/sign-in")
    page.get_by_label("Mobile number").fill(hostile.typed_phone)
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    with db.session_scope() as session:
        body = session.scalar(
            select(Message.body)
            .where(Message.patient_id == hostile.patient_id, Message.kind == "portal_code")
            .order_by(Message.id.desc())
            .limit(1)
        )
    page.get_by_label("6-digit code").fill(re.search(r"\b(\d{6})\b", body).group(1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Hello"))).to_be_visible()
    _escaped(page, FIRST)
