"""Shared kernel of spotcheck. Services depend on this package, never on each other."""
