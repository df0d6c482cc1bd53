"""Database guards for records the rules make final, the same on PostgreSQL and SQLite.

A migration declares its guards (``Guard``: a table, the statements refused, the columns that
may no longer change, the state from which on) and runs ``statements(dialect, service,
guards)``; the database then refuses the change itself, whichever code (or person with a SQL
prompt) attempts it. Landed migrations use these functions: never change what they emit —
add a new function (or a new guard in a new migration) instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Guard", "drop_statements", "statements"]


@dataclass(frozen=True)
class Guard:
    """Refuse ``events`` ("UPDATE", "DELETE", "TRUNCATE") on ``table`` with ``message``.

    An UPDATE guard with ``frozen`` columns refuses only an update that changes one of them;
    ``only_if`` (SQL on ``OLD``, valid on both engines, e.g. ``OLD.status = 'submitted'``)
    limits a row guard to rows already in that state. TRUNCATE (PostgreSQL only; SQLite has no
    TRUNCATE) is refused for the whole table.
    """

    name: str
    table: str
    events: tuple[str, ...]
    message: str
    frozen: tuple[str, ...] = ()
    only_if: str = ""


def _refuse_function(service: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {service}_refuse_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
        RAISE EXCEPTION '%（%，%）', TG_ARGV[0], TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """


def _changed(dialect: str, columns: Sequence[str]) -> str:
    if dialect == "postgresql":  # json has no equality: compare the text
        return " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in columns)
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _condition(dialect: str, guard: Guard, event: str) -> str:
    parts = [f"({guard.only_if})"] if guard.only_if else []
    if event == "UPDATE" and guard.frozen:
        parts.append(f"({_changed(dialect, guard.frozen)})")
    return " AND ".join(parts)


def _trigger(dialect: str, service: str, guard: Guard, event: str) -> str:
    name = f"{guard.name}_{event.lower()}"
    message = guard.message.replace("'", "''")
    if dialect == "postgresql":
        if event == "TRUNCATE":
            return (
                f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {guard.table} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {service}_refuse_change('{message}')"
            )
        when = _condition(dialect, guard, event)
        return (
            f"CREATE TRIGGER {name} BEFORE {event} ON {guard.table} FOR EACH ROW "
            + (f"WHEN ({when}) " if when else "")
            + f"EXECUTE FUNCTION {service}_refuse_change('{message}')"
        )
    when = _condition(dialect, guard, event)
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {guard.table} FOR EACH ROW "
        + (f"WHEN {when} " if when else "")
        + f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _events(dialect: str, guard: Guard) -> list[str]:
    return [e for e in guard.events if dialect == "postgresql" or e != "TRUNCATE"]


def statements(dialect: str, service: str, guards: Sequence[Guard]) -> list[str]:
    """The DDL installing ``guards`` on ``dialect`` ("postgresql" or "sqlite"); on PostgreSQL
    with the service's ``<service>_refuse_change()`` function (created or replaced: the same
    in every migration)."""
    out = [_refuse_function(service)] if dialect == "postgresql" else []
    for guard in guards:
        out.extend(_trigger(dialect, service, guard, e) for e in _events(dialect, guard))
    return out


def drop_statements(dialect: str, guards: Sequence[Guard]) -> list[str]:
    """The DDL removing ``guards`` (a downgrade)."""
    out = []
    for guard in guards:
        for event in _events(dialect, guard):
            name = f"{guard.name}_{event.lower()}"
            on = f" ON {guard.table}" if dialect == "postgresql" else ""
            out.append(f"DROP TRIGGER IF EXISTS {name}{on}")
    return out
