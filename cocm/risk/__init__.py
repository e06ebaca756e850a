"""The risk protocol (DESIGN section 5)."""
