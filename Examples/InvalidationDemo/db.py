"""The source of truth: a SQLite table of items.

Everything here is plain `sqlite3`; the cache never writes to it. A new
connection per call keeps it safe to use from the API's request threads.

    python3 db.py demo.db          # create the table and seed it (if missing)
    python3 db.py demo.db --reset  # start again from the seed rows
"""

import argparse
import contextlib
import sqlite3
import time

SEED_COUNT = 100

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    price_cents INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  REAL    NOT NULL
)
"""


@contextlib.contextmanager
def transaction(path):
    """A fresh connection, committed (or rolled back) and closed at the end."""
    conn = sqlite3.connect(path, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def init(path, reset=False):
    """Creates the table and, if it is empty, the seed rows."""
    with transaction(path) as conn:
        # WAL lets readers and the writer work at the same time.
        conn.execute("PRAGMA journal_mode=WAL")
        if reset:
            conn.execute("DROP TABLE IF EXISTS items")
        conn.execute(SCHEMA)
        if conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0:
            now = time.time()
            conn.executemany(
                "INSERT INTO items (id, name, price_cents, updated_at) VALUES (?, ?, ?, ?)",
                [(i, f"item {i}", 100 * i, now) for i in range(1, SEED_COUNT + 1)],
            )


def load_item(path, item_id, delay=0.0):
    """Reads one row as a dict, or None. `delay` makes the query artificially
    slow (seconds), so that a cache stampede is easy to see."""
    if delay > 0:
        time.sleep(delay)
    with transaction(path) as conn:
        row = conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    return dict(row) if row else None


def update_item(path, item_id, changes):
    """Applies `changes` (name and/or price_cents) and bumps the version.
    Returns the updated row, or None if there is no such item."""
    allowed = {k: changes[k] for k in ("name", "price_cents") if k in changes}
    assignments = "".join(f"{column} = :{column}, " for column in allowed)
    with transaction(path) as conn:
        cursor = conn.execute(
            f"UPDATE items SET {assignments}version = version + 1, updated_at = :now WHERE id = :id",
            {**allowed, "now": time.time(), "id": item_id},
        )
        if cursor.rowcount == 0:
            return None
        return dict(conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Create and seed the demo database.")
    parser.add_argument("path")
    parser.add_argument("--reset", action="store_true", help="drop the table first")
    args = parser.parse_args()
    init(args.path, reset=args.reset)
    print(f"{args.path}: {SEED_COUNT} items")
