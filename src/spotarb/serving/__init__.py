"""Serving what is stored: the service state, best options, arbitrage, cache, metrics."""
