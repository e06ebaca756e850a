"""The patient portal's domain: sign-in codes, rate limits, one-time links, questionnaires on a
page, and what the home page shows. No HTTP here; the patient app's views call these.

Submodules are imported by name (this package imports nothing itself, so that
``cocm.checkins.service`` can use ``links`` without an import cycle):

- ``codes``: ``request_code(session, phone, remote_addr, now)``,
  ``verify_code(session, ticket, code, remote_addr, now)``, ``prune(session, now)``.
- ``limits``: the per-number and per-address rate limits, kept in the database.
- ``links``: ``make_link(conversation)``, ``opening_text(patient, conversation, default)``,
  ``redeem(session, token, remote_addr, now)``.
- ``pending``: ``pending(session, patient, now)``: what waits for the patient.
- ``forms``: ``form_for(session, patient, lang, now, assessment_id=|schedule_id=)``.
- ``questionnaire``: ``save(session, patient, answers, now, ...)``, ``result_of(...)``.
- ``home``: ``next_contact``, ``confirm_contact``, ``ask_to_reschedule``, ``goals``,
  ``score_history``.
- ``chart``: ``history_svg(...)``, a plain score chart for the patient.
- ``wording``: the plain names and words the patient sees, in English and Spanish.
"""
