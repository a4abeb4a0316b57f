"""python -m clipsearch.distributed COMMAND ...: the distributed path's commands."""
import sys


def main(argv) -> int:
    commands = {"serve": "serve_cli"}
    if not argv or argv[0] not in commands:
        print("usage: python -m clipsearch.distributed {" + ",".join(commands) + "} ...",
              file=sys.stderr)
        return 2
    import importlib
    return importlib.import_module(f"clipsearch.distributed.{commands[argv[0]]}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
