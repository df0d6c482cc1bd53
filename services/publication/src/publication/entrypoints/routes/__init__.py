"""Publication over HTTP, one module per resource: the public read API (``/public``: results,
annual plans, tasks) and the staff API (``/api/publication``: withheld results, the
publication deadline, the export for the national publicity system). Corrections are published
on the city bureau's grant only (第九条: ``service_layer.services.correct_on_grant``)."""
