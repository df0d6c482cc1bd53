"""The archives HTTP API, one module-level router per resource (thin: parse, call a view,
shape the answer). Read-only by design: dossiers grow only from events, and nothing here
changes or removes them (the one write is folding parked events again)."""
