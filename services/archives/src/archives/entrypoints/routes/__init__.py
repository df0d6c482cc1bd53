"""The archives HTTP API, one module-level router per resource (thin: parse, call a view,
shape the answer). Dossiers grow from events and from the exemptions of 第十三条 (a proposal,
the director's meeting's decision: ``exemptions``), appended to the chain; nothing here changes
or removes an entry (the other write is folding parked events again)."""
