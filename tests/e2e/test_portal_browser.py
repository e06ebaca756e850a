"""The patient portal in a real browser: sign in with the code the SMS simulator shows, answer a
PHQ-9 on the page, confirm the next contact, and the care manager sees it all; the safety page
after an item 9 answer; the form by keyboard on a phone-sized screen."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cocm import db
from cocm.checkins import start_checkin
from cocm.checkins.records import open_conversation, open_episode
from cocm.clock import utcnow
from cocm.models import Assessment, Contact, Patient, QueueItem, Staff
from cocm.portal.home import next_contact
from tests.e2e.conftest import sign_in as staff_sign_in

pytestmark = pytest.mark.browser

MARIA = "maria.lopez@demo.cocm.example"
_used: set[int] = set()


@dataclass(frozen=True)
class DemoPatient:
    id: int
    first_name: str
    registry_name: str
    typed_phone: str


def _pick(manager: str | None = None, next_contact_due: bool = True) -> DemoPatient:
    """An English-speaking demo patient (of ``manager``, if given) who can be texted, has an open
    episode, nothing open by text and (``next_contact_due``) an upcoming next contact not yet
    confirmed."""
    now = utcnow()
    with db.session_scope() as session:
        query = select(Patient).where(
            Patient.language == "en",
            Patient.sms_opted_out.is_(False),
            Patient.phone_e164.is_not(None),
        )
        if manager is not None:
            staff = session.scalar(select(Staff).where(Staff.email == manager))
            query = query.where(Patient.care_manager_id == staff.id)
        candidates = session.scalars(query.order_by(Patient.id)).all()
        for patient in candidates:
            if patient.id in _used or open_episode(session, patient.id) is None:
                continue
            if open_conversation(session, patient.id) is not None:
                continue
            if session.scalar(select(QueueItem.id).where(QueueItem.patient_id == patient.id)):
                continue
            planned = next_contact(session, patient, now)
            waiting = planned and not (planned.confirmed or planned.reschedule_requested)
            if next_contact_due and not waiting:
                continue
            _used.add(patient.id)
            digits = patient.phone_e164[2:]
            typed = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
            registry_name = f"{patient.last_name}, {patient.first_name}"
            return DemoPatient(patient.id, patient.first_name, registry_name, typed)
    raise AssertionError("the demo seed has no patient fit for this test")


def _start_checkin(patient_id: int) -> None:
    """What the care manager's 'Start a PHQ-9 check-in now' button does."""
    with db.session_scope() as session:
        start_checkin(session, session.get(Patient, patient_id), "PHQ-9", utcnow())


def _code_from_db(patient_id: int) -> str:
    from cocm.models import Message

    with db.session_scope() as session:
        body = session.scalar(
            select(Message.body)
            .where(Message.patient_id == patient_id, Message.kind == "portal_code")
            .order_by(Message.id.desc())
            .limit(1)
        )
    return re.search(r"\b(\d{6})\b", body).group(1)


def _ask_for_code(page, base: str, patient: DemoPatient) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Mobile number").fill(patient.typed_phone)
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()


def _enter_code(page, code: str, patient: DemoPatient) -> None:
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hello, {patient.first_name}")).to_be_visible()


def _answer(page, item: int, label: str) -> None:
    page.locator(f"#item-{item}").get_by_label(label, exact=True).check()


def test_patient_signs_in_answers_a_phq9_and_confirms_and_the_care_manager_sees_it(
    page, browser, live_server
):
    patient = _pick(MARIA)
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = staff_context.new_page()
    staff.set_default_timeout(10_000)
    try:
        staff_sign_in(staff, live_server, MARIA)
        staff.goto(f"{live_server}/staff/simulator/patients/{patient.id}")
        staff.get_by_role("button", name="Start a PHQ-9 check-in now").click()

        _ask_for_code(page, live_server, patient)
        staff.goto(f"{live_server}/staff/simulator/patients/{patient.id}")
        code = re.search(r"Your sign-in code is (\d{6})", staff.content()).group(1)
        _enter_code(page, code, patient)

        page.get_by_role("link", name=re.compile("Mood check-in")).click()
        expect(page.get_by_role("heading", name="Mood check-in")).to_be_visible()
        for item in range(1, 9):
            _answer(page, item, "Several days")
        _answer(page, 9, "Not at all")
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_text("Your answers were sent")).to_be_visible()
        assert page.get_by_role("alert").count() == 0

        page.get_by_role("link", name="Back to your page").click()
        expect(page.get_by_text("Nothing to answer right now")).to_be_visible()
        page.get_by_role("button", name="Confirm this time").click()
        expect(page.get_by_text("You confirmed this time")).to_be_visible()

        staff.goto(f"{live_server}/staff/registry")
        row = staff.locator("tbody tr", has_text=patient.registry_name)
        assert "confirmed" in row.inner_text()
        assert re.search(r"\b8\b", row.inner_text())
        staff.goto(f"{live_server}/staff/patients/{patient.id}")
        assessments = staff.locator("section", has=staff.get_by_role("heading", name="Assessments"))
        first_row = assessments.locator("tbody tr").first.inner_text()
        assert "PHQ-9" in first_row and "portal" in first_row and "8" in first_row
    finally:
        staff_context.close()

    with db.session_scope() as session:
        assessment = session.scalar(
            select(Assessment)
            .where(Assessment.patient_id == patient.id, Assessment.instrument == "PHQ-9")
            .order_by(Assessment.id.desc())
            .limit(1)
        )
        assert (assessment.status, assessment.total, assessment.channel) == (
            "completed",
            8,
            "portal",
        )
        contact = session.scalars(
            select(Contact)
            .where(Contact.patient_id == patient.id, Contact.next_contact_at.is_not(None))
            .order_by(Contact.occurred_at.desc())
        ).first()
        assert contact.next_contact_confirmed_at is not None
        assert open_conversation(session, patient.id) is None


def test_an_item_nine_answer_shows_the_safety_page_and_opens_an_urgent_item(page, live_server):
    patient = _pick()
    _start_checkin(patient.id)
    _ask_for_code(page, live_server, patient)
    _enter_code(page, _code_from_db(patient.id), patient)

    page.get_by_role("link", name=re.compile("Mood check-in")).click()
    _answer(page, 1, "Not at all")
    _answer(page, 9, "More than half the days")
    page.get_by_role("button", name="Save and finish later").click()

    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", name="Your safety matters")).to_be_visible()
    assert "988" in alert.inner_text() and "911" in alert.inner_text()
    assert page.get_by_role("link", name="Call 988").get_attribute("href") == "tel:988"
    with db.session_scope() as session:
        items = session.scalars(
            select(QueueItem).where(
                QueueItem.patient_id == patient.id, QueueItem.kind == "risk_answer"
            )
        ).all()
        assert [(i.priority, i.status) for i in items] == [("urgent", "open")]


def test_the_form_works_by_keyboard_on_a_phone_sized_screen(browser, live_server):
    patient = _pick()
    _start_checkin(patient.id)
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        _ask_for_code(page, live_server, patient)
        page.get_by_label("6-digit code").fill(
            "000000" if _code_from_db(patient.id) != "000000" else "111111"
        )
        page.get_by_role("button", name="Sign in").click()
        assert "That code is not right" in page.get_by_role("alert").inner_text()
        _enter_code(page, _code_from_db(patient.id), patient)
        page.get_by_role("link", name=re.compile("Mood check-in")).click()

        page.locator("#q1-0").focus()
        page.keyboard.press("ArrowDown")
        assert page.locator("#q1-1").is_checked()
        outline = page.eval_on_selector(
            "label[for=q1-1]", "el => getComputedStyle(el).outlineStyle"
        )
        assert outline == "solid"  # the focused choice is visibly marked
        for label in page.locator(".choice label").all()[:8]:
            box = label.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.get_by_role("button", name="Save and finish later").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Your answers are saved")).to_be_visible()
        page.get_by_role("link", name="Continue").click()
        assert page.locator("#q1-1").is_checked()  # kept for the next visit

        page.get_by_role("button", name="Español").click()
        expect(page.get_by_role("button", name="Enviar mis respuestas")).to_be_visible()
        assert page.locator("html").get_attribute("lang") == "es"
        assert not [e for e in errors if "Content Security Policy" in e]
    finally:
        context.close()


def test_the_one_time_link_in_a_demo_check_in_text_opens_that_questionnaire_once(page, live_server):
    from cocm.models import Conversation, Message
    from cocm.portal.links import PATH

    patient = _pick(MARIA, next_contact_due=False)  # Riverside: the clinic with portal links on
    _start_checkin(patient.id)
    with db.session_scope() as session:
        body = session.scalar(
            select(Message.body)
            .where(Message.patient_id == patient.id, Message.kind == "checkin_open")
            .order_by(Message.id.desc())
            .limit(1)
        )
    token = re.search(rf"{PATH}(\S+)$", body).group(1)
    link = f"{live_server}{PATH}{token}"

    page.goto(link)
    expect(page.get_by_role("heading", name="Mood check-in")).to_be_visible()
    assert page.get_by_role("link", name="Sign out").count() == 0  # the questionnaire alone
    for item in range(1, 10):
        _answer(page, item, "Not at all" if item == 9 else "Nearly every day")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Your answers were sent")).to_be_visible()

    page.goto(link)  # used, and its check-in is complete: the link opens nothing now
    refusal = page.locator("main").inner_text()
    assert "This link has expired" in refusal or "This link was already used" in refusal
    assert page.get_by_role("radio").count() == 0
    with db.session_scope() as session:
        conversation = session.scalars(
            select(Conversation)
            .where(Conversation.patient_id == patient.id)
            .order_by(Conversation.id.desc())
        ).first()
        assessment = session.get(Assessment, conversation.assessment_id)
        assert conversation.link_used_at is not None and conversation.status == "completed"
        assert (assessment.total, assessment.channel) == (24, "portal")
