"""clipsearch past one machine (issue 22): embeddings computed on a Ray cluster, vectors kept
and searched in Milvus (Milvus Lite's file on a laptop and in tests, a Milvus cluster in
production), with the answers of the single-machine tool. Install with
`pip install 'clipsearch[distributed]'`; docs/DISTRIBUTED.md describes it."""
from .catalog_rows import catalog_model, catalog_rows
from .milvus_library import MilvusLibrary
from .milvus_store import MilvusStore, row_id
from .pipeline import index
from .report import JobReport

__all__ = ["JobReport", "MilvusLibrary", "MilvusStore", "catalog_model", "catalog_rows", "index",
           "row_id"]
