// The Library's answers as plain Python values (dicts and lists); clipsearch/results.py wraps
// them in dataclasses. Called with the GIL held.
#pragma once

#include <nanobind/nanobind.h>

#include "clipsearch/library.h"

namespace clipsearch::python {

nanobind::dict image_dict(const ImageInfo& image);
nanobind::dict hit_dict(const ScoredImage& hit);
nanobind::list hit_list(const std::vector<ScoredImage>& hits);
nanobind::dict search_dict(const SearchResults& results);
nanobind::list text_scores(const std::vector<TextScore>& scores);
nanobind::dict report_dict(const IndexingReport& report);
nanobind::dict status_dict(const LibraryStatus& status);
nanobind::list duplicate_groups(const std::vector<DuplicateGroup>& groups);
nanobind::list image_labels(const std::vector<ImageLabels>& rows);

}  // namespace clipsearch::python
