"""A large catalog made fast, for the benchmarks of search and serve.

`clipsearch index` runs on a few real photos (so the catalog, its root and its model binding are
genuine), then the catalog grows to the wanted number of rows with synthetic normalized 512-d
embeddings written straight into SQLite (the search side cannot tell them from real ones), and
the generation is bumped as the indexer would. The first search after that rebuilds the vector
file from the catalog; later ones map it.
"""
import os
import sqlite3
import subprocess

import numpy as np

from index_bench import make_photos


def grow(db, count):
    con = sqlite3.connect(db)
    have = con.execute("SELECT COUNT(*) FROM images").fetchone()[0]
    root = con.execute("SELECT id FROM roots LIMIT 1").fetchone()[0]
    rng = np.random.default_rng(0)
    rows = []
    for i in range(have, count):
        v = rng.standard_normal(512).astype(np.float32)
        v /= np.linalg.norm(v)
        rows.append((f"/synthetic/{i:07d}.jpg".encode(), root, 1000, 0, os.urandom(32), 640, 480,
                     "jpeg", 0, "mtime", 0, None, v.tobytes(), 0))
    con.executemany(
        "INSERT INTO images(path, root_id, size, mtime_ns, hash, width, height, format, "
        "date_taken_ns, date_source, status, error, embedding, indexed_at_ns) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    con.commit()
    con.close()


def make_synthetic_index(cli, model, work, images, photos=4):
    """A fresh catalog WORK/index-IMAGES.db of `images` rows (a ViT-B/32-sized model: 512-d)."""
    photo_dir = os.path.join(work, "photos")
    make_photos(photo_dir, photos)
    db = os.path.join(work, f"index-{images}.db")
    for suffix in ("", "-wal", "-shm", ".vectors", ".hnsw"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    subprocess.run([cli, "index", photo_dir, "--db", db, "--model", model, "--quiet"], check=True)
    grow(db, images)
    return db
