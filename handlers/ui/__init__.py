"""Widgets and helpers that several features share."""
