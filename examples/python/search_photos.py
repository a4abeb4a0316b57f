"""Index a folder of photos and search it by words, with the clipsearch Python package.

    python examples/python/search_photos.py MODEL FOLDER "a dog on a summer beach" [-k 5]

MODEL: a model folder, a preset (clip-vit-base-patch32) or a hub repository. The catalog is
FOLDER/.clipsearch.db; running it again reads only new and changed photos."""
import argparse
import os

import clipsearch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("folder")
    parser.add_argument("query")
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()

    library = clipsearch.Library(os.path.join(args.folder, ".clipsearch.db"), args.model)
    report = library.index([args.folder], progress=True)
    print(f"{report.images} photos indexed ({report.embedded} new, {report.failed} unreadable)")
    for hit in library.search(args.query, k=args.k):
        print(f"{hit.score:.3f}  {hit.date:%Y-%m-%d}  {hit.path}")


if __name__ == "__main__":
    try:
        main()
    except clipsearch.ClipsearchError as e:
        raise SystemExit(f"search_photos: {e}")
