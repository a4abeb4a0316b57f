"""Fixtures of the pipeline's tests: a generated library with its model (made by the reference
venv, make_fixture.py), what the single-machine clipsearch indexes from it, and a local Ray
cluster of a head and a worker node, each its own processes, started and stopped here."""
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PICTURES = 2000
OBJECT_STORE_BYTES = 150 * 1024 * 1024  # per node: the pictures are small


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """(model folder, library folder) of PICTURES pictures and three bad files."""
    base = tmp_path_factory.mktemp("distributed")
    model, pictures = str(base / "model"), str(base / "library")
    python = os.environ.get("CLIPSEARCH_REFERENCE_PYTHON", os.path.join(ROOT, ".venv", "bin",
                                                                        "python"))
    assert os.access(python, os.X_OK), f"{python}: the reference venv (scripts/setup.sh)"
    subprocess.run([python, os.path.join(os.path.dirname(__file__), "make_fixture.py"), model,
                    pictures, str(PICTURES)], check=True, capture_output=True)
    return model, pictures


@pytest.fixture(scope="module")
def local_index(library, tmp_path_factory):
    """What clipsearch index stores for the library (the same C++ indexer through the Python
    package): ({path: (Image, embedding)}, its report)."""
    import clipsearch
    model, pictures = library
    lib = clipsearch.Library(str(tmp_path_factory.mktemp("catalog") / "c.db"), model)
    report = lib.index([pictures])
    rows = {}
    for images, vectors in lib.embeddings():
        rows.update({im.path: (im, v) for im, v in zip(images, vectors)})
    return rows, report


@pytest.fixture(scope="module")
def cluster():
    """A head node (1 CPU) and a worker node (2 CPUs): raylets, object stores and worker
    processes of their own. Yields the Cluster; the test process is not connected to it."""
    from ray.cluster_utils import Cluster
    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "object_store_memory": OBJECT_STORE_BYTES, "include_dashboard": False})
    c.add_node(num_cpus=2, object_store_memory=OBJECT_STORE_BYTES)
    c.wait_for_nodes()
    yield c
    c.shutdown()


@pytest.fixture
def connected(cluster):
    import ray
    ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False)
    yield cluster
    ray.shutdown()


def raylet_pids(cluster):
    from ray._private import ray_constants
    pids = []
    for node in cluster.list_all_nodes():
        for info in node.all_processes.get(ray_constants.PROCESS_TYPE_RAYLET, []):
            pids.append(info.process.pid)
    return pids


def _children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


def worker_pids(cluster, title):
    """This cluster's worker processes (children of its raylets) whose title, which Ray sets to
    what the process runs, contains `title`: "MapWorker(MapBatches(Embedder))" for the
    embedding actors, "MapBatches(prepare_files)" for a decode task running."""
    pids = []
    for raylet in raylet_pids(cluster):
        for child in _children(raylet):
            try:
                with open(f"/proc/{child}/cmdline", "rb") as f:
                    if title.encode() in f.read():
                        pids.append(child)
            except OSError:
                continue
    return pids


def kill(pid):
    os.kill(pid, signal.SIGKILL)


def cosines(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def run_cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "clipsearch.distributed", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)
