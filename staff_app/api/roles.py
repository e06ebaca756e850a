"""Who may call what: the staff app's roles (``staff_app.access``), operation by operation."""

from cocm.models.enums import ROLES
from staff_app.access import CLINICAL_ROLES

ANYONE = ROLES
READ = CLINICAL_ROLES  # reading charts, the registry and the queue
CARE = ("care_manager",)  # patients, episodes and check-ins
IN_CLINIC = ("care_manager", "treating_clinician")  # measures taken with the patient
TIME = ("care_manager", "treating_clinician", "psychiatric_consultant")  # as the time log page
BILLING = ("clinic_lead", "admin")
