"""Every status code becomes the exception class the docs promise, whatever call raised it."""
import pytest

import clipsearch
from clipsearch.errors import _from_status

# clipsearch::StatusCode (include/clipsearch/status.h) and its name.
CODES = {1: "invalid argument", 2: "not found", 3: "corruption", 4: "I/O error", 5: "busy",
         6: "unavailable", 7: "unsupported", 8: "internal"}
SITES = {"model": clipsearch.ModelError, "image": clipsearch.ImageError,
         "catalog": clipsearch.CatalogError}


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("site", sorted(SITES))
def test_status_codes_map_to_classes(site, code):
    error = _from_status(site, code, CODES[code], "photos.db: something happened")
    assert isinstance(error, clipsearch.ClipsearchError)
    assert str(error) == "photos.db: something happened" and error.code == CODES[code]
    expected = {1: clipsearch.QueryError, 5: clipsearch.BusyError,
                6: clipsearch.UnavailableError}.get(code, SITES[site])
    assert type(error) is expected
    if code == 1:
        assert isinstance(error, ValueError)
    if code == 5:
        assert isinstance(error, clipsearch.CatalogError)


def test_every_class_is_exported_and_documented():
    for cls in (clipsearch.ClipsearchError, clipsearch.ModelError, clipsearch.ImageError,
                clipsearch.CatalogError, clipsearch.BusyError, clipsearch.QueryError,
                clipsearch.UnavailableError):
        assert cls.__doc__ and cls.__name__ in clipsearch.__all__
