"""Quality and billing views for clinic leads: the dashboard, the billing page, the audit packet.

- ``dashboard``: ``quality_dashboard(session, clinic_id, year, month, now, months=6,
  care_manager_id=None)`` -> ``Dashboard`` (figures per month and care manager: engagement,
  improvement at 10+ weeks, response, remission, psychiatric review of patients not improving,
  registry completeness, caseload per FTE against the guidance, risk items' time to acknowledge
  and to close); ``measure_patients(...)`` -> the patients behind one figure. Seven set-based
  statements whatever the size (``queries``); the measures are pure functions (``measures``).
- ``billing_report``: ``month_report(session, clinic_id, year, month, today)`` -> the billing
  month as the staff page shows it (rows with minutes, evidence checks, totals per code), over
  ``cocm.billing.billing_month``.
- ``packet``: ``audit_packet(session, clinic_id, patient_id, year, month, now)`` -> the evidence
  for one patient-month.
- ``months``: calendar months in the clinic's zone ('YYYY-MM', local days, UTC bounds).

Everything here reads only; the caller records the audit event.
"""
