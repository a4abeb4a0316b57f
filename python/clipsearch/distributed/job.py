"""An indexing job's state folder, what makes a job resumable:

    job.json                    what the job indexes and how (model, precision, decoding,
                                locations, sink, shard size); a restart must match it
    files.parquet               the listing fixed by the first run: path, size, mtime_ns, shard
    done/shard_<i>.json         shard i is written to the sink (rows, failures, not images)
    failures/failures_<i>.parquet   path, error: the files of shard i that could not be read,
                                with the messages `clipsearch index` records

A shard's output is written (atomically, or as upserts keyed by path) before its done file, so
a job killed at any point and started again writes every image exactly once."""
import json
import os
from typing import Any, Dict, List, Sequence, Set, Tuple

from ..errors import QueryError
from .listing import ListedFile

_VERSION = 1


def _write_atomic(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Job:
    def __init__(self, folder: str, settings: Dict[str, Any], shards: List[List[ListedFile]]):
        self.folder = folder
        self.settings = settings
        self.shards = shards

    @classmethod
    def open(cls, folder: str, settings: Dict[str, Any], listing, shard_size: int) -> "Job":
        """The job recorded in `folder` (its settings must equal `settings`), else a new one
        over `listing()`'s files cut into shards of `shard_size`."""
        settings = dict(settings, shard_size=shard_size, version=_VERSION)
        recorded = os.path.join(folder, "job.json")
        if os.path.exists(recorded):
            with open(recorded, encoding="utf-8") as f:
                before = json.load(f)
            _check_same(folder, before, settings)
            return cls(folder, before, _read_shards(os.path.join(folder, "files.parquet")))
        files = listing()
        shards = [files[i:i + shard_size] for i in range(0, len(files), shard_size)]
        for sub in ("done", "failures"):
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
        _write_shards(os.path.join(folder, "files.parquet"), shards)
        _write_atomic(recorded, json.dumps(settings, indent=1).encode())
        return cls(folder, settings, shards)

    def done(self) -> Set[int]:
        names = os.listdir(os.path.join(self.folder, "done"))
        return {int(n[6:-5]) for n in names if n.startswith("shard_") and n.endswith(".json")}

    def mark_done(self, shard: int, summary: Dict[str, int]) -> None:
        _write_atomic(os.path.join(self.folder, "done", f"shard_{shard}.json"),
                      json.dumps(dict(summary, shard=shard)).encode())

    def write_failures(self, shard: int, failures: Sequence[Tuple[str, str]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        path = os.path.join(self.folder, "failures", f"failures_{shard}.parquet")
        table = pa.table({"path": [p for p, _ in failures], "error": [e for _, e in failures]},
                         schema=pa.schema([("path", pa.string()), ("error", pa.string())]))
        pq.write_table(table, path + ".tmp")
        os.replace(path + ".tmp", path)

    def failures(self) -> List[Tuple[str, str]]:
        """(path, message) of every file that failed, in shard order."""
        import pyarrow.parquet as pq
        out: List[Tuple[str, str]] = []
        for shard in sorted(self.done()):
            path = os.path.join(self.folder, "failures", f"failures_{shard}.parquet")
            if os.path.exists(path):
                t = pq.read_table(path)
                out += list(zip(t.column("path").to_pylist(), t.column("error").to_pylist()))
        return out

    def summaries(self) -> List[Dict[str, int]]:
        out = []
        for shard in sorted(self.done()):
            with open(os.path.join(self.folder, "done", f"shard_{shard}.json")) as f:
                out.append(json.load(f))
        return out


def _check_same(folder: str, before: Dict[str, Any], now: Dict[str, Any]) -> None:
    for key in sorted(set(before) | set(now)):
        if before.get(key) != now.get(key):
            raise QueryError(
                f"{folder}: this job was started with {key}={before.get(key)!r}, now "
                f"{key}={now.get(key)!r}; restart it with the same options, or write to "
                f"another output", "invalid argument")


def _write_shards(path: str, shards: List[List[ListedFile]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = [(f, i) for i, shard in enumerate(shards) for f in shard]
    table = pa.table({"path": pa.array([f.path for f, _ in rows], pa.string()),
                      "size": pa.array([f.size for f, _ in rows], pa.int64()),
                      "mtime_ns": pa.array([f.mtime_ns for f, _ in rows], pa.int64()),
                      "shard": pa.array([i for _, i in rows], pa.int64())})
    pq.write_table(table, path + ".tmp")
    os.replace(path + ".tmp", path)


def _read_shards(path: str) -> List[List[ListedFile]]:
    import pyarrow.parquet as pq
    t = pq.read_table(path).to_pydict()
    shards: List[List[ListedFile]] = []
    for p, size, mtime, shard in zip(t["path"], t["size"], t["mtime_ns"], t["shard"]):
        while len(shards) <= shard:
            shards.append([])
        shards[shard].append(ListedFile(p, size, mtime))
    return shards
