"""A synthetic hotel group: guests, bookings, stays and engagement, written as landing files."""

from guestloyalty.synth.world import WorldSpec, generate_world

__all__ = ["WorldSpec", "generate_world"]
