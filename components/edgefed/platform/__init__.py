"""Clients of the operators' standard platform APIs (CAMARA Edge Application Management)."""
