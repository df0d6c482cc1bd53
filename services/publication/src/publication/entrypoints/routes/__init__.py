"""Publication over HTTP, one module per resource: the public read API (``/public``: results,
annual plans, tasks) and the staff API (``/api/publication``: corrections, withheld results,
the publication deadline, the export for the national publicity system)."""
