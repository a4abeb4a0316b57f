"""The HTTP API and the page served from a Milvus collection (python -m clipsearch.distributed
serve) answer as `clipsearch serve` on the local catalog the collection was filled from: the
same search JSON (ids aside: a collection's are row_id(path)) up to float tolerance, the same
thumbnails, page and facets; routes a collection cannot serve answer 501 naming the route."""
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid

import pytest

from clipsearch.distributed import (MilvusLibrary, MilvusStore, catalog_model, catalog_rows,
                                    row_id, serve)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _binary():
    binary = os.path.abspath(os.environ.get(
        "CLIPSEARCH_BINARY", os.path.join(ROOT, "build", "src", "cli", "clipsearch")))
    assert os.access(binary, os.X_OK), f"{binary}: build the CLI first (scripts/build.sh)"
    return binary


def _wait_for_address(process):
    said = []
    for line in process.stderr:
        m = re.search(r"on (http://[^ ]+/)", line)
        if m:
            return m.group(1).rstrip("/")
        said.append(line)
    raise AssertionError("the server stopped before saying where it listens: " + "".join(said))


@pytest.fixture(scope="module")
def collection(tmp_path_factory, local_library):
    db, _ = local_library
    uri = str(tmp_path_factory.mktemp("milvus") / "milvus.db")
    store = MilvusStore(uri, "photos")
    rows = [r for batch in catalog_rows(db) for r in batch]
    store.create(len(rows[0]["embedding"]), catalog_model(db), index="flat")
    store.upsert(rows)
    return uri, len(rows)


@pytest.fixture(scope="module")
def servers(tmp_path_factory, local_library, library_files, collection):
    """(local server's URL, Milvus server's URL): clipsearch serve on the catalog, and the
    Milvus-backed server (in this process, on a free port)."""
    db, _ = local_library
    local = subprocess.Popen([_binary(), "serve", "--db", db, "--port", "0", "--threads", "2",
                              "--thumbnail-dir", str(tmp_path_factory.mktemp("thumbs_local"))],
                             stderr=subprocess.PIPE, text=True)
    app = serve.App(MilvusLibrary(collection[0], "photos", library_files[0]),
                    str(tmp_path_factory.mktemp("thumbs_milvus")))
    server = serve.make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _wait_for_address(local), "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        local.terminate()
        local.wait(30)


def call(url, body=None, headers=None, method=None):
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def get_json(url, **kw):
    status, body, _ = call(url, **kw)
    return status, json.loads(body)


def assert_same_search(local, remote):
    assert remote["total"] == local["total"] and remote["score_kind"] == local["score_kind"]
    assert len(remote["results"]) == len(local["results"])
    for a, b in zip(local["results"], remote["results"]):
        assert b["score"] == pytest.approx(a["score"], abs=1e-5)
        if a["path"] != b["path"]:  # a tie
            assert abs(a["score"] - b["score"]) <= 1e-5
            continue
        assert b["id"] == row_id(b["path"])
        assert {k: v for k, v in b.items() if k not in ("id", "score")} == \
            {k: v for k, v in a.items() if k not in ("id", "score")}


SEARCHES = ["q=sand", "q=sand&k=7&offset=3", "q=red&not=blue&not_weight=0.8",
            "q=sand&type=jpeg", "q=sand&type=png,jpg&k=40", "q=sand&camera=NIKON%20Z%206",
            "q=sand&since=2019-02-01&until=2019-08-31", "q=sand&since=2019-02-30T00:00:00", "q=sand&min_size=2K&max_size=20K",
            "q=sand&folder={photos}/beach%20trip", "q=sand&k=1000"]


@pytest.mark.parametrize("query", SEARCHES)
def test_get_search_answers_as_the_local_server(servers, library_files, query):
    query = query.replace("{photos}", library_files[1])
    local = get_json(f"{servers[0]}/api/search?{query}")
    remote = get_json(f"{servers[1]}/api/search?{query}")
    assert local[0] == remote[0] == 200
    assert_same_search(local[1], remote[1])


def test_post_search_json_like_and_upload(servers, local_library, library_files):
    lib = local_library[1]
    example = lib.search("sand", k=1)[0]
    body = {"q": ["sand", "green"], "type": ["jpeg"], "k": 9}
    local = get_json(f"{servers[0]}/api/search", body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json"})
    remote = get_json(f"{servers[1]}/api/search", body=json.dumps(body).encode(),
                      headers={"Content-Type": "application/json"})
    assert_same_search(local[1], remote[1])
    local = get_json(f"{servers[0]}/api/search?like={example.id}")
    remote = get_json(f"{servers[1]}/api/search?like={row_id(example.path)}")
    assert_same_search(local[1], remote[1])
    assert example.path not in [r["path"] for r in remote[1]["results"]]
    with open(os.path.join(library_files[1], "photo_01.jpg"), "rb") as f:
        picture = f.read()
    boundary = uuid.uuid4().hex
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + picture + \
        (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n12\r\n"
         f"--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    local = get_json(f"{servers[0]}/api/search", body=form, headers=headers)
    remote = get_json(f"{servers[1]}/api/search", body=form, headers=headers)
    assert local[0] == remote[0] == 200
    assert_same_search(local[1], remote[1])


def test_thumbnails_images_page_and_facets_are_the_local_servers(servers, local_library):
    lib = local_library[1]
    hit = lib.search("sand", k=1)[0]
    for size in ("", "?size=128"):
        a = call(f"{servers[0]}/api/thumbnails/{hit.id}{size}")
        b = call(f"{servers[1]}/api/thumbnails/{row_id(hit.path)}{size}")
        assert a[0] == b[0] == 200 and a[1] == b[1] and b[2]["Content-Type"] == "image/jpeg"
    a, b = call(f"{servers[0]}/api/images/{hit.id}"), call(f"{servers[1]}/api/images/"
                                                           f"{row_id(hit.path)}")
    assert a[0] == b[0] == 200 and a[1] == b[1]
    assert a[2]["Content-Type"] == b[2]["Content-Type"]
    for path in ("/", "/app.css", "/favicon.svg", "/js/main.js", "/js/search.js"):
        a, b = call(servers[0] + path), call(servers[1] + path)
        assert a[0] == b[0] == 200 and a[1] == b[1], path
        assert a[2]["Content-Type"] == b[2]["Content-Type"] and a[2]["ETag"] == b[2]["ETag"]
        assert call(servers[1] + path, headers={"If-None-Match": b[2]["ETag"]})[0] == 304
    assert get_json(servers[0] + "/api/openapi.json") == get_json(servers[1] +
                                                                  "/api/openapi.json")
    for facet in ("/api/cameras", "/api/folders"):
        assert get_json(servers[0] + facet) == get_json(servers[1] + facet), facet


def test_status(servers, collection, local_library):
    local = get_json(servers[0] + "/api/status")[1]
    remote = get_json(servers[1] + "/api/status")[1]
    assert remote["images"] == local["images"] == collection[1]  # Milvus' own row count
    assert remote["model"] == local["model"] and remote["precision"] == local["precision"]
    assert remote["index"] == "flat" and remote["milvus"]["collection"] == "photos"
    assert remote["devices"] == {"image": "cpu", "text": "cpu"}  # no GPU on these machines
    assert set(local) - set(remote) == set()  # every member the page reads is there


def test_errors_are_the_local_servers_or_501(servers, local_library):
    for query in ["k=0", "q=sand&since=2019-13-45",
                  "q=sand&since=2019-01-01T25:00:00", "q=sand&since=2019-01-01x",
                  "q=sand&min_size=big", "q=sand&min_size=1.", "q=sand&k=1.5",
                  "q=sand&image_weight=3", "like=123456789"]:
        a, b = get_json(f"{servers[0]}/api/search?{query}"), \
            get_json(f"{servers[1]}/api/search?{query}")
        assert a[0] == b[0] and a[0] in (400, 404), (query, a, b)
        if a[0] == 400:
            assert a[1] == b[1], query
    hit = local_library[1].search("sand", k=1)[0]
    a = get_json(f"{servers[0]}/api/thumbnails/{hit.id}?size=77")
    b = get_json(f"{servers[1]}/api/thumbnails/{row_id(hit.path)}?size=77")
    assert a == b and a[0] == 400
    assert get_json(f"{servers[1]}/api/images/42")[0] == 404
    assert get_json(f"{servers[1]}/api/images/x")[0] == 400
    status, body = get_json(f"{servers[1]}/api/search?q=sand&color=navy")
    assert status == 501 and "colour search is not served from a Milvus" in body["error"]
    for method, route in [("GET", "/api/albums"), ("POST", "/api/index"),
                          ("POST", "/api/similarity"), ("GET", "/api/duplicates"),
                          ("GET", "/api/jobs/abc"), ("GET", "/metrics")]:
        status, body = get_json(servers[1] + route, method=method,
                                body=b"{}" if method == "POST" else None)
        assert status == 501, route
        assert f"{method} {route}: not served from a Milvus collection" in body["error"]
    assert get_json(servers[1] + "/api/nothing")[0] == 404
    assert get_json(servers[1] + "/api/status", method="POST", body=b"")[0] == 405


def test_the_command_serves_with_a_token(local_library, library_files, tmp_path):
    # A Milvus Lite file of its own, filled by another process: Milvus Lite serves a file to
    # one process at a time, and this one holds the module's open.
    db, uri = local_library[0], str(tmp_path / "milvus.db")
    fill = ("import sys; from clipsearch.distributed import *; rows = [r for b in "
            "catalog_rows(sys.argv[1]) for r in b]; s = MilvusStore(sys.argv[2], 'photos'); "
            "s.create(len(rows[0]['embedding']), catalog_model(sys.argv[1])); s.upsert(rows)")
    subprocess.run([sys.executable, "-c", fill, db, uri], check=True)
    rows = [r for batch in catalog_rows(db) for r in batch]
    command = [sys.executable, "-m", "clipsearch.distributed", "serve", "--milvus", uri, "--collection", "photos", "--model", library_files[0],
               "--port", "0", "--token", "s3cret", "--thumbnail-dir", str(tmp_path)]
    assert subprocess.run(command[:-6] + ["--host", "0.0.0.0", "--port", "0"],
                          capture_output=True, text=True).returncode == 2
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        url = _wait_for_address(process)
        assert get_json(url + "/api/status")[0] == 401
        status, body = get_json(url + "/api/status",
                                headers={"Authorization": "Bearer s3cret"})
        assert status == 200 and body["images"] == len(rows)
        assert call(url + "/")[0] == 200  # the page itself is public
    finally:
        process.terminate()
        process.wait(30)


def test_totals_of_filtered_searches_can_be_left_out(collection, library_files, tmp_path):
    app = serve.App(MilvusLibrary(collection[0], "photos", library_files[0]), str(tmp_path),
                    count_filtered=False)
    filtered = json.loads(app.answer("GET", "/api/search?q=sand&type=jpeg", {}, b"").body)
    assert "total" not in filtered and len(filtered["results"]) == 20
    plain = json.loads(app.answer("GET", "/api/search?q=sand", {}, b"").body)
    assert plain["total"] == collection[1]
