"""The audit packet for one patient-month: the evidence behind a billing line, on one page.

An auditor asks for: the dated time log with its total, the diagnosis targets being treated
and the current scores, care-plan changes tied to goals, the consultant's case-review notes and
what changed after them, the next contact and what it will cover, and the consent record. The
minutes and codes come from ``cocm.billing.billing_month`` (the authority), and every entry of
the log says whether it counted and why not, following the same rules; a test keeps the log's
total equal to the billing line.

A fixed number of statements (the billing month's five, then one per section).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from cocm.billing import BillingRow, billing_month
from cocm.billing.rules import COUNTED_ROLES, UNCOUNTED_ACTIVITIES
from cocm.models import (
    Assessment,
    CarePlan,
    ConsentEvent,
    Contact,
    Episode,
    Patient,
    Staff,
)
from cocm.quality.evidence import (
    TARGETS,
    PlanChange,
    ReviewNote,
    Target,
    plan_changes,
    review_notes,
    targets_for,
)
from cocm.quality.months import Month, month_of
from cocm.timer.corrections import LogLine, time_log


@dataclass
class PacketEntry:
    """One time entry dated in the month: counted or not, and why not."""

    line: LogLine
    episode_id: int | None
    counted: bool
    why: str | None = None

    @property
    def entry(self):
        return self.line.entry


@dataclass
class AuditPacket:
    patient: Patient
    month: Month
    billing: list[BillingRow]
    episodes: list[Episode]
    episode: Episode | None
    entries: list[PacketEntry]
    targets: list[Target]
    plans: list[PlanChange]
    reviews: list[ReviewNote]
    next_contact: Contact | None
    consent_events: list[ConsentEvent]
    names: dict[int, str] = field(default_factory=dict)

    @property
    def counted_minutes(self) -> int:
        return sum(p.entry.minutes for p in self.entries if p.counted)

    @property
    def codes(self) -> list[tuple[str, int]]:
        return [code for row in self.billing for code in row.codes]

    def name(self, staff_id: int | None) -> str:
        return self.names.get(staff_id, "—") if staff_id is not None else "—"


def _overlaps(ep: Episode, month: Month) -> bool:
    if ep.started_on >= month.end:
        return False
    return ep.ended_on is None or ep.ended_on >= month.start


def _owner(entry, episodes: list[Episode]) -> Episode | None:
    """The entry's episode: the linked one, else the latest-started one open on its day."""
    by_id = {ep.id: ep for ep in episodes}
    if entry.episode_id is not None:
        return by_id.get(entry.episode_id)
    covering = [
        ep
        for ep in episodes
        if ep.started_on <= entry.performed_on
        and (ep.ended_on is None or ep.ended_on >= entry.performed_on)
    ]
    return max(covering, key=lambda ep: (ep.started_on, ep.id)) if covering else None


def count_entries(lines: list[LogLine], episodes: list[Episode]) -> list[PacketEntry]:
    """Whether each entry counts toward the month, by the billing rules (DESIGN 7)."""
    result: list[PacketEntry] = []
    shared: dict[tuple[int, int], list[PacketEntry]] = defaultdict(list)
    for line in lines:
        e = line.entry
        ep = _owner(e, episodes)
        packet = PacketEntry(line=line, episode_id=ep.id if ep else None, counted=False)
        if line.superseded:
            packet.why = "replaced by a correction"
        elif e.minutes == 0:
            packet.why = "no minutes (withdrawn)"
        elif ep is None:
            packet.why = "no episode of care covered this day"
        elif e.role not in COUNTED_ROLES:
            packet.why = "consultant minutes are recorded, not counted"
        elif e.activity in UNCOUNTED_ACTIVITIES:
            packet.why = "psychiatric consultation is not care-manager time"
        elif ep.consent_on is not None and e.performed_on < ep.consent_on:
            packet.why = f"before the consent date ({ep.consent_on:%b} {ep.consent_on.day})"
        else:
            packet.counted = True
            if e.contact_id is not None:
                shared[(ep.id, e.contact_id)].append(packet)
        result.append(packet)
    # Two staff on one call is one call: the longest entry of a contact counts.
    for same_call in shared.values():
        keep = max(same_call, key=lambda p: (p.entry.minutes, -p.entry.id))
        for packet in same_call:
            if packet is not keep:
                packet.counted = False
                packet.why = "same contact as another entry: counted once, at the longest"
    return result


def audit_packet(
    session: Session, clinic_id: int, patient_id: int, year: int, month: int, now: datetime
) -> AuditPacket | None:
    """The packet for a patient of ``clinic_id`` and a calendar month, or None (the caller
    answers 404). Reads only; the caller records the audit event."""
    patient = session.scalar(
        select(Patient)
        .options(joinedload(Patient.clinic), joinedload(Patient.care_manager))
        .where(Patient.id == patient_id, Patient.clinic_id == clinic_id)
    )
    if patient is None:
        return None
    zone = ZoneInfo(patient.clinic.timezone)
    m = month_of(year, month, patient.clinic.timezone, now)
    today = now.astimezone(zone).date()
    billing = [
        row
        for row in billing_month(session, clinic_id, year, month, today)
        if row.patient_id == patient_id
    ]
    all_episodes = list(
        session.scalars(
            select(Episode)
            .where(Episode.patient_id == patient_id)
            .order_by(Episode.started_on, Episode.id)
        )
    )
    billed_ids = {row.episode_id for row in billing}
    episodes = [ep for ep in all_episodes if _overlaps(ep, m) or ep.id in billed_ids]
    primary_row = max(billing, key=lambda r: (bool(r.codes), r.minutes), default=None)
    episode = next((ep for ep in episodes if primary_row and ep.id == primary_row.episode_id), None)
    episode = episode or (episodes[-1] if episodes else None)

    entries = count_entries(time_log(session, patient_id, since=m.start, until=m.end), all_episodes)
    entries.reverse()  # oldest first: a dated log reads forward

    assessments = list(
        session.scalars(
            select(Assessment)
            .where(
                Assessment.patient_id == patient_id,
                Assessment.status == "completed",
                Assessment.total.is_not(None),
                Assessment.instrument.in_([code for code, _ in TARGETS]),
                Assessment.completed_at < m.as_of,
            )
            .order_by(Assessment.completed_at, Assessment.id)
        )
    )
    targets = targets_for(assessments, episode, m, zone)

    plans_all = (
        list(
            session.scalars(
                select(CarePlan)
                .where(CarePlan.episode_id.in_([ep.id for ep in episodes]))
                .order_by(CarePlan.episode_id, CarePlan.version)
            )
        )
        if episodes
        else []
    )
    plans = plan_changes(plans_all, episode, m)
    reviews = review_notes(session, patient_id, m, plans_all)
    next_contact = session.scalar(
        select(Contact)
        .where(
            Contact.patient_id == patient_id,
            Contact.occurred_at < m.as_of,
            Contact.next_contact_at.is_not(None),
        )
        .order_by(Contact.occurred_at.desc(), Contact.id.desc())
        .limit(1)
    )
    consent_events = list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.patient_id == patient_id, ConsentEvent.occurred_at < m.end_utc)
            .order_by(ConsentEvent.occurred_at, ConsentEvent.id)
        )
    )
    packet = AuditPacket(
        patient=patient,
        month=m,
        billing=billing,
        episodes=episodes,
        episode=episode,
        entries=entries,
        targets=targets,
        plans=plans,
        reviews=reviews,
        next_contact=next_contact,
        consent_events=consent_events,
    )
    packet.names = _names(session, packet, plans_all)
    return packet


def _names(session: Session, packet: AuditPacket, plans: list[CarePlan]) -> dict[int, str]:
    ids: set[int | None] = {p.entry.staff_id for p in packet.entries}
    ids |= {c.plan.created_by_id for c in packet.plans} | {
        c.plan.signed_by_id for c in packet.plans
    }
    for note in packet.reviews:
        ids |= {note.review.consultant_id, note.item.added_by_id}
        for rec in note.recommendations:
            ids |= {rec.proposed_by_id, rec.decided_by_id, rec.communicated_by_id, rec.clinician_id}
        ids |= {p.created_by_id for p in note.plans_after} | {
            p.signed_by_id for p in note.plans_after
        }
    ids |= {e.staff_id for e in packet.consent_events}
    if packet.next_contact is not None:
        ids.add(packet.next_contact.staff_id)
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(wanted)))
    return {staff_id: name for staff_id, name in rows}
