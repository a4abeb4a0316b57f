"""The files an indexing job reads: local paths or pyarrow filesystem URIs (s3://, gs://,
hdfs://, file://), listed as `clipsearch index`'s crawler lists them: folders walked
recursively, hidden names (a leading '.') skipped, sorted by path."""
import os
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from ..errors import QueryError


@dataclass(frozen=True)
class ListedFile:
    path: str  # absolute local path, or the URI the file was listed under
    size: int
    mtime_ns: int


def filesystem_of(location: str):
    """(pyarrow filesystem, path inside it, prefix that makes a listed path a URI again)."""
    import pyarrow.fs as pafs
    if "://" not in location:
        return pafs.LocalFileSystem(), os.path.abspath(os.path.expanduser(location)), ""
    try:
        fs, inside = pafs.FileSystem.from_uri(location)
    except (pafs.ArrowInvalid if hasattr(pafs, "ArrowInvalid") else ValueError, OSError) as e:
        raise QueryError(f"{location}: not a filesystem URI pyarrow can open ({e})",
                         "invalid argument") from e
    if isinstance(fs, pafs.LocalFileSystem):
        return fs, inside, ""
    return fs, inside, location.split("://", 1)[0] + "://"


def _hidden(path: str, root: str) -> bool:
    relative = path[len(root):].lstrip("/")
    return any(part.startswith(".") for part in relative.split("/"))


def list_files(locations: Sequence[str]) -> Tuple[List[ListedFile], Dict[str, str]]:
    """(every file under the locations, sorted and each once; {location: why it was skipped}
    for those missing or empty, as the indexer reports skipped roots)."""
    import pyarrow.fs as pafs
    found: Dict[str, ListedFile] = {}
    skipped: Dict[str, str] = {}
    for location in locations:
        fs, root, prefix = filesystem_of(location)
        info = fs.get_file_info(root)
        if info.type == pafs.FileType.NotFound:
            skipped[location] = "missing"
            continue
        if info.type == pafs.FileType.File:
            infos = [info]
        else:
            infos = fs.get_file_info(pafs.FileSelector(root, recursive=True))
        files = [i for i in infos
                 if i.type == pafs.FileType.File and not _hidden(i.path, root)]
        if not files:
            skipped[location] = "empty"
        for i in files:
            path = prefix + i.path
            found.setdefault(path, ListedFile(path, int(i.size), _mtime_ns(i)))
    return [found[p] for p in sorted(found)], skipped


def _mtime_ns(info) -> int:
    ns = getattr(info, "mtime_ns", None)
    return int(ns) if ns is not None else 0


def read_bytes(path: str) -> bytes:
    """The whole file, through the filesystem its path names."""
    fs, inside, _ = filesystem_of(path)
    with fs.open_input_stream(inside) as f:
        return f.readall()
