"""The server's own answers to what the page asks, fetched here independently, and the check
that the grid shows one (same ids, same order, same scores)."""
import json
import urllib.parse
import urllib.request

from browser_session import check, wait_until

PAGE = 48  # results per page, as web/js/search.js asks


def api_get(server, path, headers=None):
    req = urllib.request.Request(server.url + path, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def api_post(server, body, content_type, path="/api/search"):
    req = urllib.request.Request(server.url + path, data=body,
                                 headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def api_text(server, text, offset=0, **filters):
    query = urllib.parse.urlencode({"q": text, "k": PAGE, "offset": offset, **filters})
    return api_get(server, "/api/search?" + query)


def api_like(server, image_id, **filters):
    body = {"like": image_id, "k": PAGE, **filters}
    return api_post(server, json.dumps(body).encode(), "application/json")


# api_image_first: a picture query's answer is asked for before the page asks, never at the same
# time. Two uploads in flight together may share one forward pass (the server batches them), and a
# row's embedding can differ in its last bits between a batch of one and a batch of two: enough
# to swap two near-identical photos in the ranking. The page must show what the API answers for
# the same request, not be batch-invariant.
def api_image(server, path):
    with open(path, "rb") as f:
        data = f.read()
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n%d\r\n" % PAGE +
            b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--XyZ--\r\n")
    return api_post(server, body, "multipart/form-data; boundary=XyZ")


def ids(answer):
    return [r["id"] for r in answer["results"]]


def format_bytes(n):
    """The viewer's size text, computed here from the API's byte count."""
    units, i, v = ["bytes", "KB", "MB", "GB"], 0, float(n)
    while v >= 1024 and i < len(units) - 1:
        v, i = v / 1024, i + 1
    return f"{v:.1f} {units[i]}" if i else f"{int(v)} bytes"


def expect_results(b, answer, what):
    """Waits for the grid to show `answer` (same ids in the same order, same scores)."""
    want = ids(answer)
    check(want, f"{what}: the API found nothing to compare with")
    b.wait_state("results", what)
    wait_until(lambda: b.grid_ids() == want, 30,
               lambda: f"{what}: grid shows ids {b.grid_ids()}, the API answers {want}")
    scores = b.js("return [...document.querySelectorAll('#results .score')]"
                  ".map(s => s.textContent)")
    check(scores == [f"{r['score']:.3f}" for r in answer["results"]],
          f"{what}: scores shown {scores[:5]}... differ from the API's")
    b.wait_thumbnails_loaded(what)
