"""Stand-ins for the outside services a shop talks to (payments, inventory, shipping).

They write to the demo's own tables so you can watch their effects on the page. Real services
would be HTTP calls: at-least-once side effects, which is why the compensation is idempotent.
"""

from __future__ import annotations

from .models import Order


class ShippingError(Exception):
    """The carrier refused the parcel."""


def charge(order_id: int) -> str:
    charge_id = f"ch_{order_id:05d}"
    Order.objects.filter(pk=order_id).update(charge_id=charge_id)
    return charge_id


def refund(order_id: int) -> None:
    Order.objects.filter(pk=order_id).update(refunded=True)


def reserve(order_id: int) -> str:
    reservation_id = f"res_{order_id:05d}"
    Order.objects.filter(pk=order_id).update(reservation_id=reservation_id)
    return reservation_id


def release(order_id: int) -> None:
    Order.objects.filter(pk=order_id).update(released=True)


def ship(order_id: int) -> str:
    order = Order.objects.get(pk=order_id)
    if order.undeliverable:
        raise ShippingError(f"Carrier cannot deliver order #{order_id} to this address.")
    tracking = f"TRK{order_id:07d}"
    Order.objects.filter(pk=order_id).update(tracking_number=tracking)
    return tracking
