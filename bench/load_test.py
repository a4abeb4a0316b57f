"""Load test of `clipsearch serve`: N clients for T seconds, text and image queries mixed.

Each client is a thread with its own keep-alive connection to 127.0.0.1 (nothing else is
accepted). A request is a text search (GET /api/search?q=...) or an image search (POST
/api/search, multipart with an uploaded picture), drawn by --image-share. A share of the text
queries (--repeat-share) comes from a small fixed set, so the server's text and result caches
see repeats; the rest are unique. Every upload gets 8 random bytes after the picture's end
(decoders ignore them), so the answer cache, which keys uploads by their bytes, never answers
one: each upload is a forward pass, as before that cache existed (--repeat-uploads sends the
files as they are). Any non-2xx answer, exception or malformed body is an error.

Recorded: per-type p50/p90/p99 latency and QPS (answers that arrived within the duration,
divided by it), errors (with the first few messages), the server's RSS and anonymous RSS every
second from /proc/PID/status (start, peak, end, slope over the second half)
and its CPU use, this client's own CPU use (so a saturated client is visible), and the
server's /metrics before and after: image and text batch-size histograms, cache hits.

Bounded: --duration at most 600 s, --max-requests in all (default 200,000), --clients at most
64, a per-request socket timeout.

Either start the server (--server BINARY --db DB, or --index-library DIR --model DIR to index a
folder into a temporary catalog first) or attach to a running one (--port P --pid PID).
Python standard library only.

  python3 bench/load_test.py --server build/src/cli/clipsearch --db index.db \
      --images q1.jpg q2.png --clients 16 --duration 60 --json out.json
"""
import argparse
import http.client
import ipaddress
import json
import math
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

MAX_DURATION_S = 600
MAX_CLIENTS = 64
ADJECTIVES = ["red", "small", "old", "happy", "wet", "golden", "striped", "sleepy", "blue",
              "bright", "foggy", "wooden", "tiny", "giant", "snowy", "rusty"]
NOUNS = ["dog", "cat", "car", "boat", "house", "tree", "bicycle", "mountain", "child", "bird",
         "guitar", "cake", "bridge", "horse", "lamp", "train"]
PLACES = ["on a beach", "in the rain", "at night", "in a kitchen", "on a street", "in a forest",
          "under a bridge", "in the snow", "at sunset", "in a field"]


# ---------------------------------------------------------------- the server under test


def check_loopback(host):
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        sys.exit(f"load_test: {host}: only loopback addresses are allowed")


class Server:
    """A `clipsearch serve` child on an ephemeral loopback port, stopped with SIGTERM."""

    def __init__(self, binary, db, args=(), timeout_s=120):
        self.log = tempfile.NamedTemporaryFile(prefix="serve-", suffix=".log", delete=False)
        cmd = [binary, "serve", "--db", db, "--host", "127.0.0.1", "--port", "0", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log)
        self.pid = self.proc.pid
        self.port = 0
        deadline = time.monotonic() + timeout_s
        while not self.port and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.log_text()}")
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", self.log_text())
            if m:
                self.port = int(m.group(1))
            time.sleep(0.05)
        if not self.port:
            self.stop()
            raise RuntimeError(f"serve did not start in {timeout_s} s:\n{self.log_text()}")

    def log_text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)
        return self.proc.returncode


def index_folder(binary, library, model, db):
    """Indexes `library` into `db`; exit 3 (some files could not be read) is accepted."""
    r = subprocess.run([binary, "index", library, "--db", db, "--model", model, "--quiet"],
                       capture_output=True, text=True)
    if r.returncode not in (0, 3):
        sys.exit(f"load_test: clipsearch index failed ({r.returncode}): {r.stderr}")


# ---------------------------------------------------------------- requests


class Workload:
    """What each client sends; one random generator per client, seeded, so runs repeat."""

    def __init__(self, images, image_share, repeat_share, k, hot_queries=32, unique_uploads=True):
        self.images = images  # [(file name, bytes, content type)]
        self.image_share = image_share
        self.repeat_share = repeat_share
        self.unique_uploads = unique_uploads
        self.k = k
        rng = random.Random(0)
        self.hot = [self.make_text(rng) for _ in range(hot_queries)]
        self.unique = 0
        self.lock = threading.Lock()

    @staticmethod
    def make_text(rng):
        return f"a photo of a {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(PLACES)}"

    def next_request(self, rng):
        """(type, method, path, body, headers)."""
        if self.images and rng.random() < self.image_share:
            name, data, ctype = rng.choice(self.images)
            if self.unique_uploads:
                data = data + rng.getrandbits(64).to_bytes(8, "little")
            boundary = "loadtest%016x" % rng.getrandbits(64)
            head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n"
                    f"{self.k}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
                    f"filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n")
            body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            return "image", "POST", "/api/search", body, headers
        if rng.random() < self.repeat_share:
            text = rng.choice(self.hot)
        else:
            with self.lock:
                self.unique += 1
                n = self.unique
            text = f"{self.make_text(rng)} number {n}"
        query = urllib.parse.urlencode({"q": text, "k": self.k})
        return "text", "GET", "/api/search?" + query, None, {}


def check_answer(status, body, k):
    """None when the answer is a well-formed search result, else what is wrong."""
    if not 200 <= status < 300:
        return f"HTTP {status}: {body[:200]!r}"
    try:
        doc = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200]!r}"
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list) or not isinstance(doc.get("total"), int):
        return f"no results list or total: {body[:200]!r}"
    if not 0 < len(results) <= min(k, doc["total"]):
        return f"{len(results)} results for k={k}, total={doc['total']}"
    scores = []
    for r in results:
        if not isinstance(r, dict) or not isinstance(r.get("id"), int) or \
                not isinstance(r.get("score"), (int, float)) or not -1.001 <= r["score"] <= 1.001:
            return f"malformed result {r!r}"
        scores.append(r["score"])
    if scores != sorted(scores, reverse=True):
        return "results not ordered by score"
    return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {"text": [], "image": []}
        self.in_window = {"text": 0, "image": 0}  # answered before the deadline
        self.errors = {"text": 0, "image": 0}
        self.error_samples = []
        self.sent = 0

    def record(self, kind, seconds, error, in_window):
        with self.lock:
            if error is None:
                self.latencies[kind].append(seconds)
                self.in_window[kind] += in_window
            else:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {error}")

    def take_slot(self, max_requests):
        with self.lock:
            if self.sent >= max_requests:
                return False
            self.sent += 1
            return True


def client(port, workload, stats, seed, stop_at, max_requests, timeout_s):
    rng = random.Random(seed)
    conn = None
    while time.monotonic() < stop_at and stats.take_slot(max_requests):
        kind, method, path, body, headers = workload.next_request(rng)
        start = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            error = check_answer(resp.status, data, workload.k)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            error = f"{type(e).__name__}: {e}"
            if conn is not None:
                conn.close()
            conn = None
        stats.record(kind, time.perf_counter() - start, error, time.monotonic() <= stop_at)
    if conn is not None:
        conn.close()


# ---------------------------------------------------------------- server observations


def memory_mb(pid):
    """(VmRSS, RssAnon) in MB. RssAnon is the heap and stacks, where a leak shows; VmRSS also
    counts the mapped weights and vector file, which the kernel may drop and re-read."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("RssAnon", float("nan"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class RssSampler(threading.Thread):
    def __init__(self, pid, period_s=1.0):
        super().__init__(daemon=True)
        self.pid, self.period_s = pid, period_s
        self.samples = []  # (seconds since start, VmRSS MB, RssAnon MB)
        self.done = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while True:
            try:
                self.samples.append((time.monotonic() - self.t0, *memory_mb(self.pid)))
            except OSError:
                return
            if self.done.wait(self.period_s):
                return

    def summary(self):
        if not self.samples:
            return {}
        out = {"samples": len(self.samples)}
        for column, prefix in ((1, ""), (2, "anon_")):
            mbs = [s[column] for s in self.samples]
            half = [(s[0], s[column]) for s in self.samples if s[0] >= self.samples[-1][0] / 2]
            out.update({prefix + "start_mb": round(mbs[0], 1),
                        prefix + "peak_mb": round(max(mbs), 1),
                        prefix + "end_mb": round(mbs[-1], 1),
                        prefix + "second_half_slope_mb_per_min": round(slope(half) * 60, 2)})
        return out


def slope(points):
    """Least-squares slope of (x, y) points; 0 for fewer than two."""
    if len(points) < 2:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def scrape_metrics(port, timeout_s):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    conn.request("GET", "/metrics")
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"/metrics answered {resp.status}")
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def batch_histogram(before, after, kind):
    """Batches (kind: image or text) run during the test, {batch size: count}, from the
    cumulative buckets of /metrics."""
    prefix = f"clipsearch_{kind}_batch_size_bucket{{le=\""
    cumulative = []
    for name, value in after.items():
        if name.startswith(prefix) and not name.endswith("+Inf\"}"):
            le = float(name[len(prefix):-2])
            cumulative.append((le, value - before.get(name, 0)))
    cumulative.sort()
    sizes, below = {}, 0
    for le, count in cumulative:
        if count > below:
            sizes[int(le)] = int(count - below)
        below = count
    return sizes


def batch_summary(sizes):
    items, batches = sum(size * n for size, n in sizes.items()), sum(sizes.values())
    return {"histogram": {str(k): v for k, v in sorted(sizes.items())}, "count": batches,
            "mean_size": round(items / max(1, batches), 2)}


def counter_delta(before, after, name):
    return int(after.get(name, 0) - before.get(name, 0))


# ---------------------------------------------------------------- the run and its report


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def type_summary(latencies, errors, in_window, duration_s):
    """QPS counts the answers that arrived within the duration; latencies include the answers
    to requests still running at its end."""
    lat = sorted(latencies)
    ms = lambda v: None if v is None else round(v * 1000, 2)  # noqa: E731
    return {"ok": len(lat), "errors": errors, "qps": round(in_window / duration_s, 2),
            "p50_ms": ms(percentile(lat, 0.50)), "p90_ms": ms(percentile(lat, 0.90)),
            "p99_ms": ms(percentile(lat, 0.99)), "max_ms": ms(lat[-1] if lat else None)}


def run_load(port, pid, workload, clients, duration_s, max_requests, timeout_s):
    stats = Stats()
    before = scrape_metrics(port, timeout_s)
    sampler = RssSampler(pid)
    sampler.start()
    cpu0, usage0 = cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(port, workload, stats, 1000 + i,
                                                     start + duration_s, max_requests, timeout_s))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    server_cpu = cpu_seconds(pid) - cpu0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    sampler.done.set()
    sampler.join()
    after = scrape_metrics(port, timeout_s)
    by_type = {k: type_summary(stats.latencies[k], stats.errors[k], stats.in_window[k],
                               duration_s) for k in ("text", "image")}
    by_type["all"] = type_summary(stats.latencies["text"] + stats.latencies["image"],
                                  stats.errors["text"] + stats.errors["image"],
                                  sum(stats.in_window.values()), duration_s)
    client_cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {
        "wall_s": round(wall, 2),
        "by_type": by_type,
        "error_samples": stats.error_samples,
        "rss": sampler.summary(),
        "server_cpu_cores": round(server_cpu / wall, 2),
        "client_cpu_cores": round(client_cpu / wall, 2),
        "image_batches": batch_summary(batch_histogram(before, after, "image")),
        "text_batches": batch_summary(batch_histogram(before, after, "text")),
        "caches": {name: counter_delta(before, after, "clipsearch_" + name + "_total")
                   for name in ("text_cache_hits", "text_cache_misses", "result_cache_hits")},
    }


def markdown(report):
    rows = ["| queries | ok | errors | QPS | p50 ms | p90 ms | p99 ms | max ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in ("text", "image", "all"):
        s = report["by_type"][kind]
        cells = [s["ok"], s["errors"], s["qps"], s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"]]
        rows.append(f"| {kind} | " + " | ".join("-" if c is None else str(c) for c in cells) + " |")
    r, b, t = report["rss"], report["image_batches"], report["text_batches"]
    rows.append("")
    rows.append(f"Server RSS {r.get('start_mb')} MB at start, peak {r.get('peak_mb')}, end "
                f"{r.get('end_mb')}, second-half slope {r.get('second_half_slope_mb_per_min')} "
                f"MB/min (anonymous: {r.get('anon_start_mb')}, {r.get('anon_peak_mb')}, "
                f"{r.get('anon_end_mb')}, {r.get('anon_second_half_slope_mb_per_min')}). "
                f"Server CPU {report['server_cpu_cores']} cores, load client "
                f"{report['client_cpu_cores']} cores. Image batches: {b['count']}, mean size "
                f"{b['mean_size']}, sizes {b['histogram']}. Text batches (queries not in the "
                f"cache): {t['count']}, mean size {t['mean_size']}, sizes {t['histogram']}. "
                f"Caches: {report['caches']}.")
    return "\n".join(rows)


def read_images(paths):
    types = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
    out = []
    for p in paths:
        with open(p, "rb") as f:
            ctype = types.get(os.path.splitext(p)[1].lower(), "application/octet-stream")
            out.append((os.path.basename(p), f.read(), ctype))
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server = p.add_argument_group("the server")
    server.add_argument("--server", help="clipsearch binary to start `serve` with")
    server.add_argument("--db", help="catalog for --server")
    server.add_argument("--index-library", help="index this folder into a temporary catalog")
    server.add_argument("--model", help="model for --index-library")
    server.add_argument("--serve-arg", action="append", default=[],
                        help="extra `serve` argument, e.g. --serve-arg=--max-batch=1")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, help="attach to a running server on this port")
    server.add_argument("--pid", type=int, help="the running server's process id (RSS, CPU)")
    load = p.add_argument_group("the load")
    load.add_argument("--clients", type=int, default=16)
    load.add_argument("--duration", type=float, default=60, help="seconds (at most 600)")
    load.add_argument("--max-requests", type=int, default=200000)
    load.add_argument("--image-share", type=float, default=0.25)
    load.add_argument("--repeat-share", type=float, default=0.5,
                      help="share of text queries taken from a fixed set of 32")
    load.add_argument("--repeat-uploads", action="store_true",
                      help="send each picture as it is (the answer cache then answers repeats)")
    load.add_argument("--images", nargs="*", default=[], help="pictures to upload")
    load.add_argument("--k", type=int, default=10)
    load.add_argument("--timeout", type=float, default=60, help="per-request socket timeout")
    load.add_argument("--warmup", type=float, default=0,
                      help="seconds of the same load before the measured run")
    out = p.add_argument_group("results")
    out.add_argument("--json", help="write the report here")
    out.add_argument("--check", action="store_true",
                     help="exit 1 on any error, or when no forward pass held two or more queries "
                     "of a kind sent (images, texts)")
    a = p.parse_args(argv)
    check_loopback(a.host)
    if not 0 < a.duration <= MAX_DURATION_S or not 0 < a.clients <= MAX_CLIENTS:
        p.error(f"--duration must be in (0, {MAX_DURATION_S}], --clients in [1, {MAX_CLIENTS}]")
    if a.image_share > 0 and not a.images:
        p.error("--image-share > 0 needs --images")
    if (a.port is None) == (a.server is None):
        p.error("give either --server (and --db or --index-library) or --port and --pid")
    return a


def measure(a, images, port, pid):
    workload = Workload(images, a.image_share, a.repeat_share, a.k,
                        unique_uploads=not a.repeat_uploads)
    if a.warmup > 0:
        run_load(port, pid, workload, a.clients, a.warmup, a.max_requests, a.timeout)
    report = run_load(port, pid, workload, a.clients, a.duration, a.max_requests, a.timeout)
    report["config"] = {k: getattr(a, k) for k in (
        "clients", "duration", "max_requests", "image_share", "repeat_share", "repeat_uploads", "k",
        "serve_arg")}
    report["config"]["images"] = [os.path.basename(i) for i in a.images]
    report["machine"] = {"cores": os.cpu_count(), "load_after": round(os.getloadavg()[0], 2)}
    return report


def main(argv=None):
    a = parse_args(argv)
    images = read_images(a.images)
    with tempfile.TemporaryDirectory(prefix="load-test-") as tmp:
        server = None
        if a.server:
            db = a.db
            if a.index_library:
                db = os.path.join(tmp, "index.db")
                index_folder(a.server, a.index_library, a.model, db)
            server = Server(a.server, db, a.serve_arg)
            port, pid = server.port, server.pid
        else:
            port, pid = a.port, a.pid
        try:
            report = measure(a, images, port, pid)
        finally:
            if server:
                report_exit = server.stop()
        if server and report_exit != 0:
            report["error_samples"].append(f"serve exited with {report_exit}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    print(markdown(report))
    for e in report["error_samples"]:
        print("error:", e, file=sys.stderr)
    if a.check:
        errors = report["by_type"]["all"]["errors"] + (1 if server and report_exit else 0)
        shares = (("image", a.image_share), ("text", 1 - a.image_share))
        unbatched = [kind for kind, share in shares if share > 0 and a.clients > 1 and
                     not any(int(n) > 1 for n in report[kind + "_batches"]["histogram"])]
        if errors or unbatched:
            print(f"load_test: FAILED: {errors} errors; no batch of two or more: {unbatched}",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
