"""The webhook signature (Stripe-style t=,v1=) and the retry schedule, as pure rules."""

from __future__ import annotations

from datetime import timedelta

from erp_core.webhooks.domain import BACKOFF, delivered, next_delay, signature, verify

SECRET = "whsec_test"
BODY = b'{"id": 7, "type": "order.created", "created_at": "2026-12-08T10:00:00+00:00", "data": {}}'


def test_a_signature_verifies_with_its_secret_body_and_time():
    header = signature(SECRET, 1_800_000_000, BODY)
    assert header.startswith("t=1800000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, BODY, now=1_800_000_000 + 299)


def test_a_changed_body_another_secret_or_an_old_timestamp_is_refused():
    header = signature(SECRET, 1_800_000_000, BODY)
    assert not verify(SECRET, header, BODY + b" ", now=1_800_000_000)
    assert not verify("whsec_other", header, BODY, now=1_800_000_000)
    assert not verify(SECRET, header, BODY, now=1_800_000_000 + 301)  # a replayed old request
    assert not verify(SECRET, header.replace("t=1800000000", "t=1800000001"), BODY, now=1_800_000_000)
    assert not verify(SECRET, "", BODY, now=1_800_000_000) and not verify(SECRET, "t=x,v1=y", BODY, now=0)


def test_failed_tries_wait_1_5_30_minutes_2_and_12_hours_then_the_delivery_fails():
    assert [next_delay(n) for n in range(1, 6)] == [timedelta(minutes=1), timedelta(minutes=5),
                                                    timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12)]
    assert next_delay(len(BACKOFF) + 1) is None


def test_only_a_2xx_answer_is_delivered():
    assert delivered(200) and delivered(204) and not delivered(301) and not delivered(500) and not delivered(None)
