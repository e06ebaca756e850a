import logging

from cocm.startup import MaskPhoneNumbers


def _masked(message, *args):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, args, None)
    MaskPhoneNumbers().filter(record)
    return record.getMessage()


def test_phone_numbers_in_logs_are_masked():
    assert _masked("sent to %s", "+12025550143") == "sent to ***43"
    assert _masked("call (202) 555-0143 now") == "call ***43 now"
    assert "5550143" not in _masked("inbound from +1 202 555 0143")


def test_other_numbers_and_ids_are_left_alone():
    assert _masked("worker 6ea4c3fce3a9987d914d7cbcf8 started") == (
        "worker 6ea4c3fce3a9987d914d7cbcf8 started"
    )
    assert _masked("patient 42 scored") == "patient 42 scored"
