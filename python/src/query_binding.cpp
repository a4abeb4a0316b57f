#include "query_binding.h"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <vector>

#include "errors.h"

namespace nb = nanobind;

namespace clipsearch::python {
namespace {

template <class T>
std::vector<T> list_of(const nb::dict& parts, const char* key) {
  if (!parts.contains(key)) return {};
  return nb::cast<std::vector<T>>(parts[key]);
}

template <class T>
std::optional<T> optional_of(const nb::dict& parts, const char* key) {
  if (!parts.contains(key) || parts[key].is_none()) return std::nullopt;
  return nb::cast<T>(parts[key]);
}

SortOrder sort_order(const std::string& name) {
  if (name == "score") return SortOrder::kScore;
  if (name == "newest") return SortOrder::kDateNewest;
  if (name == "oldest") return SortOrder::kDateOldest;
  raise_status(
      ErrorSite::kQuery,
      Status::invalid_argument("sort='" + name + "': expected 'score', 'newest' or 'oldest'"));
}

}  // namespace

Query query_from_dict(const nb::dict& parts) {
  Query query;
  QueryOptionNames names;
  names.color = "color=";
  names.color_weight = "color_weight=";
  names.pictures = "image= or like=";
  names.image_weight = "image_weight=";
  names.negative_weight = "negative_weight=";
  query.option_names(names);
  for (std::string& text : list_of<std::string>(parts, "texts")) query.text(std::move(text));
  for (std::string& path : list_of<std::string>(parts, "picture_files")) {
    query.picture_file(std::move(path));
  }
  if (parts.contains("picture_bytes")) {
    for (nb::handle item : nb::borrow<nb::list>(parts["picture_bytes"])) {
      nb::bytes bytes = nb::cast<nb::bytes>(item[0]);
      query.picture_bytes(std::string(bytes.c_str(), bytes.size()), nb::cast<std::string>(item[1]));
    }
  }
  for (int64_t id : list_of<int64_t>(parts, "like_ids")) query.like(id);
  for (std::string& path : list_of<std::string>(parts, "like_paths")) {
    query.like_path(std::move(path));
  }
  for (std::string& text : list_of<std::string>(parts, "negatives")) {
    query.negative(std::move(text));
  }
  if (auto w = optional_of<float>(parts, "image_weight")) query.image_weight(*w);
  if (auto w = optional_of<float>(parts, "negative_weight")) query.negative_weight(*w);
  if (auto color = optional_of<std::string>(parts, "color")) query.color(*color);
  if (auto w = optional_of<float>(parts, "color_weight")) query.color_weight(*w);
  for (std::string& folder : list_of<std::string>(parts, "folders")) {
    query.folder(std::move(folder));
  }
  auto after = optional_of<int64_t>(parts, "taken_after_ns");
  auto before = optional_of<int64_t>(parts, "taken_before_ns");
  if (after || before) query.taken_between(after, before);
  auto modified_after = optional_of<int64_t>(parts, "modified_after_ns");
  auto modified_before = optional_of<int64_t>(parts, "modified_before_ns");
  if (modified_after || modified_before) query.modified_between(modified_after, modified_before);
  auto min_size = optional_of<int64_t>(parts, "min_size");
  auto max_size = optional_of<int64_t>(parts, "max_size");
  if (min_size || max_size) query.size_between(min_size, max_size);
  for (std::string& format : list_of<std::string>(parts, "formats")) {
    query.format(std::move(format));
  }
  for (std::string& camera : list_of<std::string>(parts, "cameras")) {
    query.camera(std::move(camera));
  }
  if (auto tag = optional_of<std::string>(parts, "tag")) {
    query.tag(*tag, optional_of<float>(parts, "tag_min_probability").value_or(0.0f));
  }
  if (auto album = optional_of<std::string>(parts, "album")) query.album(*album);
  if (auto min = optional_of<float>(parts, "min_score")) query.min_score(*min);
  if (auto sort = optional_of<std::string>(parts, "sort")) query.sort(sort_order(*sort));
  return query;
}

}  // namespace clipsearch::python
