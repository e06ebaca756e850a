"""Outbound texts: the outbox, the senders, delivery, after-commit dispatch and status callbacks.

- ``outbox.queue_message(...)``: write a Message + OutboxItem in the caller's transaction.
- ``dispatch``: the after-commit hook (installed on ``cocm.db.session_factory`` when ``outbox``
  is imported) that enqueues ``jobs.messaging.deliver_outbox`` on the ``sms`` queue, or sends
  urgent rows at once.
- ``delivery.deliver(session, outbox_id, now, sender) -> str``: re-check, claim, send, record.
- ``senders``: ``SmsSender``, ``TwilioSender``, ``ConsoleSender``, ``RecordingSender``,
  ``get_sender(settings)``; ``errors``: ``TransientSendError``, ``PermanentSendError``.
- ``status.apply_status(session, message_sid, status, error_code, now)``: Twilio callbacks,
  statuses only move forward.
- ``sweeper.claim_due`` and ``reconcile.reconcile``: what the periodic jobs do.
- ``window``: the allowed texting window.

Submodules are imported by name (``from cocm.messaging.delivery import deliver``); this package
imports nothing itself, so importing one part does not pull in the Twilio SDK or Redis.
"""
