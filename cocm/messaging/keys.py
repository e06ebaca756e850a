"""``session.info`` keys where ``queue_message`` leaves outbox ids for the after-commit hook.

They live in their own module so that ``outbox`` and ``dispatch`` can both import them without
importing each other.
"""

PENDING_KEY = "cocm_outbox_pending"
URGENT_KEY = "cocm_outbox_urgent"
