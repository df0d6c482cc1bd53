"""The eligible population as a columnar snapshot, kept up to date from registry events.

Registry events land in the ``entities`` table with a population revision (``rev``); the
snapshot holds every entity as numpy columns sorted by USCC (USCC as 18-byte strings, risk class,
status, and dictionary-encoded type / industry / area) together with the revision it includes.
Before a draw the store applies the rows changed since (rev > snapshot rev, ≤ committed rev),
writes the new snapshot next to the old one (``.npy`` files, atomic rename) and builds the
draw's canonical population from the columns, without scanning the table again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from draws.domain import protocol as p
from spotcheck_common.objects import ObjectKind, kind_of

RISKS = "ABCDE"
DICT_COLUMNS = ("entity_type", "industry", "area")
Row = tuple[str, str, str, str, str, str]  # uscc, entity_type, industry, area, risk_class, status


def _head(prefix: int) -> str:
    """Two characters packed in a u16 (``Snapshot._of_kind``)."""
    return chr(prefix >> 8) + chr(prefix & 255)


@dataclass
class Snapshot:
    rev: int
    uscc: np.ndarray  # dtype S18, sorted, unique
    risk: np.ndarray  # uint8 index into RISKS
    status: np.ndarray  # uint8 STATUS_CODE
    codes: dict[str, np.ndarray]  # uint32 index into vocab[column]
    vocab: dict[str, list[str]] = field(default_factory=dict)
    # Random checks of ``checks_year`` counted from the draws service's own draws (saturating
    # at 255), with the last ``entity_checks`` row applied.
    checks: np.ndarray | None = None
    checks_year: int = 0
    checks_id: int = 0

    @classmethod
    def empty(cls) -> Snapshot:
        return cls(
            rev=0,
            uscc=np.empty(0, dtype="S18"),
            risk=np.empty(0, dtype=np.uint8),
            status=np.empty(0, dtype=np.uint8),
            codes={c: np.empty(0, dtype=np.uint32) for c in DICT_COLUMNS},
            vocab={c: [] for c in DICT_COLUMNS},
        )

    @property
    def size(self) -> int:
        return len(self.uscc)

    def checks_column(self) -> np.ndarray:
        if self.checks is None or len(self.checks) != self.size:
            return np.zeros(self.size, dtype=np.uint8)
        return self.checks

    def with_checks(self, year: int, last_id: int, drawn: Sequence[str], reset: bool) -> Snapshot:
        """Add one check per listed USCC (a delta of ``entity_checks``) for ``year``."""
        column = (
            np.zeros(self.size, dtype=np.uint16)
            if reset
            else self.checks_column().astype(np.uint16)
        )
        if drawn:
            codes = np.array(drawn, dtype="S18")
            pos = np.searchsorted(self.uscc, codes)
            ok = pos < self.size
            ok[ok] &= self.uscc[pos[ok]] == codes[ok]
            np.add.at(column, pos[ok], 1)
        out = Snapshot(self.rev, self.uscc, self.risk, self.status, self.codes, self.vocab)
        out.checks = np.minimum(column, 255).astype(np.uint8)
        out.checks_year, out.checks_id = year, last_id
        return out

    def _encode(self, column: str, values: Sequence[str]) -> np.ndarray:
        vocab = self.vocab.setdefault(column, [])
        index = {v: i for i, v in enumerate(vocab)}
        out = np.empty(len(values), dtype=np.uint32)
        for i, v in enumerate(values):
            code = index.get(v)
            if code is None:
                code = index[v] = len(vocab)
                vocab.append(v)
            out[i] = code
        return out

    def apply(self, rows: Sequence[Row], rev: int) -> Snapshot:
        """A new snapshot with ``rows`` upserted (rows must have distinct USCCs)."""
        if not rows:
            return self._carry(
                Snapshot(rev, self.uscc, self.risk, self.status, self.codes, self.vocab), None
            )
        codes = np.array([r[0] for r in rows], dtype="S18")
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        rows = [rows[i] for i in order.tolist()]
        risk = np.array([RISKS.index(r[4]) for r in rows], dtype=np.uint8)
        status = np.array([p.STATUS_CODE[r[5]] for r in rows], dtype=np.uint8)
        dicts = {c: self._encode(c, [r[1 + k] for r in rows]) for k, c in enumerate(DICT_COLUMNS)}
        pos = np.searchsorted(self.uscc, codes)
        found = (
            (pos < self.size) & (self.uscc[np.minimum(pos, max(self.size - 1, 0))] == codes)
            if self.size
            else np.zeros(len(codes), bool)
        )
        uscc, rk, st = self.uscc.copy(), self.risk.copy(), self.status.copy()
        ck = self.checks_column().copy()
        cols = {c: v.copy() for c, v in self.codes.items()}
        hit = pos[found]
        rk[hit], st[hit] = risk[found], status[found]
        for c in DICT_COLUMNS:
            cols[c][hit] = dicts[c][found]
        new = ~found
        if new.any():
            at = pos[new]
            uscc = np.insert(uscc, at, codes[new])
            rk = np.insert(rk, at, risk[new])
            st = np.insert(st, at, status[new])
            ck = np.insert(ck, at, np.zeros(int(new.sum()), dtype=np.uint8))
            for c in DICT_COLUMNS:
                cols[c] = np.insert(cols[c], at, dicts[c][new])
        return self._carry(Snapshot(rev, uscc, rk, st, cols, self.vocab), ck)

    def _carry(self, out: Snapshot, checks: np.ndarray | None) -> Snapshot:
        out.checks = self.checks if checks is None else checks
        out.checks_year, out.checks_id = self.checks_year, self.checks_id
        return out

    def population(
        self,
        task_filter: Mapping[str, Any],
        strata: Sequence[dict[str, Any]],
        checks: Mapping[str, int] | None = None,
        attributes: bool = False,
    ) -> p.Population:
        """The canonical population of a task: its scope, its strata, this year's checks
        (``checks`` given: those counts; None: the snapshot's own checks column); with
        ``attributes`` (/3) each row's scope attributes as the protocol encodes them."""
        keys = [s["key"] for s in strata]
        stratum_of = np.full(len(RISKS), 255, dtype=np.uint8)
        for i, k in enumerate(keys):
            stratum_of[RISKS.index(k)] = i
        mask = stratum_of[self.risk] != 255
        for name, column in (
            ("entity_types", "entity_type"),
            ("industries", "industry"),
            ("areas", "area"),
        ):
            wanted = task_filter.get(name) or []
            if wanted:
                vocab = {v: i for i, v in enumerate(self.vocab.get(column, []))}
                allowed = np.array([vocab[w] for w in wanted if w in vocab], dtype=np.uint32)
                mask &= np.isin(self.codes[column], allowed)
        mask &= self._of_kind(ObjectKind(task_filter.get("object_kind") or "market_entity"))
        rows = np.flatnonzero(mask) if not mask.all() else None
        uscc = self.uscc if rows is None else self.uscc[rows]
        risk = self.risk if rows is None else self.risk[rows]
        status = self.status if rows is None else self.status[rows]
        if checks is None:
            own = self.checks_column()
            count = own if rows is None else own[rows]
        else:
            count = np.zeros(len(uscc), dtype=np.uint8)
        if checks:
            drawn = np.array(sorted(checks), dtype="S18")
            times = np.array([min(255, checks[c.decode()]) for c in drawn], dtype=np.uint8)
            pos = np.searchsorted(uscc, drawn)
            ok = pos < len(uscc)
            ok[ok] &= uscc[pos[ok]] == drawn[ok]
            count[pos[ok]] = times[ok]
        # No copy of the largest column: a byte view of the (memory-mapped) snapshot.
        flat: Any = np.ascontiguousarray(uscc).view(np.uint8)
        pop = p.Population(
            uscc=memoryview(flat).toreadonly(),
            stratum=stratum_of[risk].tobytes(),
            status=np.ascontiguousarray(status).tobytes(),
            checks=np.ascontiguousarray(count).tobytes(),
        )
        return self._with_attributes(pop, rows) if attributes else pop

    def _of_kind(self, kind: ObjectKind) -> np.ndarray:
        """The rows whose object id is of ``kind`` (read from its first two characters)."""
        heads = np.ascontiguousarray(self.uscc).view(np.uint8).reshape(-1, p.USCC_LEN)[:, :2]
        prefix = heads[:, 0].astype(np.uint16) << 8 | heads[:, 1]
        wanted = [v for v in np.unique(prefix).tolist() if kind_of(_head(v)) is kind]
        return np.isin(prefix, np.array(wanted, dtype=np.uint16))

    def _with_attributes(self, pop: p.Population, rows: np.ndarray | None) -> p.Population:
        """§14.13: per attribute, the rows' values as big-endian u16 indices into the sorted
        values of the snapshot's dictionary (the manifest's vocabulary): one gather a column."""
        import dataclasses

        blocks, vocabulary = [], []
        for column in DICT_COLUMNS:
            words = self.vocab.get(column, [])
            if len(words) > 65536:
                raise ValueError(f"more than 65536 distinct values of {column}")
            order = sorted(range(len(words)), key=words.__getitem__)
            table = np.empty(max(1, len(words)), dtype=">u2")
            table[order] = np.arange(len(words))
            codes = self.codes[column] if rows is None else self.codes[column][rows]
            blocks.append(table[codes].tobytes())
            vocabulary.append(tuple(words[i] for i in order))
        return dataclasses.replace(pop, attributes=b"".join(blocks), vocabulary=tuple(vocabulary))

    # -- storage ---------------------------------------------------------------------

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / f"snap-{self.rev:012d}-{self.checks_year}-{self.checks_id:012d}"
        if final.exists():
            return final
        tmp = directory / f".tmp-{self.rev}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        np.save(tmp / "uscc.npy", self.uscc)
        np.save(tmp / "risk.npy", self.risk)
        np.save(tmp / "status.npy", self.status)
        np.save(tmp / "checks.npy", self.checks_column())
        for c in DICT_COLUMNS:
            np.save(tmp / f"{c}.npy", self.codes[c])
        (tmp / "meta.json").write_text(
            json.dumps(
                {
                    "rev": self.rev,
                    "size": self.size,
                    "vocab": self.vocab,
                    "checks_year": self.checks_year,
                    "checks_id": self.checks_id,
                },
                ensure_ascii=False,
            )
        )
        try:
            os.replace(tmp, final)
        except OSError:  # another process saved the same revision first
            shutil.rmtree(tmp, ignore_errors=True)
        for old in sorted(directory.glob("snap-*"))[:-2]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    @classmethod
    def load(cls, directory: Path) -> Snapshot | None:
        found = sorted(directory.glob("snap-*")) if directory.exists() else []
        if not found:
            return None
        path = found[-1]
        meta = json.loads((path / "meta.json").read_text())
        load = lambda name: np.load(path / f"{name}.npy", mmap_mode="r")  # noqa: E731
        snap = cls(
            rev=int(meta["rev"]),
            uscc=load("uscc"),
            risk=load("risk"),
            status=load("status"),
            codes={c: load(c) for c in DICT_COLUMNS},
            vocab={k: list(v) for k, v in meta["vocab"].items()},
        )
        snap.checks = load("checks")
        snap.checks_year, snap.checks_id = int(meta["checks_year"]), int(meta["checks_id"])
        return snap


class SnapshotStore:
    """One per process: the latest snapshot in memory, on disk under ``directory``."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.current: Snapshot | None = None
        self.lock = asyncio.Lock()

    async def refresh(self, repo: Any, year: int) -> Snapshot:
        """Apply the rows committed since the snapshot's revision (all of them the first time)
        and the checks of ``year`` recorded since its last ``entity_checks`` row."""
        async with self.lock:
            if self.current is None and self.directory is not None:
                try:
                    self.current = Snapshot.load(self.directory)
                except (OSError, ValueError, KeyError):
                    self.current = None
            snap = self.current or Snapshot.empty()
            head = await repo.population_rev()
            if head < snap.rev:  # a different database than the files were made from
                snap = Snapshot.empty()
            changed = head != snap.rev
            if changed:
                rows = await repo.entities_between(snap.rev, head)
                snap = snap.apply(rows, head)
            reset = snap.checks_year != year
            last, drawn = await repo.checks_after(year, 0 if reset else snap.checks_id)
            if reset or drawn:
                snap = snap.with_checks(year, last, drawn, reset)
                changed = True
            if changed and self.directory is not None:
                # the in-memory snapshot still serves if the files cannot be written
                with contextlib.suppress(OSError):
                    snap.save(self.directory)
            self.current = snap
            return snap
