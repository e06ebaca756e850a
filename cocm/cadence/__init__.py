"""Periodic work over the whole clinic: due check-ins, conversation timers, contact
confirmations and disengagement. Each function is set-based and safe to run twice at once."""
