"""The inspections HTTP API, one module-level router per resource (thin: parse, call a use case
or a view, shape the answer).

Who acts comes from the bearer token: the user is recorded on every event, and the token's
``inspector_id`` (执法人员编号) is matched against the inspection's team.
"""
