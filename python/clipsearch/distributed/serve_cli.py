"""`python -m clipsearch.distributed serve`: the HTTP API and web page of `clipsearch serve`
over a Milvus collection (serve.py)."""
import argparse
import os
import sys
from typing import List

from ..errors import ClipsearchError
from . import serve
from .milvus_library import MilvusLibrary


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m clipsearch.distributed serve",
                                description="HTTP API and web page over a Milvus collection")
    p.add_argument("--milvus", required=True,
                   help="Milvus Lite file (*.db) or http://host:19530 of a Milvus server")
    p.add_argument("--collection", required=True, help="the collection clipsearch wrote")
    p.add_argument("--model", help="model (default: the one the collection recorded)")
    p.add_argument("--milvus-token", default=os.environ.get("MILVUS_TOKEN", ""),
                   help="Milvus credentials, user:password or an API key (or $MILVUS_TOKEN)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (anything but loopback needs --token or --no-auth)")
    p.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    p.add_argument("--token", default="", help='require "Authorization: Bearer TOKEN"')
    p.add_argument("--no-auth", action="store_true",
                   help="allow a non-loopback address without a token")
    p.add_argument("--thumbnail-dir", help="thumbnail cache (default: ./<collection>.thumbnails)")
    p.add_argument("--threads", type=int, default=0, help="engine threads (0: all cores)")
    p.add_argument("--no-filtered-totals", action="store_true",
                   help="leave 'total' out of filtered searches: Milvus Lite counts the rows a "
                        "filter passes by a scan (17 s at 100,000 rows)")
    return p


def main(argv: List[str]) -> int:
    args = parser().parse_args(argv)
    refused = serve.check_bind(args.host, args.token, args.no_auth)
    if refused:
        print(f"serve: {refused}", file=sys.stderr)
        return 2
    try:
        library = MilvusLibrary(args.milvus, args.collection, args.model,
                                token=args.milvus_token, threads=args.threads)
        app = serve.App(library, args.thumbnail_dir or f"{args.collection}.thumbnails",
                        args.token, count_filtered=not args.no_filtered_totals)
        server = serve.make_server(app, args.host, args.port)
    except (ClipsearchError, OSError) as e:
        print(f"serve: {e}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    # As clipsearch serve says it (on stderr), which scripts and tests wait for.
    print(f"clipsearch: serving {args.milvus} collection '{args.collection}' on "
          f"http://{host}:{port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
