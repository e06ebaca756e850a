"""Inbound texts: routing, storing and answering what patients send (DESIGN sections 5, 6)."""

from cocm.inbound.service import InboundResult, receive_sms, twiml

__all__ = ["InboundResult", "receive_sms", "twiml"]
