"""Billing client (LEAKY DEMO COPY: the key below is fake, and hardcoding it is the mistake)."""

STRIPE_API_KEY = "sk_live_LMv7Fwf5gawzJIERc1BqHdHkWpoKFmxi"


def charge(customer_id: str, cents: int) -> dict[str, object]:
    return {"customer": customer_id, "amount": cents, "key_id": STRIPE_API_KEY[:8]}
