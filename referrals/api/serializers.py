"""API input shared by the endpoints that feed the referral fraud checks."""

from rest_framework import serializers

from loyalty.api.fields import StrictCharField


class StorefrontSignalsInput(serializers.Serializer):
    """Optional fields a storefront may send with a sign-up or an order, so a friend on the referrer's IP,
    device or shipping address is recognised (`referrals.services.signals.signals_pop` takes them out)."""

    ip_address = serializers.IPAddressField(
        required=False, allow_blank=True, help_text="The shopper's IP address, for the referral fraud checks."
    )
    device_fingerprint = StrictCharField(
        max_length=128, required=False, allow_blank=True, help_text="A storefront device fingerprint."
    )
    shipping_address = StrictCharField(
        max_length=500, required=False, allow_blank=True, help_text="The shipping address, as one line."
    )
