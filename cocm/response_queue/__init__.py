"""The response queue: items that need a person, urgent first."""

from cocm.response_queue.service import (
    QueueError,
    add_note,
    claim,
    close,
    open_item,
    release,
)

__all__ = ["QueueError", "add_note", "claim", "close", "open_item", "release"]
