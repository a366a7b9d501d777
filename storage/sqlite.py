"""The embedded store: one SQLite file in WAL mode, laid out like the DynamoDB table."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from storage.base import (
    Bound,
    Doc,
    Store,
    batches,
    bound_key,
    check_doc_key,
    check_finite,
    counter_id,
    decode_record,
    doc_key_fits,
    encode_record,
    partition_key,
    record_class,
)
from storage.records import Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
"""


class SqliteStore(Store):
    def __init__(self, path: str | Path, user: str = "me", busy_timeout_s: float = 30.0) -> None:
        super().__init__(user)
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_s = busy_timeout_s
        # One connection per thread: the dashboard's server is threaded, sqlite3 objects are not.
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._conn()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # --- records -------------------------------------------------------------------------
    def put(self, records: Iterable[Record]) -> int:
        written = 0
        for batch in batches(records):
            rows = []
            for record in batch:
                check_finite(record)
                pk = partition_key(self.user, record.KIND, record.series())
                rows.append((pk, record.sort_key(), encode_record(record)))
            self._write(
                "INSERT INTO items (pk, sk, data) VALUES (?, ?, ?) "
                "ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data",
                rows,
            )
            written += len(rows)
            self.calls["put_batch"] += 1
        return written

    def delete(self, kind: str, sort_keys: Iterable[str], series: str = "") -> int:
        record_class(kind)
        pk = partition_key(self.user, kind, series)
        asked = 0
        for batch in batches(sort_keys):
            self._write("DELETE FROM items WHERE pk = ? AND sk = ?", [(pk, sk) for sk in batch])
            asked += len(batch)
        return asked

    def query(
        self,
        kind: str,
        series: str = "",
        start: Bound = None,
        end: Bound = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Any]:
        record_class(kind)
        sql = ["SELECT data FROM items WHERE pk = ?"]
        args: list[Any] = [partition_key(self.user, kind, series)]
        low, high = bound_key(start), bound_key(end)
        if low is not None:
            sql.append("AND sk >= ?")
            args.append(low)
        if high is not None:
            sql.append("AND sk < ?")
            args.append(high)
        sql.append("ORDER BY sk DESC" if newest_first else "ORDER BY sk")
        if limit is not None:
            sql.append("LIMIT ?")
            args.append(limit)
        self.calls["query"] += 1
        rows = self._conn().execute(" ".join(sql), args).fetchall()
        return [decode_record(kind, row[0]) for row in rows]

    def count(self, kind: str, series: str = "") -> int:
        record_class(kind)
        row = (
            self._conn()
            .execute(
                "SELECT COUNT(*) FROM items WHERE pk = ?", (partition_key(self.user, kind, series),)
            )
            .fetchone()
        )
        return int(row[0])

    # --- documents -------------------------------------------------------------------------
    def _doc_pk(self, space: str) -> str:
        return f"{self.user}#doc:{space}"

    def get_doc(self, space: str, key: str) -> Doc | None:
        if not doc_key_fits(key):
            return None  # no document can have been stored under it
        row = (
            self._conn()
            .execute(
                "SELECT data, version FROM items WHERE pk = ? AND sk = ?",
                (self._doc_pk(space), key),
            )
            .fetchone()
        )
        return None if row is None else Doc(json.loads(row[0]), int(row[1]))

    def put_doc(
        self, space: str, key: str, data: dict[str, Any], expected_version: int | None = None
    ) -> bool:
        check_doc_key(key)
        pk, text = self._doc_pk(space), json.dumps(data, ensure_ascii=False)
        conn = self._conn()
        if expected_version is None:
            conn.execute(
                "INSERT INTO items (pk, sk, data, version) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data, version = version + 1",
                (pk, key, text),
            )
            return True
        if expected_version == 0:
            cur = conn.execute(
                "INSERT INTO items (pk, sk, data, version) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (pk, sk) DO NOTHING",
                (pk, key, text),
            )
        else:
            cur = conn.execute(
                "UPDATE items SET data = ?, version = version + 1 "
                "WHERE pk = ? AND sk = ? AND version = ?",
                (text, pk, key, expected_version),
            )
        return cur.rowcount == 1

    def delete_doc(self, space: str, key: str) -> None:
        self._conn().execute(
            "DELETE FROM items WHERE pk = ? AND sk = ?", (self._doc_pk(space), key)
        )

    def list_docs(self, space: str) -> dict[str, Doc]:
        rows = (
            self._conn()
            .execute(
                "SELECT sk, data, version FROM items WHERE pk = ? ORDER BY sk",
                (self._doc_pk(space),),
            )
            .fetchall()
        )
        return {sk: Doc(json.loads(data), int(version)) for sk, data, version in rows}

    # --- counters ------------------------------------------------------------------------------
    def _counter_key(self, key: str, window_s: int, now: float) -> tuple[str, str]:
        window_start = int(now // window_s) * window_s
        return f"{self.user}#counter", f"{counter_id(key)}#{window_start}"

    def hit(self, key: str, window_s: int, now: float) -> int:
        pk, sk = self._counter_key(key, window_s, now)
        conn = self._conn()
        row = conn.execute(
            "INSERT INTO items (pk, sk, data, version) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (pk, sk) DO UPDATE SET version = version + 1 RETURNING version",
            (pk, sk, json.dumps({"expires_at": int(now) + 2 * window_s})),
        ).fetchone()
        if int(row[0]) == 1:
            # A new window or a new key: expired counters go now (DynamoDB drops them by TTL),
            # so a flood of distinct names keeps the store bounded by what two windows hold.
            conn.execute(
                "DELETE FROM items WHERE pk = ? AND json_extract(data, '$.expires_at') < ?",
                (pk, int(now)),
            )
        return int(row[0])

    def peek(self, key: str, window_s: int, now: float) -> int:
        pk, sk = self._counter_key(key, window_s, now)
        row = (
            self._conn()
            .execute("SELECT version FROM items WHERE pk = ? AND sk = ?", (pk, sk))
            .fetchone()
        )
        return 0 if row is None else int(row[0])
