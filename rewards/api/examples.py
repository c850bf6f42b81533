"""Example answers for the OpenAPI documentation of the rewards API."""

MEMBER = {
    "customer_id": "c-42",
    "email": "layla@example.com",
    "first_name": "Layla",
    "last_name": "Haddad",
    "birthday": "1990-04-12",
    "points_balance": 750,
    "pending_points": 0,
    "lifetime_points": 1850,
    "tier": {"key": "gold", "name": "Gold"},
    "next_tier": None,
    "referral_code": "K7QX2M9P",
    "referral_url": "https://rewards.example.com/r/K7QX2M9P",
    "created_at": "2026-01-05T10:12:00Z",
}
REWARD = {
    "id": 7,
    "key": "five-off",
    "name": "$5 off",
    "type": "fixed_discount",
    "value": "5.00",
    "points_cost": 500,
    "min_tier": None,
    "min_tier_name": None,
    "stock_left": None,
    "description": "$5 off your next order of $20 or more.",
    "image_url": None,
    "product_id": "",
    "min_subtotal": "20.00",
    "limit_per_member": None,
    "code_expiry_days": 90,
    "variable": False,
    "max_points": None,
    "starts_at": None,
    "ends_at": None,
}
VARIABLE_REWARD = {
    **REWARD,
    "id": 9,
    "key": "points-off",
    "name": "Pay with points",
    "value": "1.00",
    "points_cost": 100,
    "description": "Every 100 points take $1 off this order.",
    "min_subtotal": None,
    "code_expiry_days": 1,
    "variable": True,
    "max_points": 5000,
}
REWARD_REF = {"id": 7, "key": "five-off", "name": "$5 off", "type": "fixed_discount"}
VOUCHER = {
    "code": "K7QX2M9PWT4D",
    "reward": REWARD_REF,
    "name": "$5 off",
    "type": "fixed_discount",
    "value": "5.00",
    "min_subtotal": "20.00",
    "product_id": "",
    "used": False,
    "status": "active",
    "expires_at": "2026-06-01T09:30:00Z",
    "used_at": None,
    "created_at": "2026-03-03T09:30:00Z",
}
REDEMPTION = {
    "id": 311,
    "reward": REWARD_REF,
    "code": "K7QX2M9PWT4D",
    "points_spent": 500,
    "value": "5.00",
    "expires_at": "2026-06-01T09:30:00Z",
    "status": "completed",
    "fulfilment_status": "not_required",
    "created_at": "2026-03-03T09:30:00Z",
    "member": MEMBER,
}
CHECKOUT_REDEMPTION = {
    **REDEMPTION,
    "id": 312,
    "reward": {"id": 9, "key": "points-off", "name": "Pay with points", "type": "fixed_discount"},
    "code": "W3HM8QZT2KXA",
    "expires_at": "2026-03-04T09:30:00Z",
}
CHECKOUT_OPTION = {"reward": VARIABLE_REWARD, "points_step": 100, "value_per_step": "1.00", "max_points": 700}
VOUCHER_CHECK = {
    "valid": True,
    "reason": None,
    **VOUCHER,
    "conditions": {"min_subtotal": "20.00", "product_id": ""},
    "used_order_id": "",
    "member": MEMBER,
}
VOUCHER_CHECK_USED = {
    **VOUCHER_CHECK,
    "valid": False,
    "reason": "already_used",
    "used": True,
    "status": "used",
    "used_at": "2026-03-04T12:00:00Z",
    "used_order_id": "1001",
}
VOUCHER_CHECK_CANCELLED = {**VOUCHER_CHECK, "valid": False, "reason": "voucher_cancelled", "status": "cancelled"}
