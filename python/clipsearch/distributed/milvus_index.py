"""Which vector index a clipsearch Milvus collection gets, and how it is searched.

By size (docs/DISTRIBUTED.md has the figures behind the thresholds):
- FLAT up to EXACT_MAX_ROWS: every row scored, the answers of the local exact search (which
  clipsearch itself uses up to 200,000 rows); bench/RESULTS.md measures it at 100,000.
- HNSW up to HNSW_MAX_ROWS: a graph in memory (vectors + about 2 * M links a row); recall@10
  close to 1 at ef = 128.
- DISKANN above: the graph and the full vectors on disk, PQ codes in memory. Milvus Lite 3.2.2
  accepts FLAT, IVF_FLAT, IVF_SQ8, IVF_PQ, HNSW and DISKANN (each created and searched by
  tests_distributed/test_milvus_store.py); a Milvus cluster needs its query nodes' local disk
  for DISKANN.
"""
import math
from typing import Any, Dict

from ..errors import QueryError

EXACT_MAX_ROWS = 100_000
HNSW_MAX_ROWS = 50_000_000
KINDS = ("flat", "ivf_flat", "hnsw", "diskann")
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
HNSW_MIN_EF = 128
DISKANN_MIN_SEARCH_LIST = 128


def choose(index: str, expected_rows: int) -> str:
    """The index kind for `index` ("auto" or one of KINDS) and a collection of that size."""
    index = index.lower()
    if index == "auto":
        if expected_rows <= EXACT_MAX_ROWS:
            return "flat"
        return "hnsw" if expected_rows <= HNSW_MAX_ROWS else "diskann"
    if index not in KINDS:
        raise QueryError(f"index='{index}': expected 'auto', {', '.join(repr(k) for k in KINDS)}",
                         "invalid argument")
    return index


def build_params(kind: str, expected_rows: int) -> Dict[str, Any]:
    """The add_index() arguments of the embedding field (inner product: the rows are unit
    vectors, so it is the cosine clipsearch ranks by)."""
    if kind == "ivf_flat":
        nlist = int(min(65536, max(16, 4 * math.sqrt(max(expected_rows, 1)))))
        params: Dict[str, Any] = {"nlist": nlist}
    elif kind == "hnsw":
        params = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
    else:
        params = {}
    return {"index_type": kind.upper(), "metric_type": "IP", "params": params}


def search_params(kind: str, limit: int, nlist: int = 0) -> Dict[str, Any]:
    """search() parameters for a page that needs `limit` hits."""
    if kind == "hnsw":
        return {"metric_type": "IP", "params": {"ef": max(HNSW_MIN_EF, limit)}}
    if kind == "diskann":
        return {"metric_type": "IP", "params": {"search_list": max(DISKANN_MIN_SEARCH_LIST, limit)}}
    if kind == "ivf_flat":
        return {"metric_type": "IP", "params": {"nprobe": max(1, min(nlist, 32))}}
    return {"metric_type": "IP", "params": {}}
