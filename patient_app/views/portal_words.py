"""Every word the portal shows, in English and Spanish (no blueprint: not a page of its own).

Templates call ``t("key", name=value)``; a missing Spanish wording falls back to English.
Plain, warm wording; no diagnosis, severity or instrument names (see ``cocm.portal.wording``).
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "site_title": {"en": "Your care team", "es": "Su equipo de atención"},
    "skip": {"en": "Skip to main content", "es": "Ir al contenido principal"},
    "switch_to": {"en": "Español", "es": "English"},
    "switch_label": {"en": "Ver en español", "es": "View in English"},
    "sign_out": {"en": "Sign out", "es": "Salir"},
    "crisis": {
        "en": "If you are in crisis, call or text 988. If you are in immediate danger, call 911.",
        "es": "Si está en crisis, llame o envíe un texto al 988. Si corre peligro inmediato, "
        "llame al 911.",
    },
    "problem": {"en": "There is a problem", "es": "Hay un problema"},
    # Sign-in
    "sign_in_title": {"en": "Sign in", "es": "Entrar"},
    "sign_in_intro": {
        "en": "Enter the mobile number your care team has for you. We will text you a code.",
        "es": "Escriba el número de celular que tiene su equipo de atención. Le enviaremos un "
        "código por texto.",
    },
    "phone_label": {"en": "Mobile number", "es": "Número de celular"},
    "phone_hint": {"en": "For example, 202-555-0143", "es": "Por ejemplo, 202-555-0143"},
    "send_code": {"en": "Text me a code", "es": "Enviarme un código"},
    "phone_invalid": {
        "en": "Enter a mobile number with its area code, for example 202-555-0143.",
        "es": "Escriba un número de celular con su código de área, por ejemplo 202-555-0143.",
    },
    "too_many_requests": {
        "en": "Too many codes were asked for. Please wait {minutes} minutes and try again.",
        "es": "Se pidieron demasiados códigos. Espere {minutes} minutos y vuelva a intentarlo.",
    },
    "code_title": {"en": "Enter your code", "es": "Escriba su código"},
    "code_sent": {
        "en": "If this number is registered with your care team, we sent a code to it by text. "
        "The code works for 10 minutes.",
        "es": "Si este número está registrado con su equipo de atención, le enviamos un código "
        "por texto. El código sirve por 10 minutos.",
    },
    "code_label": {"en": "6-digit code", "es": "Código de 6 dígitos"},
    "code_button": {"en": "Sign in", "es": "Entrar"},
    "code_wrong": {
        "en": "That code is not right. You can try {tries} more times.",
        "es": "Ese código no es correcto. Puede intentarlo {tries} veces más.",
    },
    "code_malformed": {
        "en": "Enter the 6 digits from the text message.",
        "es": "Escriba los 6 dígitos del mensaje de texto.",
    },
    "code_expired": {
        "en": "That code has expired or was already used. Ask for a new code.",
        "es": "Ese código venció o ya se usó. Pida un código nuevo.",
    },
    "code_no_tries": {
        "en": "That code was entered wrong too many times. Ask for a new code.",
        "es": "Ese código se escribió mal demasiadas veces. Pida un código nuevo.",
    },
    "code_limited": {
        "en": "Too many tries. Please wait {minutes} minutes and try again.",
        "es": "Demasiados intentos. Espere {minutes} minutos y vuelva a intentarlo.",
    },
    "new_code": {"en": "Ask for a new code", "es": "Pedir un código nuevo"},
    "no_text": {
        "en": "No text? Check the number, or call your clinic.",
        "es": "¿No le llegó el texto? Revise el número o llame a su clínica.",
    },
    "signed_out_idle": {
        "en": "You were signed out after 15 minutes without activity.",
        "es": "Se cerró su sesión después de 15 minutos sin actividad.",
    },
    "signed_out": {"en": "You are signed out.", "es": "Se cerró su sesión."},
    "please_sign_in": {"en": "Please sign in to continue.", "es": "Entre para continuar."},
    "form_expired": {
        "en": "This page was open too long. Please try again.",
        "es": "Esta página estuvo abierta demasiado tiempo. Inténtelo de nuevo.",
    },
    # Home
    "hello": {"en": "Hello, {name}", "es": "Hola, {name}"},
    "hello_plain": {"en": "Hello", "es": "Hola"},
    "pending_title": {"en": "Check-ins for you", "es": "Chequeos para usted"},
    "pending_none": {
        "en": "Nothing to answer right now. Thank you!",
        "es": "No hay nada que contestar por ahora. ¡Gracias!",
    },
    "answered_of": {
        "en": "{answered} of {total} questions answered",
        "es": "{answered} de {total} preguntas contestadas",
    },
    "also_by_text": {
        "en": "We also sent this by text. You can answer here instead.",
        "es": "También se lo enviamos por texto. Puede contestar aquí.",
    },
    "start": {"en": "Start", "es": "Empezar"},
    "continue": {"en": "Continue", "es": "Continuar"},
    "take_now": {"en": "Take this check-in now", "es": "Hacer este chequeo ahora"},
    "contact_title": {"en": "Your next contact", "es": "Su próximo contacto"},
    "contact_none": {
        "en": "Your care team will let you know the next time they will reach out.",
        "es": "Su equipo de atención le avisará cuándo será el próximo contacto.",
    },
    "contact_who": {"en": "With", "es": "Con"},
    "contact_when": {"en": "When", "es": "Cuándo"},
    "contact_how": {"en": "How", "es": "Cómo"},
    "your_care_team": {"en": "Your care team", "es": "Su equipo de atención"},
    "confirm": {"en": "Confirm this time", "es": "Confirmar esta hora"},
    "reschedule": {"en": "Ask to change the time", "es": "Pedir otra hora"},
    "confirmed_note": {"en": "You confirmed this time.", "es": "Usted confirmó esta hora."},
    "reschedule_note": {
        "en": "You asked to change this time. Your care team will contact you.",
        "es": "Usted pidió otra hora. Su equipo de atención se comunicará con usted.",
    },
    "confirmed_flash": {
        "en": "Thank you. Your care team knows you confirmed.",
        "es": "Gracias. Su equipo de atención sabe que usted confirmó.",
    },
    "reschedule_flash": {
        "en": "Thank you. Your care team will contact you to find a new time.",
        "es": "Gracias. Su equipo de atención se comunicará con usted para buscar otra hora.",
    },
    "contact_gone": {
        "en": "That contact has changed. Here is the latest.",
        "es": "Ese contacto cambió. Esta es la información más reciente.",
    },
    "goals_title": {"en": "Your goals", "es": "Sus metas"},
    "goals_none": {
        "en": "You and your care team will set your goals together.",
        "es": "Usted y su equipo de atención pondrán sus metas juntos.",
    },
    "history_title": {"en": "Your check-in history", "es": "Su historial de chequeos"},
    "history_none": {
        "en": "Your answers will show here after your first check-in.",
        "es": "Sus respuestas aparecerán aquí después de su primer chequeo.",
    },
    "lower_better": {
        "en": "Each number adds up your answers. Lower is better. Numbers go up and down; "
        "your care team looks at how they change over time with you.",
        "es": "Cada número suma sus respuestas. Más bajo es mejor. Los números suben y bajan; "
        "su equipo de atención revisa con usted cómo cambian con el tiempo.",
    },
    "history_chart": {"en": "{name}: your numbers", "es": "{name}: sus números"},
    "date": {"en": "Date", "es": "Fecha"},
    "number": {"en": "Number", "es": "Número"},
    # Questionnaire
    "question_n": {"en": "Question {n} of {total}", "es": "Pregunta {n} de {total}"},
    "optional": {"en": "optional", "es": "opcional"},
    "answer_missing": {"en": "Choose an answer.", "es": "Elija una respuesta."},
    "answer_missing_n": {
        "en": "Answer question {n}",
        "es": "Conteste la pregunta {n}",
    },
    "answer_invalid": {
        "en": "One answer could not be read. Choose again.",
        "es": "No se pudo leer una respuesta. Elija otra vez.",
    },
    "send_answers": {"en": "Send my answers", "es": "Enviar mis respuestas"},
    "save_later": {"en": "Save and finish later", "es": "Guardar y terminar después"},
    "saved_progress": {
        "en": "Your answers so far are saved. You can finish any time.",
        "es": "Sus respuestas están guardadas. Puede terminar cuando quiera.",
    },
    "checkin_closed": {
        "en": "This check-in has closed. Your answers were kept. Thank you.",
        "es": "Este chequeo se cerró. Sus respuestas se guardaron. Gracias.",
    },
    "thanks_title": {"en": "Thank you", "es": "Gracias"},
    "thanks_done": {
        "en": "Your answers were sent. Your care team will see them.",
        "es": "Se enviaron sus respuestas. Su equipo de atención las verá.",
    },
    "saved_title": {"en": "Your answers are saved", "es": "Sus respuestas están guardadas"},
    "saved_body": {
        "en": "Some questions are not answered yet. You can come back to finish.",
        "es": "Faltan algunas preguntas. Puede volver para terminar.",
    },
    "back_home": {"en": "Back to your page", "es": "Volver a su página"},
    "close_page": {
        "en": "You can close this page now.",
        "es": "Ya puede cerrar esta página.",
    },
    "safety_title": {"en": "Your safety matters", "es": "Su seguridad es importante"},
    "call_988": {"en": "Call 988", "es": "Llamar al 988"},
    "text_988": {"en": "Text 988", "es": "Enviar texto al 988"},
    "call_911": {"en": "Call 911", "es": "Llamar al 911"},
    # Links
    "link_used": {
        "en": "This link was already used. Sign in with your mobile number to continue.",
        "es": "Este enlace ya se usó. Entre con su número de celular para continuar.",
    },
    "link_expired": {
        "en": "This link has expired. Sign in with your mobile number to see your check-ins.",
        "es": "Este enlace venció. Entre con su número de celular para ver sus chequeos.",
    },
    "link_invalid": {
        "en": "This link is not valid. Sign in with your mobile number instead.",
        "es": "Este enlace no es válido. Entre con su número de celular.",
    },
    "link_limited": {
        "en": "Too many tries. Please wait {minutes} minutes and try again.",
        "es": "Demasiados intentos. Espere {minutes} minutos y vuelva a intentarlo.",
    },
    "link_title": {"en": "Check-in link", "es": "Enlace del chequeo"},
    "not_found": {
        "en": "This page is not available. It may have closed.",
        "es": "Esta página no está disponible. Puede que se haya cerrado.",
    },
    # Landing
    "landing_intro": {
        "en": "This is the secure page your clinic's care team uses for check-ins between visits.",
        "es": "Esta es la página segura que usa el equipo de atención de su clínica para los "
        "chequeos entre visitas.",
    },
}


def translate(lang: str, key: str, **values: object) -> str:
    """The wording of ``key`` in ``lang`` (English when missing), with ``values`` filled in."""
    entry = WORDS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text
