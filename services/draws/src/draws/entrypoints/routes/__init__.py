"""Draws over HTTP, one module per resource: the draw and its steps (staff, ``/api/draws``) and
what the public reads and verifies (``/public/draws``)."""
