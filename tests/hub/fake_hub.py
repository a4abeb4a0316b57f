"""A local stand-in for the Hugging Face hub, for src/hub/hub_test.cpp (loopback only).

It answers as huggingface.co does for what clipsearch and huggingface_hub ask:
  HEAD/GET [/prefix]/{owner}/{name}/resolve/{revision}/{file} (or /{name}/..., a legacy id)
    small files: 200, ETag = git blob sha1, X-Repo-Commit, Content-Length (GET: the body)
    LFS files (*.safetensors, *.bin): 302 to /cdn/{sha256}, X-Linked-Etag = sha256,
      X-Linked-Size, X-Repo-Commit (curl and requests follow it for GET)
    unknown repo: 404 X-Error-Code: RepoNotFound (401 when a token is required and missing)
    unknown revision: 404 RevisionNotFound; missing file: 404 EntryNotFound + X-Repo-Commit
  GET /cdn/{sha256}: the content, with Range (206 + Content-Range)

Options: --repo OWNER/NAME=DIR (repeatable), --token T (required as "Authorization: Bearer T"
on /resolve/), --drop-once FILE (the first CDN GET of FILE sends half the body and closes the
connection), --corrupt FILE (serve FILE with one byte changed, headers unchanged), --prefix P
(serve under /P too, as a mirror would), --renamed OLD=NEW (a relative 307 from OLD's URLs to
NEW's, as for a renamed repository). Each request is logged as a JSON line to --log.
The chosen port is written to --port-file once the server listens.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_SUFFIXES = (".safetensors", ".bin")


class Repo:
    def __init__(self, name, folder):
        self.name = name
        self.folder = folder
        self.commit = hashlib.sha1(name.encode()).hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", action="append", default=[])
    parser.add_argument("--token")
    parser.add_argument("--drop-once")
    parser.add_argument("--corrupt")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--renamed", action="append", default=[])
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    repos = {}
    for spec in args.repo:
        name, folder = spec.split("=", 1)
        repos[name] = Repo(name, folder)
    renamed = dict(spec.split("=", 1) for spec in args.renamed)
    blobs = {}  # sha256 -> (file name, bytes)
    lock = threading.Lock()
    state = {"dropped": False}

    def content(repo, file):
        path = os.path.join(repo.folder, file)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            data = f.read()
        return data

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def log(self):
            with lock, open(args.log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "range": self.headers.get("Range"),
                                    "auth": self.headers.get("Authorization")}) + "\n")

        def reply(self, status, headers, body=b""):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "GET" and body:
                self.wfile.write(body)

        def do_HEAD(self):
            self.handle_any()

        def do_GET(self):
            self.handle_any()

        def handle_any(self):
            self.log()
            path = self.path.split("?", 1)[0]
            if args.prefix and path.startswith("/" + args.prefix + "/"):
                path = path[len(args.prefix) + 1:]
            if path.startswith("/cdn/"):
                return self.cdn(path[5:])
            parts = path.lstrip("/").split("/")
            if len(parts) >= 4 and parts[1] == "resolve":  # a legacy name: xlm-roberta-base
                old, rest = parts[0], parts[1:]
            elif len(parts) >= 5 and parts[2] == "resolve":
                old, rest = parts[0] + "/" + parts[1], parts[2:]
            else:
                return self.reply(404, {})
            if old in renamed:  # the hub answers a renamed repository with a relative redirect
                new_path = "/" + renamed[old] + "/" + "/".join(rest)
                return self.reply(307, {"Location": new_path + "?renamed=1"})
            repo = repos.get(old)
            revision, file = rest[1], "/".join(rest[2:])
            if args.token and self.headers.get("Authorization") != "Bearer " + args.token:
                return self.reply(401, {"X-Error-Code": "RepoNotFound"})
            if repo is None:
                return self.reply(404, {"X-Error-Code": "RepoNotFound"})
            if revision not in ("main", repo.commit):
                return self.reply(404, {"X-Error-Code": "RevisionNotFound"})
            data = content(repo, file)
            if data is None:
                return self.reply(404, {"X-Error-Code": "EntryNotFound",
                                        "X-Repo-Commit": repo.commit})
            if file.endswith(LFS_SUFFIXES):
                sha = hashlib.sha256(data).hexdigest()
                with lock:
                    blobs[sha] = (file, data)
                host = self.headers.get("Host")
                return self.reply(302, {"Location": f"http://{host}/cdn/{sha}",
                                        "X-Linked-Etag": f'"{sha}"',
                                        "X-Linked-Size": str(len(data)),
                                        "X-Repo-Commit": repo.commit,
                                        "ETag": '"W/not-the-content-hash"'})
            git_sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            if file == args.corrupt:
                data = data[:-1] + bytes([data[-1] ^ 1])
            return self.reply(200, {"ETag": f'"{git_sha}"', "X-Repo-Commit": repo.commit,
                                    "Content-Type": "application/octet-stream"}, data)

        def cdn(self, sha):
            with lock:
                entry = blobs.get(sha)
            if entry is None:
                return self.reply(404, {})
            file, data = entry
            if file == args.corrupt:
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
            start = 0
            status = 200
            headers = {"Accept-Ranges": "bytes"}
            if self.headers.get("Range"):
                start = int(self.headers["Range"].split("=")[1].split("-")[0])
                if start >= len(data):
                    return self.reply(416, {"Content-Range": f"bytes */{len(data)}"})
                status = 206
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            body = data[start:]
            drop = False
            with lock:
                if file == args.drop_once and not state["dropped"] and self.command == "GET":
                    state["dropped"] = True
                    drop = True
            if drop:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.reply(status, headers, body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
