"""The exceptions clipsearch raises. Each carries the message the command-line tool prints for
the same failure, and `code`, the kind of failure ("not found", "corruption", ...: the C++
library's StatusCode as words).

    ClipsearchError
    ├── ModelError         a model that cannot be found, read or run
    ├── ImageError         a picture that cannot be read (missing, corrupt, unsupported, too large)
    ├── CatalogError       the catalog: unreadable, of another model, an id or album not there
    │   └── BusyError      another process is indexing the catalog: try again later
    ├── QueryError         a malformed argument (also a ValueError)
    └── UnavailableError   temporarily unable (a queue is full): retry
"""


class ClipsearchError(Exception):
    """Base of every clipsearch error. `code`: "not found", "corruption", "i/o error", ..."""

    def __init__(self, message, code="internal"):
        super().__init__(message)
        self.code = code


class ModelError(ClipsearchError):
    """A model folder or name that cannot be found, read, or run."""


class ImageError(ClipsearchError):
    """A picture that cannot be read: missing, corrupt, truncated, unsupported or too large."""


class CatalogError(ClipsearchError):
    """The catalog (or its index files) cannot be used, or holds no such image, label or album."""


class BusyError(CatalogError):
    """Another process holds the catalog (it is indexing): try again when it is done."""


class QueryError(ClipsearchError, ValueError):
    """An argument that is malformed or out of range."""


class UnavailableError(ClipsearchError):
    """Temporarily unable to answer: retry."""


# clipsearch::StatusCode values (include/clipsearch/status.h).
_INVALID_ARGUMENT, _BUSY, _UNAVAILABLE = 1, 5, 6

_SITE_CLASSES = {"model": ModelError, "image": ImageError, "catalog": CatalogError,
                 "query": QueryError}


def _from_status(site, code, code_name, message):
    """The exception for a failed Status of a call about `site` (called by the C++ module)."""
    if code == _INVALID_ARGUMENT:
        cls = QueryError
    elif code == _BUSY:
        cls = BusyError
    elif code == _UNAVAILABLE:
        cls = UnavailableError
    else:
        cls = _SITE_CLASSES.get(site, ClipsearchError)
    return cls(message, code_name)
