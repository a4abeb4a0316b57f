"""`clipsearch index` and `clipsearch serve` for the browser test: an index in a temporary folder,
and a server child on a free loopback port (port 0; the port is read from its log line)."""
import itertools
import os
import re
import subprocess
import time
import urllib.request


def index_library(binary, library, db, model):
    """Indexes `library` into `db`. Exit code 3 means some files were unreadable, as the
    reference library's two broken files are meant to be."""
    r = subprocess.run([binary, "index", library, "--db", db, "--model", model, "--quiet"],
                       capture_output=True, text=True, timeout=300)
    if r.returncode not in (0, 3):
        raise RuntimeError(f"clipsearch index {library} failed ({r.returncode}): {r.stderr}")
    return db


class ServeProcess:
    _serial = itertools.count()

    def __init__(self, binary, db, log_dir, extra_args=(), timeout=60):
        self.log_path = os.path.join(log_dir, f"serve-{next(ServeProcess._serial)}.log")
        self.binary, self.db, self.timeout = binary, db, timeout
        self.extra_args = list(extra_args)
        self.proc, self.url = None, None

    def __enter__(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--db", self.db, "--port", "0", "--threads", "2"] +
                self.extra_args,
                stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", self.log())
            if m:
                self.url = f"http://127.0.0.1:{m.group(1)}"
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"clipsearch serve exited: {self.log()}")
            time.sleep(0.05)
        if not self.url:
            self.__exit__(None, None, None)
            raise RuntimeError(f"clipsearch serve did not start in {self.timeout} s: {self.log()}")
        with urllib.request.urlopen(self.url + "/healthz", timeout=30) as r:
            assert r.status == 200
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()
