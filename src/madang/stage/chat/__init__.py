"""Moderated chat and emoji reactions beside a live session (see docs/realtime.md)."""
