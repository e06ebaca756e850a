"""Plain-language wording shown to the patient at enrollment and stored with their consent.

Written for this service; a clinic replaces the enrollment script with its own in clinic setup.
"""

from __future__ import annotations

SMS_CONSENT = {
    "en": (
        "Your care team would like to text you at this number: short questions about how you "
        "have been feeling about every two to four weeks, and reminders about your next call. "
        "Texts come from {clinic}. Message and data rates may apply. You can reply STOP at any "
        "time to stop the texts and HELP for help. Texts are not watched all the time: in an "
        "emergency call 911, or call or text 988."
    ),
    "es": (
        "Su equipo de atención quisiera enviarle mensajes de texto a este número: preguntas "
        "cortas sobre cómo se ha sentido, más o menos cada dos a cuatro semanas, y recordatorios "
        "de su próxima llamada. Los mensajes vienen de {clinic}. Pueden aplicarse tarifas de "
        "mensajes y datos. Puede responder STOP en cualquier momento para dejar de recibirlos y "
        "HELP para pedir ayuda. Los mensajes no se revisan todo el tiempo: en una emergencia "
        "llame al 911, o llame o envíe un texto al 988."
    ),
}

DEFAULT_ENROLLMENT_SCRIPT = (
    "Besides your visits with me, a small team will help with your mood and worry. A care "
    "manager will stay in touch by phone, video or text, help you practise a few skills and "
    "check how you are doing with short questionnaires. A psychiatric specialist meets with the "
    "team regularly to look at how you are doing and suggest changes; you usually will not meet "
    "them. Much of this work happens between visits, when you are not in the office. Because it "
    "is a monthly service, your insurance may bill a copay or coinsurance for it, like other "
    "care. You can stop at any time, and stopping does not change the rest of your care here. "
    "Do you agree to take part?"
)


def sms_consent_wording(language: str, clinic_name: str) -> str:
    """The SMS consent wording in the patient's language, naming the clinic."""
    return SMS_CONSENT.get(language, SMS_CONSENT["en"]).format(clinic=clinic_name)


def enrollment_script(clinic) -> str:
    """The clinic's own script for team-based care, or the default one."""
    return (clinic.enrollment_script or "").strip() or DEFAULT_ENROLLMENT_SCRIPT
