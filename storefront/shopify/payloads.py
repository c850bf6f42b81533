"""Shopify webhook bodies → the arguments of our services. Each topic's body is checked with a serializer
(Shopify's field names and shapes; unknown fields ignored), so a malformed body fails with a clear reason
instead of reaching the database. Reference: Shopify Admin REST `Order`, `Refund` and `Customer` resources."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from loyalty.api.fields import IdField
from loyalty.errors import ValidationFailed
from referrals.services.signals import NO_SIGNALS, Signals

REFERRAL_ATTRIBUTE = "referral_code"  # a cart/note attribute the storefront may set from the referral link
BIRTHDAY_KEYS = {"birthday", "birth_date", "date_of_birth"}
MAX_ITEMS = 250


class _Lenient(serializers.Serializer):
    """Shopify sends nulls for absent values: treat them as absent."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if v is not None}
        return super().to_internal_value(data)


class _Text(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)


class _Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(max_digits=14, decimal_places=2, min_value=Decimal("0"), **kwargs)


class CustomerRef(_Lenient):
    id = IdField()
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    first_name = _Text(max_length=150)
    last_name = _Text(max_length=150)
    phone = _Text(max_length=32)


class NameValue(_Lenient):
    name = _Text(max_length=100)
    value = _Text(max_length=255)


class Address(_Lenient):
    address1 = _Text(max_length=255)
    address2 = _Text(max_length=255)
    zip = _Text(max_length=32)
    city = _Text(max_length=100)
    country_code = _Text(max_length=8)


class ClientDetails(_Lenient):
    browser_ip = serializers.IPAddressField(required=False, allow_blank=True)


class LineItem(_Lenient):
    id = IdField(required=False)
    product_id = IdField(required=False)
    variant_id = IdField(required=False)
    sku = _Text(max_length=255)
    title = _Text(max_length=255)
    quantity = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    price = _Money()


class OrderPayload(_Lenient):
    id = IdField()
    name = _Text(max_length=64)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    customer = CustomerRef(required=False)
    subtotal_price = _Money()
    current_subtotal_price = _Money()
    currency = serializers.RegexField(r"^[A-Za-z]{3}$")
    processed_at = serializers.DateTimeField(required=False)
    created_at = serializers.DateTimeField(required=False)
    test = serializers.BooleanField(required=False, default=False)
    line_items = LineItem(many=True, required=False)
    note_attributes = NameValue(many=True, required=False)
    browser_ip = serializers.IPAddressField(required=False, allow_blank=True)
    client_details = ClientDetails(required=False)
    shipping_address = Address(required=False)

    def validate(self, data):
        if data.get("subtotal_price") is None and data.get("current_subtotal_price") is None:
            raise serializers.ValidationError({"subtotal_price": ["Required."]})
        return data


class RefundTransaction(_Lenient):
    amount = _Money()
    kind = _Text(max_length=20)
    status = _Text(max_length=20)


class RefundLineItem(_Lenient):
    quantity = serializers.IntegerField(required=False, min_value=0)
    subtotal = _Money()


class RefundPayload(_Lenient):
    id = IdField()
    order_id = IdField()
    refund_line_items = RefundLineItem(many=True, required=False)
    transactions = RefundTransaction(many=True, required=False)


class Metafield(_Lenient):
    namespace = _Text(max_length=100)
    key = _Text(max_length=100)
    value = serializers.JSONField(required=False)


class CustomerPayload(CustomerRef):
    metafields = Metafield(many=True, required=False)
    note = _Text(max_length=5000)


def _valid(serializer_class, payload) -> dict:
    serializer = serializer_class(data=payload)
    if not serializer.is_valid():
        raise ValidationFailed("The Shopify payload is not as documented.", fields=serializer.errors)
    return serializer.validated_data


@dataclass(frozen=True)
class ShopifyOrder:
    order_id: str
    customer: dict | None
    email: str
    subtotal: Decimal
    currency: str
    placed_at: datetime | None
    test: bool
    referral_code: str
    items: list
    signals: Signals


def order_parse(payload) -> ShopifyOrder:
    data = _valid(OrderPayload, payload)
    customer = data.get("customer")
    attributes = {a.get("name", "").lower(): a.get("value", "") for a in data.get("note_attributes", [])}
    subtotal = data.get("subtotal_price")
    placed_at = data.get("processed_at") or data.get("created_at")
    if placed_at and placed_at > timezone.now():
        placed_at = None  # a clock ahead of ours: the order is paid now
    address = data.get("shipping_address") or {}
    ip = data.get("browser_ip") or (data.get("client_details") or {}).get("browser_ip") or None
    return ShopifyOrder(
        order_id=data["id"],
        customer=dict(customer) if customer else None,
        email=data.get("email") or (customer or {}).get("email", ""),
        subtotal=subtotal if subtotal is not None else data["current_subtotal_price"],
        currency=data["currency"].upper(),
        placed_at=placed_at,
        test=data["test"],
        referral_code=attributes.get(REFERRAL_ATTRIBUTE, "")[:32],
        items=[{k: str(v) for k, v in item.items()} for item in data.get("line_items", [])[:MAX_ITEMS]],
        signals=Signals(
            ip_address=ip,
            shipping_address=", ".join(
                address.get(k, "") for k in ("address1", "address2", "zip", "city", "country_code") if address.get(k)
            ),
        )
        if (ip or address)
        else NO_SIGNALS,
    )


@dataclass(frozen=True)
class ShopifyRefund:
    refund_id: str
    order_id: str
    amount: Decimal


def refund_parse(payload) -> ShopifyRefund:
    """The goods refunded (line item subtotals, what earned points); for a refund without line items (an
    amount typed in by the merchant), the successful refund transactions."""
    data = _valid(RefundPayload, payload)
    amount = sum((item.get("subtotal") or Decimal("0") for item in data.get("refund_line_items", [])), Decimal("0"))
    if not amount:
        amount = sum(
            (
                t.get("amount") or Decimal("0")
                for t in data.get("transactions", [])
                if t.get("kind", "refund") == "refund" and t.get("status", "success") == "success"
            ),
            Decimal("0"),
        )
    return ShopifyRefund(refund_id=data["id"], order_id=data["order_id"], amount=amount)


def customer_parse(payload) -> dict:
    """`member_join` arguments; fields Shopify leaves null are left as they are on the member."""
    data = _valid(CustomerPayload, payload)
    fields = {"customer_id": data["id"], "email": data.get("email", "")}
    for name in ("first_name", "last_name", "phone"):
        if name in data:
            fields[name] = data[name]
    birthday = _birthday(data.get("metafields", []))
    if birthday:
        fields["birthday"] = birthday
    return fields


def _birthday(metafields) -> date | None:
    """A birthday metafield (`facts.birth_date`, `customer.birthday`, …) when the webhook subscription
    includes the namespace; Shopify customers have no birthday field of their own."""
    for field in metafields:
        if field.get("key", "").lower() in BIRTHDAY_KEYS and isinstance(field.get("value"), str):
            try:
                born = date.fromisoformat(field["value"][:10])
            except ValueError:
                continue
            if date(1900, 1, 1) <= born <= timezone.localdate():
                return born
    return None
