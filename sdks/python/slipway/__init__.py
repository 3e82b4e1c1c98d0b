"""Slipway API client (standard library only, Python >= 3.9)."""
from .client import SlipwayClient, SlipwayError, Resource

__all__ = ["SlipwayClient", "SlipwayError", "Resource"]
