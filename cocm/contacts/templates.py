"""Contact note templates as data: each lays out the elements its note must cover.

The note textarea starts with one heading per element ("Safety check:") followed by a blank
line; ``missing_elements`` reads a saved note back and names the required headings that are
absent or left empty, so a note cannot be saved with its prompts untouched.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Element:
    heading: str
    hint: str
    required: bool = True


@dataclass(frozen=True)
class NoteTemplate:
    code: str
    label: str
    purpose: str
    activity: str  # the usual time-log activity for this kind of note
    elements: tuple[Element, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(e.heading for e in self.elements if e.required)

    def prompt_text(self) -> str:
        """The note's starting text: each heading on its own line, then room to write."""
        return "\n\n".join(f"{e.heading}:\n" for e in self.elements)


TEMPLATES: dict[str, NoteTemplate] = {
    t.code: t
    for t in (
        NoteTemplate(
            code="initial_assessment",
            label="Initial assessment",
            purpose="First full conversation after enrollment.",
            activity="assessment",
            elements=(
                Element("Reason for referral and main concerns", "In the patient's words."),
                Element("History and current treatment", "Past episodes, therapy, medicines."),
                Element("Substance use", "Alcohol, cannabis, other; how much, how often."),
                Element("Safety check", "Thoughts of self-harm, access to means, supports."),
                Element("Patient goals", "What the patient wants to be different."),
                Element("Plan until next contact", "Skill to practise, next steps."),
                Element("Other notes", "Anything else worth knowing.", required=False),
            ),
        ),
        NoteTemplate(
            code="follow_up",
            label="Follow-up",
            purpose="A routine check-in between visits.",
            activity="brief_intervention",
            elements=(
                Element("Mood and symptoms since last contact", "Including today's scores."),
                Element("Medicines: adherence and side effects", "Write 'none' if not taking."),
                Element("Skill practice", "What was tried, what helped, what is next."),
                Element("Safety check", "Any thoughts of self-harm since last contact."),
                Element("Plan until next contact", "Agreed next steps."),
            ),
        ),
        NoteTemplate(
            code="relapse_prevention",
            label="Relapse-prevention plan",
            purpose="Before stepping down: how the patient stays well.",
            activity="care_planning",
            elements=(
                Element("What helped", "Skills, medicines and supports that worked."),
                Element("Early warning signs", "Changes the patient or family will notice."),
                Element("What to do if symptoms return", "Steps, and who to call."),
                Element("Medicines going forward", "Continue, for how long, who prescribes."),
                Element("Follow-up after step-down", "Check-in rhythm, next visit."),
            ),
        ),
        NoteTemplate(
            code="case_review_change",
            label="Communicating a case-review change",
            purpose="Closing the loop on a change the team agreed at case review.",
            activity="care_coordination",
            elements=(
                Element("Change recommended and approved", "What changes and who approved it."),
                Element("Explained to the patient", "How it was explained, in plain words."),
                Element("Patient's response", "Agrees, has questions, declines (and why)."),
                Element("Next steps", "Prescription sent, referral made, next check-in."),
            ),
        ),
        NoteTemplate(
            code="outreach_attempt",
            label="Outreach attempt",
            purpose="Trying to reach a patient who has not been in touch.",
            activity="outreach",
            elements=(
                Element("How the patient was contacted", "Number or channel used (no details)."),
                Element("Message left", "Keep voicemails free of health details."),
                Element("Next attempt", "When and how the next try happens."),
            ),
        ),
    )
}


def get(code: str) -> NoteTemplate:
    """The template for ``code``; ValueError naming the known codes if there is none."""
    try:
        return TEMPLATES[code]
    except KeyError:
        raise ValueError(f"unknown note template {code!r}; one of {', '.join(TEMPLATES)}") from None


def sections(note: str, template: NoteTemplate) -> dict[str, str]:
    """The text under each of the template's headings found in ``note``."""
    headings = {f"{e.heading.lower()}:": e.heading for e in template.elements}
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in note.splitlines():
        stripped = line.strip()
        match = next((k for k in headings if stripped.lower().startswith(k)), None)
        if match is not None:
            current = headings[match]
            # "Safety check: denies thoughts of self-harm" counts as written on the same line.
            found.setdefault(current, []).append(stripped[len(match) :])
        elif current is not None:
            found[current].append(line)
    return {heading: "\n".join(lines).strip() for heading, lines in found.items()}


def missing_elements(note: str, template: NoteTemplate) -> list[str]:
    """Required headings that are missing from ``note`` or have nothing written under them."""
    written = sections(note, template)
    return [h for h in template.required if not written.get(h)]
