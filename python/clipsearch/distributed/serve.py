"""The HTTP API and the web page of `clipsearch serve`, answered from a Milvus collection:
`python -m clipsearch.distributed serve --milvus URI --collection C --model M`.

A thin Python server over MilvusLibrary (pymilvus is Milvus' maintained client; the C++ server
has none it could test against Milvus Lite). The page, its script and openapi.json are the
ones embedded in the C++ module (_core.web_files()), thumbnails come from the C++
ThumbnailCache, the search parameters are read as the C++ server reads them (serve_params.py)
and the JSON is written as it writes it, so the page and clients work unchanged. Routes a
collection cannot answer (zero-shot, albums, duplicates, recommendations, jobs, rescans,
similarity, metrics) answer 501 {"error": "..."} naming the route; docs/DISTRIBUTED.md lists
them."""
import hmac
import json
import re
import sys
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

from .. import _core
from ..errors import CatalogError, ClipsearchError, ImageError, QueryError
from . import serve_answers, serve_params
from .milvus_library import MilvusLibrary
from .serve_params import ApiError

SECURITY_HEADERS = [
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
     "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
     "frame-ancestors 'none'; form-action 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
MAX_BODY = 32 * 1024 * 1024  # as `clipsearch serve --max-body` by default
PUBLIC = ("/", "/app.css", "/favicon.svg", "/healthz", "/api/openapi.json")


class App:
    """The routes over one MilvusLibrary. Thread-safe: each request only reads."""

    def __init__(self, library: MilvusLibrary, thumbnail_dir: str, token: str = "",
                 count_filtered: bool = True) -> None:
        self.library = library
        self.count_filtered = count_filtered
        self.thumbnails = _core.ThumbnailCache(thumbnail_dir)
        self.token = token
        self.started = time.monotonic()
        self.web = _core.web_files()
        self.routes: List[Tuple[str, re.Pattern, Callable]] = [
            ("GET", re.compile(r"/api/search"), self.search_get),
            ("POST", re.compile(r"/api/search"), self.search_post),
            ("GET", re.compile(r"/api/images/(?P<id>[^/]*)"), self.image_file),
            ("GET", re.compile(r"/api/thumbnails/(?P<id>[^/]*)"), self.thumbnail),
            ("GET", re.compile(r"/api/status"), self.status),
            ("GET", re.compile(r"/api/folders"), self.folders),
            ("GET", re.compile(r"/api/cameras"), self.cameras),
            ("GET", re.compile(r"/healthz"), lambda r: serve_answers.json_answer({"status": "ok"})),
            ("GET", re.compile(r"/api/openapi.json"), self.openapi),
            ("GET", re.compile(r"/(?P<name>|app\.css|favicon\.svg|js/[^/]+)"), self.static),
        ]
        self.unserved = _unserved_routes(json.loads(self.web["openapi.json"]), self.routes)

    # -- dispatch ---------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers, body: bytes) -> serve_answers.Answer:
        url = urlsplit(target)
        request = {"method": method, "path": url.path, "headers": headers, "body": body,
                   "query": parse_qsl(url.query, keep_blank_values=True)}
        try:
            route, params = self._route(method, url.path)
            if route is None:
                return params
            if not self._authorized(url.path, headers):
                return serve_answers.error(401, "missing or wrong bearer token")
            request.update(params)
            return route(request)
        except ApiError as e:
            return serve_answers.error(e.status, str(e))
        except ClipsearchError as e:
            return serve_answers.error(_status_of(e), str(e))

    def _route(self, method: str, path: str):
        allowed = []
        for m, pattern, fn in self.routes:
            match = pattern.fullmatch(path)
            if match:
                if m == method:
                    return fn, match.groupdict()
                allowed.append(m)
        for pattern, methods in self.unserved:
            if pattern.fullmatch(path) and method in methods:
                return None, serve_answers.error(
                    501, f"{method} {path}: not served from a Milvus collection (it needs the "
                    "local catalog: run clipsearch serve on it; docs/DISTRIBUTED.md)")
            if pattern.fullmatch(path):
                allowed += methods
        if allowed:
            return None, serve_answers.error(405, f"{method} is not allowed on {path}")
        return None, serve_answers.error(404, f"no such route: {path}")

    def _authorized(self, path: str, headers) -> bool:
        if not self.token or path in PUBLIC or path.startswith("/js/"):
            return True
        given = headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    # -- routes -----------------------------------------------------------------------------

    def search_get(self, r) -> serve_answers.Answer:
        return self._search(serve_params.from_pairs(r["query"]))

    def search_post(self, r) -> serve_answers.Answer:
        media = r["headers"].get("Content-Type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            return self._search(_multipart_query(r["headers"]["Content-Type"], r["body"]))
        if media not in ("", "application/json"):
            raise ApiError(415, "send application/json or multipart/form-data")
        return self._search(serve_params.from_json(r["body"]))

    def _search(self, q: Dict[str, Any]) -> serve_answers.Answer:
        start = time.monotonic()
        for unsupported in ("color", "color_weight"):
            if unsupported in q:
                raise QueryError(f"'{unsupported}': colour search is not served from a Milvus "
                                 "collection (docs/DISTRIBUTED.md)", "unsupported")
        if q.pop("sort", "score") != "score":
            raise QueryError("'sort': only 'score' is served from a Milvus collection "
                             "(docs/DISTRIBUTED.md)", "unsupported")
        rows, candidates, _ = self.library.search_rows(**q, count_filtered=self.count_filtered)
        return serve_answers.search(rows, candidates, (time.monotonic() - start) * 1000)

    def _image_row(self, r) -> Dict[str, Any]:
        id_ = serve_params.image_id(r.get("id", ""))
        if id_ is None:
            raise ApiError(400, "the image id must be a non-negative integer")
        return self.library.image(id_)

    def image_file(self, r) -> serve_answers.Answer:
        return serve_answers.image_file(self._image_row(r)["path"])

    def thumbnail(self, r) -> serve_answers.Answer:
        row = self._image_row(r)
        query = dict(r["query"])
        size = serve_params.image_id(query["size"]) if "size" in query else 256
        if size is None or size > 1 << 30 or not self.thumbnails.size_allowed(size):
            raise ApiError(400, "size must be one of " + self.thumbnails.allowed_sizes_text())
        return serve_answers.thumbnail(self.thumbnails, row, size,
                                       r["headers"].get("If-None-Match"))

    def status(self, r) -> serve_answers.Answer:
        store = self.library.store
        info = self.library.model.info
        devices = {"image": info["image_device"], "text": info["text_device"]}
        return serve_answers.json_answer(serve_answers.status(
            self.library.recorded, store.count(), store.index_info()["kind"],
            time.monotonic() - self.started, store.uri, store.collection, devices))

    def folders(self, r) -> serve_answers.Answer:
        return serve_answers.json_answer({"folders": serve_answers.folder_counts(
            self.library.store.scan("", ["path"]))})

    def cameras(self, r) -> serve_answers.Answer:
        return serve_answers.json_answer({"cameras": serve_answers.camera_counts(
            self.library.store.scan('camera != ""', ["camera"]))})

    def openapi(self, r) -> serve_answers.Answer:
        doc = json.loads(self.web["openapi.json"])
        doc.setdefault("info", {})["version"] = _core.version()
        return serve_answers.json_answer(doc)

    def static(self, r) -> serve_answers.Answer:
        name = r["name"] or "index.html"
        if name not in self.web:
            return serve_answers.error(404, f"no such file: {name}")
        return serve_answers.static(name, self.web[name], r["headers"].get("If-None-Match"))


def _status_of(e: ClipsearchError) -> int:
    if e.code == "unsupported":
        return 501
    if isinstance(e, CatalogError) and e.code == "not found":
        return 404
    if isinstance(e, (QueryError, ImageError)):
        return 400
    return 500


def _multipart_query(content_type: str, body: bytes) -> Dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise ApiError(400, "the multipart body cannot be read")
    pairs, image = [], None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if name == "image":
            if not data:
                raise ApiError(400, "the 'image' part is empty")
            image = data
        elif name:
            pairs.append((name, data.decode("utf-8", "replace")))
    q = serve_params.from_pairs(pairs)
    if image is not None:
        q["image"] = image
    return q


def _unserved_routes(openapi: Dict[str, Any], routes) -> List[Tuple[re.Pattern, List[str]]]:
    """The documented routes this server does not answer, with their methods."""
    out = []
    for path, item in openapi.get("paths", {}).items():
        pattern = re.compile(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)))
        methods = [m.upper() for m in item if m in ("get", "post", "put", "delete", "patch")]
        served = {m for m, p, _ in routes if p.fullmatch(path.replace("{", "").replace("}", ""))}
        rest = [m for m in methods if m not in served]
        if rest:
            out.append((pattern, rest))
    return out


class _Handler(BaseHTTPRequestHandler):
    app: App
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            answer = serve_answers.error(413, f"the request body is over {MAX_BODY} bytes")
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            answer = self.app.answer(self.command, self.path, self.headers, body)
        self.send_response(answer.status)
        for name, value in answer.headers + SECURITY_HEADERS:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_POST = do_DELETE = do_PUT = _serve

    def log_message(self, fmt: str, *args) -> None:
        if getattr(self.server, "verbose", False):
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))


def make_server(app: App, host: str, port: int) -> ThreadingHTTPServer:
    """A server on host:port (port 0: any free one, server.server_address says which)."""
    handler = type("Handler", (_Handler,), {"app": app})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def check_bind(host: str, token: str, no_auth: bool) -> Optional[str]:
    """As ServerConfig::validate: a non-loopback address needs a token (or --no-auth)."""
    if host in ("127.0.0.1", "localhost", "::1") or token or no_auth:
        return None
    return f"--host {host}: serving beyond this machine needs --token (or --no-auth)"
