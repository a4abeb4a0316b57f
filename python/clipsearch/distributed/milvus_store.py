"""MilvusStore: a clipsearch collection in Milvus (Milvus Lite's file or a Milvus server):
the schema, the model it was made with, its vector index, rows written by id (upsert, so
writing a shard twice never duplicates an image) and what search reads back.

    store = MilvusStore("photos.db", "photos")          # or "http://host:19530"
    store.create(dim=512, model={"name": "clip-vit-base-patch32", "precision": "f32"})
    store.upsert(rows)                                  # rows: milvus_rows.py
    store.count()

Thread-safety: pymilvus' client may be shared between threads. The schema is in
docs/DISTRIBUTED.md."""
import json
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence

from ..errors import CatalogError, QueryError, UnavailableError
from . import milvus_index, milvus_rows
from .milvus_rows import row_id  # noqa: F401  (part of the store's interface)

MODEL_PROPERTY = "clipsearch.model"
VECTOR_FIELD = "embedding"
OUTPUT_FIELDS = ["path", "size", "mtime_ns", "taken_ns", "width", "height", "format", "camera"]


def _milvus():
    try:
        import pymilvus
        return pymilvus
    except ImportError as e:
        raise QueryError("clipsearch.distributed needs pymilvus (pip install "
                         "'clipsearch[distributed]')", "unsupported") from e


class MilvusStore:
    """One collection. uri: a Milvus Lite file (*.db, made when missing) or http(s)://host:port
    of a Milvus server (token: "user:password" or an API key)."""

    def __init__(self, uri: str, collection: str, *, token: str = "") -> None:
        pymilvus = _milvus()
        if not collection or not isinstance(collection, str):
            raise QueryError("collection: a name is needed", "invalid argument")
        self.uri, self.collection = uri, collection
        try:
            self._client = pymilvus.MilvusClient(uri, token=token)
        except Exception as e:  # pymilvus raises several kinds for an unreachable server
            raise UnavailableError(f"{uri}: cannot reach Milvus ({e})", "unavailable") from e
        self._loaded = False
        self._info: Optional[Dict[str, Any]] = None

    # -- creation ---------------------------------------------------------------------------

    def create(self, dim: int, model: dict, *, index: str = "auto",
               expected_rows: int = 0) -> None:
        """Makes the collection for embeddings of `dim` values from `model` (recorded; a dict
        such as {"name", "precision"}), with the index milvus_index.choose() gives for
        expected_rows. Idempotent; an existing collection of another dim or model is refused
        (CatalogError naming both)."""
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise QueryError(f"dim={dim!r}: expected a positive int", "invalid argument")
        recorded = dict(model, embed_dim=dim)
        if self._client.has_collection(self.collection):
            existing = self.model()
            if existing != recorded:
                raise CatalogError(
                    f"{self.uri}: collection '{self.collection}' holds embeddings of "
                    f"{json.dumps(existing, sort_keys=True)}, not of "
                    f"{json.dumps(recorded, sort_keys=True)}", "invalid argument")
            return
        kind = milvus_index.choose(index, expected_rows)
        pymilvus = _milvus()
        self._client.create_collection(
            self.collection, schema=self._schema(pymilvus.DataType, dim),
            index_params=self._index_params(kind, expected_rows),
            properties={MODEL_PROPERTY: json.dumps(recorded, sort_keys=True)},
            consistency_level="Strong")
        self._loaded, self._info = True, None

    def _schema(self, types, dim: int):
        schema = _milvus().MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", types.INT64, is_primary=True)
        schema.add_field("path", types.VARCHAR, max_length=milvus_rows.MAX_PATH_BYTES)
        schema.add_field(VECTOR_FIELD, types.FLOAT_VECTOR, dim=dim)
        for name in milvus_rows.INT_FIELDS:
            schema.add_field(name, types.INT64)
        schema.add_field("format", types.VARCHAR, max_length=milvus_rows.MAX_FORMAT_BYTES)
        schema.add_field("camera", types.VARCHAR, max_length=milvus_rows.MAX_CAMERA_BYTES)
        schema.add_field("color", types.ARRAY, element_type=types.FLOAT,
                         max_capacity=milvus_rows.COLOR_VALUES)
        return schema

    def _index_params(self, kind: str, expected_rows: int):
        params = self._client.prepare_index_params()
        params.add_index(VECTOR_FIELD, index_name=VECTOR_FIELD,
                         **milvus_index.build_params(kind, expected_rows))
        return params

    def set_index(self, index: str = "auto") -> str:
        """Rebuilds the vector index for the rows there are now ("auto": by count()); returns
        the kind built."""
        rows = self.count()
        kind = milvus_index.choose(index, rows)
        self._require()
        self._client.release_collection(self.collection)
        self._client.drop_index(self.collection, VECTOR_FIELD)
        try:
            self._client.create_index(self.collection, self._index_params(kind, rows))
        except Exception:  # a long build: pymilvus may retry a call the server already took
            if self._built_kind() != kind:
                raise
        while self._client.describe_index(self.collection, VECTOR_FIELD).get("state") not in (
                None, "Finished"):
            time.sleep(1)
        self._client.load_collection(self.collection)
        self._info = None
        return kind

    def _built_kind(self) -> str:
        try:
            return str(self._client.describe_index(self.collection, VECTOR_FIELD)
                       ["index_type"]).lower()
        except Exception:
            return ""

    # -- what it holds ----------------------------------------------------------------------

    def _require(self) -> None:
        if not self._client.has_collection(self.collection):
            raise CatalogError(f"{self.uri}: no collection '{self.collection}'", "not found")

    def _ready(self) -> None:
        """Loads the collection into memory (a reopened one is 'released')."""
        if not self._loaded:
            self._require()
            self._client.load_collection(self.collection)
            self._loaded = True

    def model(self) -> dict:
        """What create() recorded: the model (name, precision, ...) and embed_dim."""
        self._require()
        props = self._client.describe_collection(self.collection).get("properties", {})
        if MODEL_PROPERTY not in props:
            raise CatalogError(f"{self.uri}: collection '{self.collection}' was not made by "
                               "clipsearch (no model recorded)", "corruption")
        return json.loads(props[MODEL_PROPERTY])

    def index_info(self) -> Dict[str, Any]:
        """{"kind": "flat" | "ivf_flat" | "hnsw" | "diskann", "nlist": int} of the vector
        index."""
        if self._info is None:
            self._require()
            described = self._client.describe_index(self.collection, VECTOR_FIELD)
            self._info = {"kind": str(described["index_type"]).lower(),
                          "nlist": int(described.get("nlist", 0) or 0)}
        return self._info

    def count(self) -> int:
        self._ready()
        return self.count_where("")

    def count_where(self, expr: str) -> int:
        """Rows that pass a Milvus boolean expression ("" = all)."""
        self._ready()
        rows = self._client.query(self.collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    # -- writing ----------------------------------------------------------------------------

    def upsert(self, rows: Sequence[Dict[str, Any]]) -> int:
        """Writes rows (replacing those of the same paths); returns how many. QueryError names
        the first bad row; CatalogError if two different paths share an id."""
        dim = int(self.model()["embed_dim"])
        entities = [milvus_rows.to_entity(r, dim) for r in rows]
        if not entities:
            return 0
        self._check_ids(entities)
        self._ready()
        done = self._client.upsert(self.collection, entities)
        return int(done["upsert_count"])

    def flush(self) -> None:
        """Seals the rows written so far into indexed segments. Call it after a bulk load:
        Milvus searches rows still in growing segments without the index, with filters by a
        slow path (Milvus Lite: about 0.5 s a search at 2,000 fresh rows, 20 ms sealed)."""
        self._require()
        self._client.flush(self.collection)

    def _check_ids(self, entities: List[Dict[str, Any]]) -> None:
        """Refuses a batch where two paths meet at one id (53 bits: unlikely below ~10**8
        images, but then silently replacing another image would lose it)."""
        by_id: Dict[int, str] = {}
        for e in entities:
            other = by_id.setdefault(e["id"], e["path"])
            if other != e["path"]:
                self._collision(e["id"], other, e["path"])
        for row in self.get(list(by_id), ["path"]):
            if row["path"] != by_id[row["id"]]:
                self._collision(row["id"], row["path"], by_id[row["id"]])

    def _collision(self, id_: int, a: str, b: str) -> None:
        raise CatalogError(f"{self.uri}: '{a}' and '{b}' have the same id {id_}: rename one",
                           "already exists")

    # -- reading ----------------------------------------------------------------------------

    def get(self, ids: Sequence[int], fields: Sequence[str]) -> List[Dict[str, Any]]:
        """The rows of these ids that exist (id and `fields`)."""
        if not ids:
            return []
        self._ready()
        return list(self._client.get(self.collection, ids=list(ids), output_fields=list(fields)))

    def query(self, expr: str, fields: Sequence[str], limit: int) -> List[Dict[str, Any]]:
        self._ready()
        return list(self._client.query(self.collection, filter=expr,
                                       output_fields=list(fields), limit=limit))

    def scan(self, expr: str, fields: Sequence[str],
             batch: int = 10_000) -> Iterator[Dict[str, Any]]:
        """Every row passing `expr` ("" = all), `batch` at a time from Milvus."""
        self._ready()
        it = self._client.query_iterator(self.collection, batch_size=batch, filter=expr,
                                         output_fields=list(fields))
        try:
            while True:
                rows = it.next()
                if not rows:
                    return
                yield from rows
        finally:
            it.close()

    def search(self, vector: Sequence[float], expr: str, limit: int) -> List[Dict[str, Any]]:
        """The `limit` best rows by inner product with `vector` among those passing `expr`:
        dicts of id, score and OUTPUT_FIELDS, best first."""
        self._ready()
        info = self.index_info()
        found = self._client.search(
            self.collection, [list(map(float, vector))], filter=expr, limit=limit,
            output_fields=OUTPUT_FIELDS,
            search_params=milvus_index.search_params(info["kind"], limit, info["nlist"]))
        return [dict(h["entity"], id=int(h["id"]), score=float(h["distance"])) for h in found[0]]

    def drop(self) -> None:
        self._client.drop_collection(self.collection)
        self._loaded, self._info = False, None

    def close(self) -> None:
        self._client.close()
