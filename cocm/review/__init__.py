"""Case review with the psychiatric consultant, and the closed loop for its recommendations.

The modules, each a set of plain service functions (they ``flush()``; the caller commits):

- ``schedule``: the standing weekly slot per clinic (``ensure_upcoming_review``), starting and
  finishing a review, its attendees.
- ``agenda``: ``build_agenda`` picks patients from the registry's own flags (so the two never
  disagree) and earlier reviews' open follow-ups; ``add_patient`` for a care manager's question.
- ``record``: the consultant's assessment, recommendations and minutes per patient.
- ``recommendations``: who approves, ``decide`` (approve, modify, decline) and ``communicate``
  (the care manager tells the patient; a care-plan version linked to the recommendation).
- ``overdue``: a recommendation's age and the overdue rule (also a registry flag).
- ``lists``: the clinician's inbox, the care manager's loop list and the chart's trail.

This package imports the registry (``agenda``), and the registry imports ``overdue``: so this
file imports nothing, and ``overdue`` imports only the models.
"""
