"""Short, unguessable codes for referral links and vouchers.

The alphabet is uppercase letters and digits without the confusable ones (0/O, 1/I/L), so a code
read aloud or typed from a receipt works, and Shopify accepts it as a discount code."""

import secrets

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
