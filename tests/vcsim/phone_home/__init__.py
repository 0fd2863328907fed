"""The phone-home client of a simulated Virtual Chassis (docs/simulator.md, "The phone-home client")."""

from .client import PhoneHomeClient

__all__ = ["PhoneHomeClient"]
