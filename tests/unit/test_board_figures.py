"""The live board's pace arithmetic (wms/picking/board_figures.py), figures computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from wms.picking.board_figures import cutoff_on, lines_per_hour, pace, projected_finish, rate_window

NOW = datetime(2027, 1, 20, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
SHANGHAI = timezone(timedelta(hours=8))


def test_the_rate_window_is_the_last_hour_or_since_release_but_at_least_five_minutes():
    assert rate_window(NOW, NOW - timedelta(hours=3)) == timedelta(hours=1)
    assert rate_window(NOW, NOW - timedelta(minutes=20)) == timedelta(minutes=20)
    assert rate_window(NOW, NOW - timedelta(minutes=1)) == timedelta(minutes=5)
    assert rate_window(NOW, None) == timedelta(hours=1)


def test_twelve_lines_in_twenty_minutes_is_thirty_six_lines_an_hour():
    assert lines_per_hour(12, timedelta(minutes=20)) == 36.0


def test_the_projected_finish_is_now_plus_remaining_lines_at_the_rate():
    assert projected_finish(NOW, 90, 36.0) == NOW + timedelta(hours=2, minutes=30)
    assert projected_finish(NOW, 0, 0.0) == NOW
    assert projected_finish(NOW, 5, 0.0) is None


def test_a_cut_off_is_a_local_time_of_the_day_in_utc():
    assert cutoff_on(date(2027, 1, 20), time(15, 0), SHANGHAI) == datetime(2027, 1, 20, 7, 0, tzinfo=UTC)


def test_a_wave_finishing_after_its_cut_off_is_late_and_one_finishing_before_is_not():
    cutoff = datetime(2027, 1, 20, 7, 0, tzinfo=UTC)  # 15:00 local
    # 30 lines picked in the last hour, 45 to go: 1.5 h more, 07:30 UTC > 07:00
    slow = pace(NOW, lines_done_in_window=30, window=timedelta(hours=1), remaining_lines=45, cutoff=cutoff)
    assert slow.rate == 30.0 and slow.finish == datetime(2027, 1, 20, 7, 30, tzinfo=UTC) and slow.late
    fast = pace(NOW, lines_done_in_window=60, window=timedelta(hours=1), remaining_lines=45, cutoff=cutoff)
    assert fast.finish == datetime(2027, 1, 20, 6, 45, tzinfo=UTC) and not fast.late


def test_without_a_rate_a_wave_is_late_only_once_its_cut_off_has_passed():
    before = pace(NOW, lines_done_in_window=0, window=timedelta(hours=1), remaining_lines=5,
                  cutoff=NOW + timedelta(minutes=1))
    after = pace(NOW, lines_done_in_window=0, window=timedelta(hours=1), remaining_lines=5,
                 cutoff=NOW - timedelta(minutes=1))
    assert before.finish is None and not before.late and after.late
    assert not pace(NOW, lines_done_in_window=0, window=timedelta(hours=1), remaining_lines=5, cutoff=None).late
