"""A persistent reward store: every live evaluation, in one SQLite file.

One row per evaluation, keyed by ``(task, config, simulator, simulator_version, recipe, seed)``
(:class:`EvaluationKey`), holding the accuracy (a fraction), the per-stage timings, the software
versions, free-form details and the id of the pre-trained backbone that produced it (one
backbone serves every task: :class:`~t2s_env.pipeline.BackboneKey`), and (schema version 2) the
learning curve of the task (accuracy at each of the recipe's ``curve_epochs``) and the CPU
seconds of the whole pre-training that produced it. A version-1 store is migrated in place when
opened (two columns added and the version record raised, in one transaction: nothing else
changes); a store newer than this code is refused, untouched. Rows are written in their own transaction as each evaluation
finishes, so an interrupted sweep loses nothing that finished; a row is never overwritten
(the first writer of a key wins), so a cached evaluation is never recomputed or changed.
Concurrent writers (processes, threads with their own store) are safe: WAL journal, short
``BEGIN IMMEDIATE`` transactions and a busy timeout.

A task name stays bound to one dataset: every write checks, inside its transaction, that the
task's stored evaluations (and other sweeps' live claims) name the same dataset, and refuses
the write otherwise (:class:`DatasetBindingError`). Sweeps claim a cell before computing it
(:meth:`RewardStore.claim`: a lease that the owner renews; an expired lease, or one whose owner
process on this machine is gone, is taken over), so concurrent sweeps compute each cell once.
A file that is not a reward store (not SQLite, or a database without the store's
``schema_version`` record) is refused and left byte for byte untouched.

The store exports to the packaged table format (:class:`~t2s_env.data.RewardTable`), so the
table-backed environment can run on a user's own measurements.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "rewards.sqlite"
>>> store = RewardStore(path)
>>> key = EvaluationKey("digits", "0_0_0_0_0_1_0_0_0", "toy", "1", "smoke@abc", 0)
>>> store.put(Evaluation(key, accuracy=0.9, timings={"total": 1.0}))
True
>>> store.get(key).accuracy, key in store, len(store)
(0.9, True, 1)
>>> store.put(Evaluation(key, accuracy=0.1))  # the first measurement stays
False
>>> store.close()
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from t2s_env.data import RewardTable
from t2s_env.space import KnobSpace

SCHEMA_VERSION = 2
"""The store layout this code writes; older layouts (:data:`_MIGRATIONS`) are upgraded on open."""
_KEY_FIELDS = ("task", "config", "simulator", "simulator_version", "recipe", "seed")
_COLUMNS = (*_KEY_FIELDS, "accuracy", "timings", "versions", "details", "created", "backbone",
            "curve", "cpu_seconds")  # fmt: skip
"""The evaluation columns, in :meth:`RewardStore._parse_row`'s order (named: a migrated store
may hold them in another order)."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
    task TEXT NOT NULL,
    config TEXT NOT NULL,
    simulator TEXT NOT NULL,
    simulator_version TEXT NOT NULL,
    recipe TEXT NOT NULL,
    seed INTEGER NOT NULL,
    accuracy REAL NOT NULL CHECK (accuracy >= 0 AND accuracy <= 1),
    timings TEXT NOT NULL,
    versions TEXT NOT NULL,
    details TEXT NOT NULL,
    created REAL NOT NULL,
    backbone TEXT NOT NULL DEFAULT '',
    curve TEXT NOT NULL DEFAULT '[]',
    cpu_seconds REAL,
    PRIMARY KEY (task, config, simulator, simulator_version, recipe, seed)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    task TEXT NOT NULL,
    method TEXT NOT NULL,
    vector BLOB NOT NULL,
    meta TEXT NOT NULL,
    PRIMARY KEY (task, method)
);
"""


_CLAIMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    task TEXT NOT NULL,
    config TEXT NOT NULL,
    simulator TEXT NOT NULL,
    simulator_version TEXT NOT NULL,
    recipe TEXT NOT NULL,
    seed INTEGER NOT NULL,
    dataset TEXT,
    owner TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (task, config, simulator, simulator_version, recipe, seed)
);
"""
"""Cells being computed: who computes each (a sweep's owner id) until when (its lease)."""

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 1 -> 2: learning curves ([[epochs, accuracy], ...], "[]": none) and the pre-training's
    # CPU seconds (NULL: not recorded)
    1: (
        "ALTER TABLE evaluations ADD COLUMN curve TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE evaluations ADD COLUMN cpu_seconds REAL",
    ),
}
"""``{version: statements}`` that turn a store of ``version`` into one of ``version + 1``."""

DEFAULT_LEASE_SECONDS = 300.0
"""How long a claim lasts unless its owner renews it (a crashed sweep's cells free up after)."""


def _is_reward_store(conn: sqlite3.Connection, tables: set[str]) -> bool:
    """Whether a non-empty database is a reward store (read-only: nothing is written)."""
    if not {"evaluations", "meta"} <= tables:
        return False
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        return False
    return row is not None


def new_owner() -> str:
    """A claim owner id, ``host:pid:random``: unique per sweep; a claim whose owner process on
    this host is gone is free at once (a killed sweep does not hold its cells for a lease)."""
    import os
    import socket
    import uuid

    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_is_dead(owner: str) -> bool:
    import os
    import socket

    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its lease tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but not ours to signal
        return False
    return False


class StoreError(RuntimeError):
    """The reward store file cannot be used; the message names the file and the problem."""


class DatasetBindingError(StoreError):
    """A write or claim for a task name that the store holds for another dataset (refused)."""


@dataclass(frozen=True)
class EvaluationKey:
    """What identifies a measurement: the same key is never measured twice."""

    task: str
    config: str
    """The configuration's key string (see :meth:`~t2s_env.space.KnobSpace.dict_to_key`)."""
    simulator: str
    simulator_version: str
    recipe: str
    """The recipe's :attr:`~t2s_env.pretrain.Recipe.id` (name and hash of its fields)."""
    seed: int

    def values(self) -> tuple[str, str, str, str, str, int]:
        return (
            self.task,
            self.config,
            self.simulator,
            self.simulator_version,
            self.recipe,
            int(self.seed),
        )


@dataclass(frozen=True)
class Evaluation:
    """One measured (task, configuration) reward."""

    key: EvaluationKey
    accuracy: float
    """Top-1 k-NN accuracy on the task's test split, a fraction in ``[0, 1]``."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage (``render``, ``pretrain``, ``features``, ``knn``, ``total``)."""
    versions: dict[str, str] = field(default_factory=dict)
    """Software versions (python, torch, torchvision, numpy, t2s_env) and device."""
    details: dict[str, object] = field(default_factory=dict)
    """Anything else worth keeping (dataset spec, image counts, final loss...)."""
    created: float = 0.0
    """Unix time the measurement finished."""
    backbone: str = ""
    """Id of the pre-trained backbone scored (``""`` in stores older than that column)."""
    curve: tuple[tuple[float, float], ...] = ()
    """The learning curve: ``(epochs, accuracy)`` at each of the recipe's ``curve_epochs``, the
    last one ``(recipe.epochs, accuracy)``; ``()``: not recorded."""
    cpu_seconds: float | None = None
    """CPU seconds of the whole pre-training this evaluation came from (render, training, curve
    and final scoring of every task of its job); ``None``: not recorded (or a cached backbone)."""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.accuracy) and 0.0 <= self.accuracy <= 1.0):
            raise ValueError(f"accuracy must be a fraction in [0, 1], got {self.accuracy}")
        curve = tuple((float(e), float(a)) for e, a in self.curve)
        object.__setattr__(self, "curve", curve)
        if curve:
            epochs = [e for e, _ in curve]
            if any(b <= a for a, b in zip(epochs, epochs[1:], strict=False)) or epochs[0] <= 0:
                raise ValueError(f"curve epochs must be ascending and > 0, got {epochs}")
            if any(not (np.isfinite(a) and 0.0 <= a <= 1.0) for _, a in curve):
                raise ValueError(f"curve accuracies must be fractions in [0, 1], got {curve}")
            if curve[-1][1] != float(self.accuracy):
                raise ValueError(
                    f"the curve's last accuracy {curve[-1][1]} is not the accuracy {self.accuracy}"
                )
        if self.cpu_seconds is not None and not (
            np.isfinite(self.cpu_seconds) and self.cpu_seconds >= 0
        ):
            raise ValueError(f"cpu_seconds must be >= 0 or None, got {self.cpu_seconds}")


class RewardStore:
    """The SQLite reward store at ``path`` (created if missing).

    Args:
        path: The database file. A file that is not a reward store (another SQLite database,
            or not SQLite at all) raises :class:`StoreError` and is left untouched.
        timeout: Seconds a writer waits for another writer's lock before giving up.
    """

    def __init__(self, path: str | Path, timeout: float = 60.0) -> None:
        self.path = Path(path).expanduser()
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"reward store {self.path} is not a file")
        if not self.path.parent.is_dir():
            raise StoreError(f"reward store folder {self.path.parent} does not exist")
        if self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise StoreError(
                        f"{self.path} is not a reward store: not an SQLite database "
                        "(the file was left untouched; move it away or choose another path)"
                    )
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master")}
            if tables and not _is_reward_store(self._conn, tables):
                self._conn.close()
                raise StoreError(
                    f"{self.path} is an SQLite database but not a reward store (tables "
                    f"{sorted(tables)}, no t2s schema_version record); it was left untouched"
                )
            if tables:  # an existing store: its version is checked before anything is written
                self._check_version(self._conn)
            self._conn.execute("PRAGMA journal_mode = WAL")
            if tables:
                self._migrate()
            with self._transaction() as cur:
                for statement in (_SCHEMA + _CLAIMS_SCHEMA).split(";"):
                    if statement.strip():
                        cur.execute(statement)
                cur.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
                version = cur.execute(
                    "SELECT value FROM meta WHERE name = 'schema_version'"
                ).fetchone()[0]
            if int(version) != SCHEMA_VERSION:
                raise StoreError(
                    f"reward store {self.path} has schema version {version}; this t2s_env "
                    f"reads version {SCHEMA_VERSION}"
                )
        except sqlite3.DatabaseError as exc:
            if self._conn is not None:
                self._conn.close()
            raise StoreError(f"{self.path} is not a usable reward store: {exc}") from exc

    def _check_version(self, conn: sqlite3.Connection) -> None:
        """A :class:`StoreError` (the connection closed) unless the store's ``schema_version``
        record is a number from 1 to :data:`SCHEMA_VERSION` (older ones are migrated)."""
        version = conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
        problem = None
        if not isinstance(version, (int, str)) or not str(version).strip().isdigit():
            problem = f"has schema version {version!r}, not a number (damaged, or not t2s_env's)"
        elif not 1 <= int(version) <= SCHEMA_VERSION:
            problem = (
                f"has schema version {version}; this t2s_env reads versions 1 to "
                f"{SCHEMA_VERSION} (a newer t2s_env wrote it: upgrade t2s_env)"
            )
        if problem:
            conn.close()
            raise StoreError(f"reward store {self.path} {problem}; it was left untouched")

    def _migrate(self) -> None:
        """Bring an older store to :data:`SCHEMA_VERSION`, one version per transaction (the
        version record is read and raised inside it, so two processes opening one old store
        migrate it once; an interrupted migration leaves the store as it was)."""
        while True:
            with self._transaction() as cur:
                version = int(
                    cur.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[
                        0
                    ]
                )
                if version >= SCHEMA_VERSION:
                    return
                columns = {r[1] for r in cur.execute("PRAGMA table_info(evaluations)")}
                if "backbone" not in columns:  # a version-1 store from before backbones
                    cur.execute(
                        "ALTER TABLE evaluations ADD COLUMN backbone TEXT NOT NULL DEFAULT ''"
                    )
                for statement in _MIGRATIONS[version]:
                    cur.execute(statement)
                cur.execute(
                    "UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(version + 1),)
                )

    # -- connection ----------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """One short write transaction; ``BEGIN IMMEDIATE`` takes the write lock up front."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (the store object is unusable afterwards)."""
        self._conn.close()

    def __enter__(self) -> RewardStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RewardStore({str(self.path)!r})"

    def __getstate__(self) -> dict[str, object]:
        return {"path": str(self.path), "timeout": self.timeout}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["path"], state["timeout"])  # type: ignore[misc]

    # -- reading -------------------------------------------------------------------------------
    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot read reward store {self.path}: {exc}") from exc

    def _row(self, row: tuple) -> Evaluation:
        try:
            return self._parse_row(row)
        except (ValueError, TypeError) as exc:
            raise StoreError(
                f"reward store {self.path} holds a damaged row {row[:6]}: {exc}"
            ) from exc

    @staticmethod
    def _parse_row(row: tuple) -> Evaluation:
        key = EvaluationKey(*row[:5], int(row[5]))
        return Evaluation(
            key,
            float(row[6]),
            json.loads(row[7]),
            json.loads(row[8]),
            json.loads(row[9]),
            float(row[10]),
            str(row[11]),
            tuple(tuple(p) for p in json.loads(row[12])),
            None if row[13] is None else float(row[13]),
        )

    def get(self, key: EvaluationKey) -> Evaluation | None:
        """The stored evaluation of ``key``, or ``None``."""
        where = " AND ".join(f"{f} = ?" for f in _KEY_FIELDS)
        rows = self._query(
            f"SELECT {', '.join(_COLUMNS)} FROM evaluations WHERE {where}", key.values()
        )
        return self._row(rows[0]) if rows else None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, EvaluationKey) and self.get(key) is not None

    def __len__(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM evaluations")[0][0])

    def missing(self, keys: Iterable[EvaluationKey]) -> list[EvaluationKey]:
        """The keys of ``keys`` not in the store, in order (duplicates dropped)."""
        have = {tuple(r) for r in self._query(f"SELECT {', '.join(_KEY_FIELDS)} FROM evaluations")}
        out, seen = [], set()
        for k in keys:
            v = k.values()
            if v not in have and v not in seen:
                seen.add(v)
                out.append(k)
        return out

    def evaluations(self, **where: object) -> list[Evaluation]:
        """Every evaluation whose key fields (or ``backbone``) equal ``where`` (e.g.
        ``task="digits"``)."""
        fields = [*_KEY_FIELDS, "backbone"]
        unknown = set(where) - set(fields)
        if unknown:
            raise ValueError(f"unknown key fields {sorted(unknown)}; fields: {fields}")
        clause = " AND ".join(f"{f} = ?" for f in where) or "1"
        rows = self._query(
            f"SELECT {', '.join(_COLUMNS)} FROM evaluations WHERE {clause} "
            f"ORDER BY {', '.join(_KEY_FIELDS)}",
            list(where.values()),
        )
        return [self._row(r) for r in rows]

    def __iter__(self) -> Iterator[Evaluation]:
        return iter(self.evaluations())

    def datasets(self, task: str) -> set[str]:
        """The datasets (``details["dataset"]``, a dataset spec string) that the stored
        evaluations of ``task`` were measured on; empty if none recorded one."""
        rows = self._query("SELECT DISTINCT details FROM evaluations WHERE task = ?", [task])
        found = {json.loads(r[0]).get("dataset") for r in rows}
        return {str(d) for d in found if d is not None}

    def simulator_versions(self, simulator: str) -> set[str]:
        """The versions of simulator ``simulator`` whose measurements the store holds."""
        rows = self._query(
            "SELECT DISTINCT simulator_version FROM evaluations WHERE simulator = ?", [simulator]
        )
        return {str(r[0]) for r in rows}

    def check_simulator(self, simulator: str, version: str, same_images: Iterable[str] = ()) -> int:
        """Raise :class:`StoreError` if the store holds measurements of another version of
        ``simulator``: a live run on it would re-measure everything and mix two renderers.

        ``same_images``: earlier versions recorded with this version's images (the embedded
        simulator's code versions, :attr:`~t2s_env.simulator.EmbeddedSimulator.version_aliases`):
        their measurements are relabelled to ``version``, so they are found, never recomputed.
        Returns how many were relabelled."""
        aliases = {str(v) for v in same_images} - {str(version)}
        found = self.simulator_versions(simulator) - {str(version)}
        relabelled = sum(
            self.relabel_simulator_version(simulator, v, version) for v in aliases & found
        )
        other = sorted(found - aliases)
        if other:
            raise StoreError(
                f"reward store {self.path} holds measurements of simulator {simulator!r} "
                f"version {other[0]}, not {version} (another version renders other images; "
                f"t2s_env/data/simulator_versions.json records which versions render the same); "
                f"use another store (--store NEW.sqlite) for version {version}"
            )
        return relabelled

    def relabel_simulator_version(self, simulator: str, old: str, new: str) -> int:
        """Give the measurements (and claims) of ``simulator`` version ``old`` the version
        ``new`` (both render the same images); a cell measured under both keeps ``new``'s row.
        Returns how many measurements were relabelled."""
        with self._transaction() as cur:
            args = [str(new), simulator, str(old)]
            where = "WHERE simulator = ? AND simulator_version = ?"
            cur.execute(f"UPDATE OR IGNORE evaluations SET simulator_version = ? {where}", args)
            n = cur.rowcount
            cur.execute(f"UPDATE OR IGNORE claims SET simulator_version = ? {where}", args)
        return int(n)

    def check_dataset(self, task: str, dataset: str) -> None:
        """Raise :class:`StoreError` if the store holds evaluations of ``task`` measured on
        another dataset than ``dataset``: results are keyed by task name, so a second dataset
        under the same name would silently read the first one's rewards."""
        other = sorted(self.datasets(task) - {str(dataset)})
        if other:
            raise DatasetBindingError(
                f"reward store {self.path} already holds evaluations of task {task!r} measured "
                f"on dataset {other[0]!r}, not {str(dataset)!r}; give this dataset another task "
                f"name (tasks={{'new-name': spec}}) or use another store"
            )

    # -- writing -------------------------------------------------------------------------------
    def put(self, evaluation: Evaluation, dataset: str | None = None) -> bool:
        """Store ``evaluation`` in its own transaction; ``False`` if its key was already there.

        ``dataset`` (default: ``details["dataset"]``) is checked against the task's stored
        dataset inside the transaction, so two writers naming different datasets under one
        task name cannot both succeed: the second gets :class:`DatasetBindingError`. A claim on
        the key is released.
        """
        e = evaluation
        details = dict(e.details)
        if dataset is not None:
            details.setdefault("dataset", str(dataset))
        dataset = details.get("dataset")
        row = (
            *e.key.values(),
            float(e.accuracy),
            json.dumps(e.timings, sort_keys=True),
            json.dumps(e.versions, sort_keys=True),
            json.dumps(details, sort_keys=True, default=str),
            float(e.created or time.time()),
            str(e.backbone),
            json.dumps([list(p) for p in e.curve]),
            None if e.cpu_seconds is None else float(e.cpu_seconds),
        )
        try:
            with self._transaction() as cur:
                if dataset is not None:
                    self._check_binding(cur, e.key.task, str(dataset))
                cur.execute(
                    f"INSERT OR IGNORE INTO evaluations ({', '.join(_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(_COLUMNS))})",
                    row,
                )
                stored = cur.rowcount == 1
                where = " AND ".join(f"{f} = ?" for f in _KEY_FIELDS)
                cur.execute(f"DELETE FROM claims WHERE {where}", e.key.values())
                return stored
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write to reward store {self.path}: {exc}") from exc

    # -- dataset binding and claims (concurrent sweeps share the work) ---------------------------
    def _check_binding(self, cur: sqlite3.Cursor, task: str, dataset: str, owner: str = "") -> None:
        """Inside a transaction: refuse ``dataset`` for ``task`` if the store's evaluations of
        ``task``, or live claims of other owners, name another dataset."""
        found = {
            r[0]
            for r in cur.execute(
                "SELECT DISTINCT json_extract(details, '$.dataset') FROM evaluations "
                "WHERE task = ?",
                (task,),
            )
            if r[0] is not None
        }
        found |= {
            r[0]
            for r in cur.execute(
                "SELECT DISTINCT dataset FROM claims WHERE task = ? AND owner != ? "
                "AND dataset IS NOT NULL AND expires > ?",
                (task, owner, time.time()),
            )
        }
        other = sorted(found - {dataset})
        if other:
            raise DatasetBindingError(
                f"reward store {self.path} holds task {task!r} for dataset {other[0]!r}, not "
                f"{dataset!r} (refused); give this dataset another task name or use another store"
            )

    def claim(
        self,
        key: EvaluationKey,
        owner: str,
        dataset: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        now: float | None = None,
    ) -> str:
        """Claim ``key`` for ``owner`` to compute, for ``lease_seconds``. Returns ``"claimed"``
        (compute it), ``"done"`` (the store has it) or ``"busy"`` (another owner's live claim).

        An expired claim, or one whose owner process on this host is gone, is taken over.
        ``dataset`` is checked like :meth:`put` checks it (:class:`DatasetBindingError`)."""
        now = time.time() if now is None else float(now)
        where = " AND ".join(f"{f} = ?" for f in _KEY_FIELDS)
        try:
            with self._transaction() as cur:
                if dataset is not None:
                    self._check_binding(cur, key.task, str(dataset), owner)
                if cur.execute(f"SELECT 1 FROM evaluations WHERE {where}", key.values()).fetchone():
                    return "done"
                held = cur.execute(
                    f"SELECT owner, expires FROM claims WHERE {where}", key.values()
                ).fetchone()
                if held and held[0] != owner and held[1] > now and not _owner_is_dead(held[0]):
                    return "busy"
                cur.execute(
                    "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*key.values(), dataset, owner, now + float(lease_seconds)),
                )
                return "claimed"
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write to reward store {self.path}: {exc}") from exc

    def renew(self, owner: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> int:
        """Extend every claim of ``owner`` by ``lease_seconds`` from now; returns how many."""
        return self._claims_update(
            "UPDATE claims SET expires = ? WHERE owner = ?", (time.time() + lease_seconds, owner)
        )

    def release(self, owner: str, key: EvaluationKey | None = None) -> int:
        """Drop ``owner``'s claim on ``key`` (all its claims if ``None``); returns how many."""
        if key is None:
            return self._claims_update("DELETE FROM claims WHERE owner = ?", (owner,))
        where = " AND ".join(f"{f} = ?" for f in _KEY_FIELDS)
        return self._claims_update(
            f"DELETE FROM claims WHERE owner = ? AND {where}", (owner, *key.values())
        )

    def claims(self) -> list[tuple[EvaluationKey, str, float]]:
        """Every claim: ``(key, owner, expires)``."""
        rows = self._query(f"SELECT {', '.join(_KEY_FIELDS)}, owner, expires FROM claims")
        return [(EvaluationKey(*r[:5], int(r[5])), r[6], float(r[7])) for r in rows]

    def _claims_update(self, sql: str, params: Sequence[object]) -> int:
        try:
            with self._transaction() as cur:
                cur.execute(sql, params)
                return cur.rowcount
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write to reward store {self.path}: {exc}") from exc

    # -- task embeddings -------------------------------------------------------------------------
    def get_embedding(self, task: str, method: str) -> np.ndarray | None:
        """A cached Task2Vec vector of ``task`` made by ``method`` (a description string)."""
        rows = self._query(
            "SELECT vector FROM embeddings WHERE task = ? AND method = ?", (task, method)
        )
        if not rows:
            return None
        blob = rows[0][0]
        if not isinstance(blob, bytes) or len(blob) % 4:
            raise StoreError(f"reward store {self.path}: the embedding of {task!r} is damaged")
        return np.frombuffer(blob, dtype=np.float32).copy()

    def put_embedding(
        self, task: str, method: str, vector: np.ndarray, meta: dict[str, object] | None = None
    ) -> None:
        """Cache ``task``'s vector made by ``method`` (the first one stored stays)."""
        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        try:
            with self._transaction() as cur:
                cur.execute(
                    "INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?, ?)",
                    (task, method, blob, json.dumps(meta or {}, sort_keys=True, default=str)),
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write to reward store {self.path}: {exc}") from exc

    # -- export --------------------------------------------------------------------------------
    def to_reward_table(
        self,
        space: KnobSpace,
        *,
        recipe: str,
        simulator: str | None = None,
        simulator_version: str | None = None,
        tasks: Sequence[str] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> RewardTable:
        """The measurements as a :class:`~t2s_env.data.RewardTable` (accuracies in percent).

        Every task must have every configuration of ``space`` measured (for at least one of
        ``seeds``; several seeds are averaged); otherwise :class:`ValueError` says which cells are
        missing. ``recipe`` is a recipe id (``name@hash``) or a preset name when the store holds
        only one version of it; ``simulator`` (and its version) must be given when the store holds
        several.
        """
        rows = self.evaluations()
        recipes = sorted(
            {e.key.recipe for e in rows if recipe in (e.key.recipe, e.key.recipe.split("@")[0])}
        )
        if not recipes:
            raise ValueError(f"no evaluations with recipe {recipe!r} in {self.path}")
        if len(recipes) > 1:
            raise ValueError(f"recipe {recipe!r} matches several recipe ids {recipes}; pick one")
        rows = [e for e in rows if e.key.recipe == recipes[0]]
        sims = sorted(
            {(e.key.simulator, e.key.simulator_version) for e in rows}
            if simulator is None
            else {
                (e.key.simulator, e.key.simulator_version)
                for e in rows
                if e.key.simulator == simulator
                and (simulator_version is None or e.key.simulator_version == simulator_version)
            }
        )
        if len(sims) != 1:
            raise ValueError(
                f"pick one simulator (and version) to export; the store has {sims or 'none'}"
            )
        rows = [e for e in rows if (e.key.simulator, e.key.simulator_version) == sims[0]]
        if seeds is not None:
            rows = [e for e in rows if e.key.seed in set(seeds)]
        tasks = tuple(tasks) if tasks is not None else tuple(sorted({e.key.task for e in rows}))
        if not tasks:
            raise ValueError(f"no evaluations to export from {self.path}")
        keys = space.all_keys()
        col = {k: i for i, k in enumerate(keys)}
        row_of = {t: i for i, t in enumerate(tasks)}
        total = np.zeros((len(tasks), len(keys)))
        count = np.zeros((len(tasks), len(keys)))
        for e in rows:
            if e.key.task in row_of and e.key.config in col:
                total[row_of[e.key.task], col[e.key.config]] += e.accuracy
                count[row_of[e.key.task], col[e.key.config]] += 1
        if np.any(count == 0):
            missing = {
                t: int(np.sum(count[i] == 0)) for t, i in row_of.items() if np.any(count[i] == 0)
            }
            raise ValueError(
                f"cannot export a full table: missing configurations per task {missing} "
                f"(of {len(keys)}); run `t2s sweep` for them"
            )
        return RewardTable(tasks, tuple(keys), 100.0 * total / count)


def versions() -> dict[str, str]:
    """Versions of the software a measurement depends on."""
    import platform
    from importlib import metadata

    import torch
    import torchvision

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "t2s_env": metadata.version("task2sim-gym"),
        "cuda": str(torch.version.cuda),
    }


__all__ = [
    "DatasetBindingError",
    "Evaluation",
    "EvaluationKey",
    "RewardStore",
    "StoreError",
    "new_owner",
    "versions",
]
