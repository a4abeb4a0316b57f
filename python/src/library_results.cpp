#include "library_results.h"

#include <nanobind/stl/string.h>

namespace nb = nanobind;

namespace clipsearch::python {

nb::dict image_dict(const ImageInfo& image) {
  nb::dict d;
  d["id"] = image.id;
  d["path"] = image.path;
  d["size"] = image.bytes;
  d["width"] = image.width;
  d["height"] = image.height;
  d["format"] = image.format;
  d["taken_ns"] = image.taken_ns;
  d["duration_ms"] = image.duration_ms;
  d["camera"] = image.camera;
  return d;
}

nb::dict hit_dict(const ScoredImage& hit) {
  nb::dict d = image_dict(hit.image);
  d["score"] = hit.score;
  if (hit.time) {
    d["time"] = *hit.time;
  } else {
    d["time"] = nb::none();
  }
  return d;
}

nb::list hit_list(const std::vector<ScoredImage>& hits) {
  nb::list list;
  for (const ScoredImage& hit : hits) list.append(hit_dict(hit));
  return list;
}

nb::dict search_dict(const SearchResults& results) {
  nb::dict d;
  d["hits"] = hit_list(results.hits);
  d["candidates"] = results.candidates;
  d["best_score"] = results.best_score;
  d["score_kind"] = results.score_kind == ScoreKind::kProbability ? "probability" : "cosine";
  d["generation"] = results.generation;
  if (results.above_min_score) {
    d["kept"] = *results.above_min_score;
  } else {
    d["kept"] = nb::none();
  }
  return d;
}

nb::list text_scores(const std::vector<TextScore>& scores) {
  nb::list list;
  for (const TextScore& s : scores) {
    nb::dict d;
    d["text"] = s.text;
    d["cosine"] = s.cosine;
    d["probability"] = s.probability;
    list.append(d);
  }
  return list;
}

nb::dict report_dict(const IndexingReport& r) {
  nb::dict d;
  d["files"] = r.files;
  d["unchanged"] = r.unchanged;
  d["embedded"] = r.embedded;
  d["imported"] = r.imported;
  d["reused"] = r.reused;
  d["moved"] = r.moved;
  d["touched"] = r.touched;
  d["removed"] = r.removed;
  d["colored"] = r.colored;
  d["failed"] = r.failed;
  d["not_images"] = r.not_images;
  d["decoded"] = r.decoded;
  d["videos"] = r.videos;
  d["frames"] = r.frames;
  nb::list failures;
  for (const auto& f : r.failures) failures.append(nb::make_tuple(f.path, f.message));
  d["failures"] = failures;
  nb::list skipped;
  for (const auto& s : r.skipped_folders) {
    nb::dict folder;
    folder["path"] = s.path;
    folder["reason"] = s.reason;
    folder["message"] = s.message;
    folder["kept"] = s.kept;
    skipped.append(folder);
  }
  d["skipped_folders"] = skipped;
  d["images"] = r.images;
  d["errors"] = r.errors;
  d["generation"] = r.generation;
  nb::list warnings;
  for (const auto& w : r.warnings) warnings.append(w);
  d["warnings"] = warnings;
  return d;
}

nb::dict status_dict(const LibraryStatus& s) {
  nb::dict d;
  d["catalog"] = s.catalog;
  if (s.model) {
    nb::dict model;
    model["name"] = s.model->name;
    model["fingerprint"] = s.model->fingerprint;
    model["embed_dim"] = s.model->embed_dim;
    model["pipeline"] = s.model->pipeline;
    model["precision"] = s.model->precision;
    d["model"] = model;
  } else {
    d["model"] = nb::none();
  }
  d["catalog_id"] = s.catalog_id ? nb::cast(*s.catalog_id) : nb::none();
  d["images"] = s.images;
  d["errors"] = s.errors;
  d["generation"] = s.generation;
  nb::list folders;
  for (const auto& f : s.folders) folders.append(f);
  d["folders"] = folders;
  nb::list kinds;
  for (const LibraryStatus::Kind& k : s.kinds) {
    nb::dict kind;
    kind["format"] = k.format;
    kind["video"] = k.video;
    kind["items"] = k.items;
    kind["frames"] = k.frames;
    kinds.append(kind);
  }
  d["kinds"] = kinds;
  nb::list failures;
  for (const auto& f : s.failures) failures.append(nb::make_tuple(f.path, f.message));
  d["failures"] = failures;
  return d;
}

nb::list duplicate_groups(const std::vector<DuplicateGroup>& groups) {
  nb::list list;
  for (const DuplicateGroup& g : groups) {
    nb::list images;
    for (const ImageInfo& image : g.images) images.append(image_dict(image));
    nb::dict d;
    d["images"] = images;
    d["min_similarity"] = g.min_similarity;
    list.append(d);
  }
  return list;
}

nb::list image_labels(const std::vector<ImageLabels>& rows) {
  nb::list list;
  for (const ImageLabels& row : rows) {
    nb::dict d;
    d["image"] = image_dict(row.image);
    d["labels"] = text_scores(row.labels);
    list.append(d);
  }
  return list;
}

}  // namespace clipsearch::python
