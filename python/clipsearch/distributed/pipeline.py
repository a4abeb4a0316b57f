"""clipsearch.distributed.index: a library indexed on a Ray cluster.

    listing (driver) -> prepare_files (CPU tasks) -> Embedder (actor pool) -> driver: shards
    complete -> sink (parquet parts or Milvus upserts) -> job manifest

The driver lists the files once and fixes them in the job's state folder, cut into shards
(job.py); a restarted job skips the shards recorded as done. Ray Data streams the pending files
through the two stages (stages.py) and retries the tasks and actors of workers that die; the
driver keeps each shard's rows by path, so a row computed twice is written once, and writes a
shard when all its files are back."""
import os
import socket
import sys
import time
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ..errors import QueryError, UnavailableError
from . import stages
from .job import Job
from .listing import list_files
from .report import JobReport
from .sinks import FACTS, MilvusSink, ParquetSink

_FILES_PER_BLOCK = 64  # a decode task's share: small enough to spread 2,000 files on a few cores


def index(paths: Sequence[str], *, model: str, output: Optional[str] = None,
          milvus: Optional[str] = None, collection: Optional[str] = None, token: str = "",
          state: Optional[str] = None, address: Optional[str] = None, batch_size: int = 32,
          actors: int = 1, cpus_per_actor: int = 1, precision: str = "f32",
          exif: str = "apply", decode: str = "exact", shard_size: int = 1000,
          progress: bool = True) -> JobReport:
    """Indexes the images under `paths` (local paths or pyarrow filesystem URIs) into parquet
    shards (`output`) or a Milvus collection (`milvus` URI + `collection`), on the Ray cluster at
    `address` (None: a local one started for the job; "auto": the running one). model,
    precision, exif and decode are clipsearch.Library's. Resumable: the job's state folder
    (`state`, by default beside the output) records finished shards."""
    _check_numbers(batch_size=batch_size, actors=actors, cpus_per_actor=cpus_per_actor,
                   shard_size=shard_size)
    if not paths:
        raise QueryError("no PATHS to index", "invalid argument")
    paths = [p if "://" in p else os.path.abspath(os.path.expanduser(p)) for p in paths]
    sink = _sink(output, milvus, collection, token)
    # A folder by its absolute path: Ray's workers do not share the driver's working directory,
    # and the Milvus collection records it for serving.
    if os.path.isdir(os.path.expanduser(model)):
        model = os.path.abspath(os.path.expanduser(model))
    import clipsearch
    info = clipsearch.Model.from_pretrained(model, precision=precision, exif=exif,
                                            decode=decode).info
    settings = {"model": model, "precision": precision, "exif": exif, "decode": decode,
                "locations": list(paths), "sink": sink.describe(),
                "embed_dim": int(info["embed_dim"])}
    listing: Dict[str, Any] = {}

    def list_now():
        files, listing["skipped"] = list_files(paths)
        if not files:
            why = ", ".join(f"{p}: {w}" for p, w in listing["skipped"].items())
            raise QueryError(f"no files to index under {', '.join(paths)} ({why})",
                             "not found")
        return files

    job = Job.open(state or sink.default_state(), settings, list_now, shard_size)
    sink.prepare(int(info["embed_dim"]), {"name": model, "precision": precision},
                 expected_rows=sum(len(s) for s in job.shards))
    started = time.monotonic()
    owns_ray = _connect(address)
    try:
        report = _run(job, sink, model, precision, exif, decode, batch_size, actors,
                      cpus_per_actor, progress)
        sink.finish()
    finally:
        if owns_ray:
            import ray
            ray.shutdown()
    report.seconds = time.monotonic() - started
    report.skipped_locations = listing.get("skipped", {})
    if progress:
        print(report.summary(), file=sys.stderr)
    return report


def _check_numbers(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or value < 1:
            raise QueryError(f"{name}={value!r}: expected a whole number of at least 1",
                             "invalid argument")


def _sink(output, milvus, collection, token):
    if (output is None) == (milvus is None):
        raise QueryError("give one of --output DIR (parquet) or --milvus URI", "invalid argument")
    if output is not None:
        return ParquetSink(output)
    if not collection:
        raise QueryError("--milvus needs --collection NAME", "invalid argument")
    return MilvusSink(milvus, collection, token)


def _connect(address: Optional[str]) -> bool:
    """Joins the cluster at `address`; True when this call started Ray (and ends it)."""
    import ray
    if ray.is_initialized():
        return False
    if address not in (None, "auto", "local"):
        _check_reachable(address)
    try:
        ray.init(address=address, logging_level="WARNING", log_to_driver=False,
                 configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise UnavailableError(f"--address {address}: cannot join the Ray cluster ({e})",
                               "unavailable") from e
    return True


def _check_reachable(address: str) -> None:
    """A quick TCP check, so an unreachable cluster fails in seconds, not after Ray's retries."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except (OSError, ValueError) as e:
        raise UnavailableError(f"--address {address}: cannot reach the Ray cluster ({e})",
                               "unavailable") from e


def _pending_dataset(job: Job, done: set):
    import pyarrow as pa
    import ray
    files = [(f, i) for i, shard in enumerate(job.shards) if i not in done for f in shard]
    tables = []
    for first in range(0, len(files), _FILES_PER_BLOCK):
        part = files[first:first + _FILES_PER_BLOCK]
        tables.append(pa.table({
            "path": pa.array([f.path for f, _ in part], pa.string()),
            "size": pa.array([f.size for f, _ in part], pa.int64()),
            "mtime_ns": pa.array([f.mtime_ns for f, _ in part], pa.int64()),
            "shard": pa.array([i for _, i in part], pa.int64())}))
    return ray.data.from_arrow(tables)


def _run(job: Job, sink, model, precision, exif, decode, batch_size, actors, cpus_per_actor,
         progress) -> JobReport:
    import ray
    done = job.done()
    report = JobReport(files=sum(len(s) for s in job.shards), shards=len(job.shards),
                       shards_skipped=len(done), state=job.folder, sink=sink.describe())
    if len(done) == len(job.shards):
        return report
    ray.data.DataContext.get_current().enable_progress_bars = progress
    dataset = _pending_dataset(job, done).map_batches(
        stages.prepare_files, batch_format="numpy", batch_size=None, num_cpus=1,
        fn_kwargs={"model": model, "exif": exif, "decode": decode},
        max_retries=-1).map_batches(
        stages.Embedder, batch_format="numpy", batch_size=batch_size, num_cpus=cpus_per_actor,
        compute=ray.data.ActorPoolStrategy(size=actors),
        fn_constructor_kwargs={"model": model, "precision": precision,
                               "threads": cpus_per_actor},
        max_restarts=-1, max_task_retries=-1)
    expected = {i: len(s) for i, s in enumerate(job.shards) if i not in done}
    rows: Dict[int, Dict[str, Dict[str, Any]]] = defaultdict(dict)
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        for row in _rows(batch):
            shard = row["shard"]
            rows[shard][row["path"]] = row
            report.decoded_by.add(row["decoded_by"])
            report.embedded_by.add(row["embedded_by"])
            if len(rows[shard]) == expected.get(shard, -1):
                _write_shard(job, sink, shard, rows.pop(shard), report)
                del expected[shard]
    if expected:  # a listing that changed under a restarted job cannot leave shards half-done
        raise UnavailableError(f"{job.folder}: shards {sorted(expected)} did not come back "
                               "whole from the cluster", "unavailable")
    return report


def _rows(batch: Dict[str, np.ndarray]):
    n = len(batch["path"])
    for i in range(n):
        row = {k: batch[k][i] for k in batch}
        for k in ("path", "outcome", "error", "format", "camera", "decoded_by", "embedded_by"):
            row[k] = str(row[k])
        for k in ("shard", "size", "mtime_ns", "width", "height", "taken_ns"):
            row[k] = int(row[k])
        yield row


def _write_shard(job: Job, sink, shard: int, by_path: Dict[str, Dict[str, Any]],
                 report: JobReport) -> None:
    ordered = [by_path[p] for p in sorted(by_path)]
    images = [r for r in ordered if r["outcome"] == "image"]
    failures = [(r["path"], r["error"]) for r in ordered if r["outcome"] == "failed"]
    vectors = np.stack([r["embedding"] for r in images]) if images else \
        np.zeros((0, job.settings["embed_dim"]), dtype=np.float32)
    sink.write(shard, [{k: r[k] for k in FACTS} for r in images], vectors)
    job.write_failures(shard, failures)
    summary = {"written": len(images), "failed": len(failures),
               "not_images": len(ordered) - len(images) - len(failures)}
    job.mark_done(shard, summary)
    report.add_shard(summary, failures)
