"""The running server against its own OpenAPI document (GET /api/openapi.json), by schemathesis.

Indexes the search reference library (random-weight CLIP model, 36 pictures and two broken files)
into a temporary catalog, starts `clipsearch serve` with a token on a free loopback port, checks
the document it serves against the OpenAPI 3.0 specification (openapi-spec-validator) and runs
`st run` on it: every operation, valid and invalid requests (the
document's examples, its boundaries, then random ones, then sequences), a fixed seed and a fixed
number of examples per operation, so a run is bounded (about 30 s on 2 cores). It fails on any
5xx, any answer whose status, Content-Type, headers or body is not what the document says, a
request the document calls invalid that the server accepts, a method the path does not take
answered otherwise than 405, a route that answers without the token, or a server that dies.

The check it leaves out, positive_data_acceptance, expects every schema-valid request to succeed;
some rules cannot be written in OpenAPI 3.0 (GET /api/search needs q or like; color_weight needs a
colour or an example; an upload's bytes must be a picture), and those answers are documented
400/404/422s.

Environment: CLIPSEARCH_BINARY (the CLI), CLIPSEARCH_REFERENCE_DIR (the search_reference
fixture), CLIPSEARCH_ARTIFACTS_DIR (the JUnit report goes there). Run with the interpreter of
.venv-schemathesis (scripts/setup.sh), whose `st` it calls.
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

from openapi_spec_validator import validate as validate_openapi

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from serve_process import ServeProcess, index_library  # noqa: E402

REF = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "search")
BINARY = os.environ.get("CLIPSEARCH_BINARY", "build/src/cli/clipsearch")
ARTIFACTS = os.environ.get("CLIPSEARCH_ARTIFACTS_DIR", "build/test-artifacts")
ST = os.path.join(os.path.dirname(sys.executable), "st")
TOKEN = "openapi-test-token"
EXAMPLES_PER_OPERATION = 8
SEED = 19


def fetch_json(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def binary_version():
    out = subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True).stdout
    return out.split()[1]  # "clipsearch 0.1.0"


def run_schemathesis(url, report_dir, cwd):
    command = [
        ST, "run", url + "/api/openapi.json",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", str(SEED),
        # No example database: each run is the seed's alone, and nothing is written beside the
        # sources.
        "--generation-database", "none",
        "--workers", "1", "--request-timeout", "30",
        "-H", f"Authorization: Bearer {TOKEN}",
        "--no-color", "--output-truncate", "false",
        "--report", "junit", "--report-dir", report_dir,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=cwd)


def main():
    failures = []
    os.makedirs(ARTIFACTS, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clipsearch-openapi-") as tmp:
        db = index_library(BINARY, os.path.join(REF, "library"), os.path.join(tmp, "catalog.db"),
                           os.path.join(REF, "model"))
        with ServeProcess(BINARY, db, tmp, ["--token", TOKEN, "--max-upload-mb", "2"]) as server:
            doc = fetch_json(server.url + "/api/openapi.json")  # public: no token
            try:
                validate_openapi(doc)  # against the OpenAPI 3.0 specification's own schema
            except Exception as e:  # noqa: BLE001 - any reason is the failure to report
                failures.append(f"the served document is not valid OpenAPI: {e}")
            if doc["info"]["version"] != binary_version():
                failures.append(f"served info.version {doc['info']['version']!r}, "
                                f"the binary is {binary_version()!r}")
            st = run_schemathesis(server.url, os.path.abspath(os.path.join(ARTIFACTS, "schemathesis")),
                                  tmp)
            print(st.stdout[-20000:])
            if st.returncode != 0:
                failures.append(f"schemathesis failed (exit {st.returncode}): {st.stderr[-4000:]}")
            # Every operation was tested (the document's own route is left out by schemathesis).
            operations = sum(1 for item in doc["paths"].values() for m in item if m in
                             ("get", "post", "put", "delete", "patch"))
            if f"Tested: {operations - 1}" not in st.stdout:
                failures.append(f"schemathesis did not test the {operations - 1} operations")
            if server.proc.poll() is not None:
                failures.append(f"the server died (exit {server.proc.returncode})")
            else:
                status = fetch_json(server.url + "/api/status", TOKEN)
                if status["images"] != 36:
                    failures.append(f"/api/status after the run: {status}")
        if server.proc.returncode != 0:  # stopped by SIGTERM: a clean exit
            failures.append(f"the server did not stop cleanly (exit {server.proc.returncode})")
        log = server.log()
        for sign in ("AddressSanitizer", "runtime error", "terminate called", "Segmentation"):
            if sign in log:
                failures.append(f"the server's log holds {sign!r}:\n{log[-4000:]}")
    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
