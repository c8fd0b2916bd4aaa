"""Pelican plugins of the consultation site, one package per concern (each has ``register()``)."""
