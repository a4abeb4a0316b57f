"""The local search's filters (include/clipsearch/query.h; the catalog's filter_ids) as a
Milvus boolean expression over the collection's fields. The same rules:
folders: path in [folder + "/", folder + "0") (a byte range: the folder's files and
subfolders, never a LIKE pattern); dates taken, sizes: inclusive bounds; formats and cameras:
any of them; examples ("like") left out by id."""
from typing import List, Optional, Sequence

_FORMAT_ALIASES = {"jpg": "jpeg"}  # search/query_plan.cpp query_format_name


def quote(text: str) -> str:
    """A Milvus string literal: backslashes and double quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def folder_range(folder: str) -> str:
    folder = folder.rstrip("/") if folder != "/" else ""
    return f"(path >= {quote(folder + '/')} and path < {quote(folder + '0')})"


def format_name(name: str) -> str:
    lower = name.lower()
    return _FORMAT_ALIASES.get(lower, lower)


def expression(folders: Sequence[str] = (), taken_after_ns: Optional[int] = None,
               taken_before_ns: Optional[int] = None, min_bytes: Optional[int] = None,
               max_bytes: Optional[int] = None, formats: Sequence[str] = (),
               cameras: Sequence[str] = (), exclude_ids: Sequence[int] = ()) -> str:
    """The conjunction of the filters given ("" when none)."""
    terms: List[str] = []
    if folders:
        terms.append("(" + " or ".join(folder_range(f) for f in folders) + ")")
    if taken_after_ns is not None:
        terms.append(f"taken_ns >= {int(taken_after_ns)}")
    if taken_before_ns is not None:
        terms.append(f"taken_ns <= {int(taken_before_ns)}")
    if min_bytes is not None:
        terms.append(f"size >= {int(min_bytes)}")
    if max_bytes is not None:
        terms.append(f"size <= {int(max_bytes)}")
    if formats:
        terms.append("format in [" + ", ".join(quote(format_name(f)) for f in formats) + "]")
    if cameras:
        terms.append("camera in [" + ", ".join(quote(c) for c in cameras) + "]")
    if exclude_ids:
        terms.append("id not in [" + ", ".join(str(int(i)) for i in exclude_ids) + "]")
    return " and ".join(terms)
