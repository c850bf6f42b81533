"""Shopify webhook bodies with the real field names and shapes (Shopify Admin REST `Order`, `Refund`,
`Customer` as sent to `orders/paid`, `orders/cancelled`, `refunds/create`, `customers/create|update`),
trimmed of fields we do not read but keeping their nesting, nulls and string money."""

import base64
import hashlib
import hmac
import json


def shopify_signature(secret: str, raw_body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def customer_payload(*, customer_id: int = 706405506930370084, email: str = "bob@example.com", **overrides) -> dict:
    return {
        "id": customer_id,
        "email": email,
        "created_at": "2026-03-01T09:00:00-05:00",
        "updated_at": "2026-03-01T09:00:00-05:00",
        "first_name": "Bob",
        "last_name": "Biller",
        "orders_count": 0,
        "state": "disabled",
        "total_spent": "0.00",
        "last_order_id": None,
        "note": "This customer loves ice cream",
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "tags": "",
        "last_order_name": None,
        "currency": "USD",
        "phone": None,
        "addresses": [],
        "email_marketing_consent": None,
        "sms_marketing_consent": None,
        "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
        "default_address": None,
        **overrides,
    }


def order_payload(
    *,
    order_id: int = 820982911946154508,
    customer_id: int | None = 115310627314723954,
    subtotal: str = "49.99",
    currency: str = "USD",
    test: bool = False,
    **overrides,
) -> dict:
    customer = (
        {
            "id": customer_id,
            "email": "john@example.com",
            "created_at": None,
            "updated_at": None,
            "first_name": "John",
            "last_name": "Smith",
            "state": "disabled",
            "note": None,
            "verified_email": True,
            "multipass_identifier": None,
            "tax_exempt": False,
            "phone": None,
            "currency": currency,
            "tax_exemptions": [],
            "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
            "default_address": None,
        }
        if customer_id is not None
        else None
    )
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "app_id": None,
        "browser_ip": "203.0.113.7",
        "buyer_accepts_marketing": True,
        "cancel_reason": None,
        "cancelled_at": None,
        "client_details": {"accept_language": "en", "browser_ip": "203.0.113.7", "user_agent": "Mozilla/5.0"},
        "confirmed": True,
        "contact_email": "jon@example.com",
        "created_at": "2026-03-01T09:30:00-05:00",
        "currency": currency,
        "current_subtotal_price": subtotal,
        "current_total_price": subtotal,
        "discount_codes": [],
        "email": "jon@example.com",
        "financial_status": "paid",
        "name": "#9999",
        "note": None,
        "note_attributes": [],
        "number": 234,
        "order_number": 1234,
        "presentment_currency": currency,
        "processed_at": "2026-03-01T09:30:00-05:00",
        "subtotal_price": subtotal,
        "subtotal_price_set": {
            "shop_money": {"amount": subtotal, "currency_code": currency},
            "presentment_money": {"amount": subtotal, "currency_code": currency},
        },
        "tags": "",
        "test": test,
        "total_price": subtotal,
        "total_tax": "0.00",
        "updated_at": "2026-03-01T09:30:00-05:00",
        "customer": customer,
        "line_items": [
            {
                "id": 866550311766439020,
                "admin_graphql_api_id": "gid://shopify/LineItem/866550311766439020",
                "fulfillable_quantity": 1,
                "gift_card": False,
                "name": "IPod Nano - 8GB",
                "price": subtotal,
                "price_set": {"shop_money": {"amount": subtotal, "currency_code": currency}},
                "product_exists": True,
                "product_id": 632910392,
                "properties": [],
                "quantity": 1,
                "requires_shipping": True,
                "sku": "IPOD2008PINK",
                "taxable": True,
                "title": "IPod Nano - 8GB",
                "total_discount": "0.00",
                "variant_id": 808950810,
                "variant_title": None,
                "vendor": None,
                "tax_lines": [],
                "duties": [],
                "discount_allocations": [],
            }
        ],
        "refunds": [],
        "shipping_address": {
            "first_name": "Steve",
            "address1": "123 Shipping Street",
            "phone": "555-555-SHIP",
            "city": "Shippington",
            "zip": "40003",
            "province": "Kentucky",
            "country": "United States",
            "last_name": "Shipper",
            "address2": None,
            "company": "Shipping Company",
            "latitude": None,
            "longitude": None,
            "name": "Steve Shipper",
            "country_code": "US",
            "province_code": "KY",
        },
        **overrides,
    }


def refund_payload(
    *, refund_id: int = 509562969, order_id: int = 820982911946154508, subtotal: str | None = "10.00", amount="10.00"
) -> dict:
    line_items = (
        [
            {
                "id": 104689539,
                "quantity": 1,
                "line_item_id": 703073504,
                "location_id": 487838322,
                "restock_type": "no_restock",
                "subtotal": subtotal,
                "total_tax": "0.00",
                "subtotal_set": {"shop_money": {"amount": subtotal, "currency_code": "USD"}},
                "line_item": {"id": 703073504, "product_id": 632910392, "price": subtotal, "quantity": 1},
            }
        ]
        if subtotal is not None
        else []
    )
    return {
        "id": refund_id,
        "order_id": order_id,
        "created_at": "2026-03-05T12:00:00-05:00",
        "note": "Item arrived damaged",
        "user_id": None,
        "processed_at": "2026-03-05T12:00:00-05:00",
        "restock": False,
        "duties": [],
        "total_duties_set": {"shop_money": {"amount": "0.00", "currency_code": "USD"}},
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "refund_line_items": line_items,
        "transactions": [
            {
                "id": 389404469,
                "order_id": order_id,
                "kind": "refund",
                "gateway": "bogus",
                "status": "success",
                "message": None,
                "created_at": "2026-03-05T12:00:00-05:00",
                "test": False,
                "authorization": "authorization-key",
                "parent_id": 801038806,
                "amount": amount,
                "currency": "USD",
            }
        ],
        "order_adjustments": [],
    }


def raw(payload: dict) -> bytes:
    return json.dumps(payload).encode()
