import pytest

from cocm.contacts import templates
from cocm.models.enums import ACTIVITIES, CONTACT_TEMPLATES


def test_every_contact_template_is_defined_with_a_valid_activity():
    assert set(templates.TEMPLATES) == set(CONTACT_TEMPLATES)
    for template in templates.TEMPLATES.values():
        assert template.activity in ACTIVITIES
        assert template.required, template.code


def test_untouched_prompts_miss_every_required_element():
    template = templates.get("initial_assessment")
    missing = templates.missing_elements(template.prompt_text(), template)
    assert missing == list(template.required)
    assert "Other notes" not in missing  # optional


def test_filled_sections_and_same_line_answers_count():
    template = templates.get("outreach_attempt")
    note = (
        "How the patient was contacted: mobile\n"
        "Message left:\n  asked them to call the clinic back\n"
        "Next attempt:"
    )
    assert templates.missing_elements(note, template) == ["Next attempt"]
    assert (
        templates.sections(note, template)["Message left"] == "asked them to call the clinic back"
    )


def test_unknown_template_is_refused():
    with pytest.raises(ValueError, match="unknown note template"):
        templates.get("free_style")
