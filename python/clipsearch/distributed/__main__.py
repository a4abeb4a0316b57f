"""python -m clipsearch.distributed index --model M (--output DIR | --milvus URI --collection C)
[--address ray://host:10001 | HOST:PORT | auto] [--batch-size N] [--actors N] [--precision P]
PATHS...
python -m clipsearch.distributed serve --milvus URI --collection C [--model M] [--port N] ...
(serve_cli.py: the HTTP API and web page of `clipsearch serve` over the collection)

Exit status, as clipsearch index's: 0 all indexed; 3 some files failed (listed on stderr and
in the job's failures/) or PATHS were skipped (missing, empty); 1 the job could not run (the
message says why); 2 a bad command line."""
import argparse
import sys

from ..errors import ClipsearchError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m clipsearch.distributed",
                                     description="clipsearch on a Ray cluster")
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser(
        "index", help="embed images on a Ray cluster into parquet shards or Milvus",
        description="Lists the images under PATHS (local paths or pyarrow filesystem URIs: "
                    "s3://, gs://, hdfs://, file://), decodes them in Ray tasks and embeds them "
                    "in an actor pool. Resumable: run the same command again after a failure.")
    index.add_argument("paths", nargs="+", metavar="PATHS")
    index.add_argument("--model", required=True,
                       help="a model folder, preset or hub repository (as clipsearch index)")
    out = index.add_mutually_exclusive_group(required=True)
    out.add_argument("--output", metavar="DIR", help="parquet shards in clip-retrieval's layout")
    out.add_argument("--milvus", metavar="URI",
                     help="a Milvus Lite file (*.db) or server (http://host:19530)")
    index.add_argument("--collection", help="the Milvus collection (with --milvus)")
    index.add_argument("--token", default="", help="Milvus token (user:password)")
    index.add_argument("--state", metavar="DIR",
                       help="the job's manifest folder (default: DIR/_job, or <db>.<collection>"
                            ".job beside a Milvus Lite file)")
    index.add_argument("--address", default=None,
                       help="the Ray cluster (default: a local one for this job; auto: the "
                            "running cluster)")
    index.add_argument("--batch-size", type=int, default=32, help="images per forward pass")
    index.add_argument("--actors", type=int, default=1, help="embedding actors (one model each)")
    index.add_argument("--cpus-per-actor", type=int, default=1, help="cores of each actor")
    index.add_argument("--shard-size", type=int, default=1000,
                       help="files per shard, the unit that is written and resumed")
    index.add_argument("--precision", default="f32",
                       help="f32, bf16, f16, int8 or int8-dynamic (as clipsearch index)")
    index.add_argument("--exif", default="apply", choices=("apply", "ignore"))
    index.add_argument("--decode", default="exact", choices=("exact", "fast"))
    index.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    commands.add_parser("serve", add_help=False,
                        help="the HTTP API and web page of clipsearch serve over a Milvus "
                             "collection (serve --help for its options)")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # its own parser (serve_cli.py)
        from . import serve_cli
        return serve_cli.main(argv[1:])
    args = _parser().parse_args(argv)
    from .pipeline import index
    try:
        report = index(args.paths, model=args.model, output=args.output, milvus=args.milvus,
                       collection=args.collection, token=args.token, state=args.state,
                       address=args.address, batch_size=args.batch_size, actors=args.actors,
                       cpus_per_actor=args.cpus_per_actor, precision=args.precision,
                       exif=args.exif, decode=args.decode, shard_size=args.shard_size,
                       progress=not args.quiet)
    except ClipsearchError as e:
        print(f"clipsearch.distributed: {e}", file=sys.stderr)
        return 1
    for path, message in report.failures:
        print(f"failed: {path}: {message}", file=sys.stderr)
    return 3 if report.failures or report.skipped_locations else 0


if __name__ == "__main__":
    sys.exit(main())
