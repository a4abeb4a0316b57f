// A search's keyword arguments (normalized by clipsearch/library.py into a dict of lists and
// numbers) become one clipsearch::Query, through its builder: the same query the CLI and the
// server build for the same request.
#pragma once

#include <nanobind/nanobind.h>

#include "clipsearch/query.h"

namespace clipsearch::python {

// Raises QueryError for a value the builder cannot take (an unknown sort order, ...).
Query query_from_dict(const nanobind::dict& parts);

}  // namespace clipsearch::python
