"""The member answer's datetimes are written exactly as DRF's `DateTimeField` writes them."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from django.utils import timezone as django_timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from members.api.serializers import datetime_text

zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=4)), timezone(timedelta(hours=-3, minutes=-30)), ZoneInfo("America/New_York")]
)


@given(
    moment=st.one_of(
        st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones),
        st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),  # naive
        st.none(),
    ),
    current=st.sampled_from(["UTC", "Asia/Tehran", "America/New_York", "Asia/Kolkata"]),
)
def test_a_datetime_is_written_as_drfs_field_writes_it(moment, current):
    # given a current time zone (the settings' or an activated one)
    with django_timezone.override(current):
        # when / then
        assert datetime_text(moment) == serializers.DateTimeField().to_representation(moment)
