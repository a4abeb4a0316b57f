#include "clipsearch/query.h"

#include <utility>

namespace clipsearch {

Query& Query::text(std::string text) {
  parts_.texts.push_back(std::move(text));
  return *this;
}

Query& Query::picture_file(std::string path) {
  parts_.pictures.push_back({path, "", path});
  return *this;
}

Query& Query::picture_bytes(std::string encoded, std::string name) {
  parts_.pictures.push_back({"", std::move(encoded), std::move(name)});
  return *this;
}

Query& Query::like(int64_t image_id) {
  parts_.example_ids.push_back(image_id);
  return *this;
}

Query& Query::like_path(std::string path) {
  parts_.example_paths.push_back(std::move(path));
  return *this;
}

Query& Query::negative(std::string text) {
  parts_.negatives.push_back(std::move(text));
  return *this;
}

Query& Query::image_weight(float weight) {
  parts_.image_weight = weight;
  return *this;
}

Query& Query::negative_weight(float weight) {
  parts_.negative_weight = weight;
  return *this;
}

Query& Query::color(std::string css_color) {
  parts_.color = std::move(css_color);
  return *this;
}

Query& Query::color_weight(float weight) {
  parts_.color_weight = weight;
  return *this;
}

Query& Query::folder(std::string absolute_folder) {
  parts_.folders.push_back(std::move(absolute_folder));
  return *this;
}

Query& Query::taken_between(std::optional<int64_t> after_ns, std::optional<int64_t> before_ns) {
  parts_.taken_after_ns = after_ns;
  parts_.taken_before_ns = before_ns;
  return *this;
}

Query& Query::modified_between(std::optional<int64_t> after_ns, std::optional<int64_t> before_ns) {
  parts_.modified_after_ns = after_ns;
  parts_.modified_before_ns = before_ns;
  return *this;
}

Query& Query::date_between(DateField field, std::optional<int64_t> after_ns,
                           std::optional<int64_t> before_ns) {
  return field == DateField::kTaken ? taken_between(after_ns, before_ns)
                                    : modified_between(after_ns, before_ns);
}

Query& Query::size_between(std::optional<int64_t> min_bytes, std::optional<int64_t> max_bytes) {
  parts_.min_bytes = min_bytes;
  parts_.max_bytes = max_bytes;
  return *this;
}

Query& Query::format(std::string format) {
  parts_.formats.push_back(std::move(format));
  return *this;
}

Query& Query::camera(std::string camera) {
  parts_.cameras.push_back(std::move(camera));
  return *this;
}

Query& Query::tag(std::string label, float min_probability) {
  parts_.tag = std::move(label);
  parts_.tag_min_probability = min_probability;
  return *this;
}

Query& Query::album(std::string name) {
  parts_.album = std::move(name);
  return *this;
}

Query& Query::min_score(float score) {
  parts_.min_score = score;
  return *this;
}

Query& Query::sort(SortOrder order) {
  parts_.sort = order;
  return *this;
}

Query& Query::option_names(QueryOptionNames names) {
  parts_.names = std::move(names);
  return *this;
}

}  // namespace clipsearch
