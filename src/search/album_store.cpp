#include "search/album_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/sha256.h"
#include "search/zero_shot.h"

namespace clipsearch::search {
namespace {

// Changes whenever the themes, the exclusive flag or the model change.
std::string themes_fingerprint(const ThemeFile& file, bool exclusive,
                               const std::string& model_fingerprint) {
  nlohmann::json j;
  for (const Theme& t : file.themes) {
    j["themes"].push_back({{"name", t.name},
                           {"keywords", t.keywords},
                           {"threshold", t.threshold.value_or(kDefaultAlbumThreshold)}});
  }
  j["templates"] = file.templates;
  j["exclusive"] = exclusive;
  j["model"] = model_fingerprint;
  const std::string text = j.dump();
  return hex(sha256_bytes(text.data(), text.size()));
}

Status albums_cancelled() { return Status::unavailable("albums: cancelled"); }

// Reports the rows' progress after the themes' steps, every kAlbumRowsPerStep rows; false once
// the run is cancelled.
bool rows_step(const ScanControl& control, int64_t themes, int64_t row, int64_t rows) {
  if (row % kAlbumRowsPerStep != 0 && row != rows) return true;
  if (control.on_progress) control.on_progress(themes + row, themes + rows);
  return !(control.cancelled && control.cancelled());
}

// The albums each row of `todo` joins (members), and the rows classified (done).
struct Classified {
  std::vector<int64_t> done;
  std::vector<std::pair<std::string, AlbumMember>> members;
};

Status classify_rows(const VectorView& rows, const std::vector<int64_t>& todo,
                     const ThemeFile& file, const ThemeVectors& themes, bool exclusive,
                     const ScanControl& control, Classified* out) {
  const auto steps = static_cast<int64_t>(file.themes.size());
  for (int64_t r = 0; r < rows.count; ++r) {
    if (!rows_step(control, steps, r, rows.count)) return albums_cancelled();
    if (!std::binary_search(todo.begin(), todo.end(), rows.ids[r])) continue;
    const float* v = rows.vectors + r * rows.dim;  // [dim]
    std::vector<float> scores;
    const auto joined = album_membership(Embedding(v, v + rows.dim), themes.vectors,
                                         themes.thresholds, exclusive, &scores);
    for (size_t t : joined) {
      out->members.push_back({file.themes[t].name, AlbumMember{rows.ids[r], scores[t]}});
    }
    out->done.push_back(rows.ids[r]);
  }
  return rows_step(control, steps, rows.count, rows.count) ? Status() : albums_cancelled();
}

// Classifies the images not yet classified against these themes and stores their albums.
Result<size_t> classify_new_images(Searcher& searcher, Annotations& annotations,
                                   const ThemeFile& file, const ThemeVectors& themes,
                                   bool exclusive, const std::string& fingerprint,
                                   const ScanControl& control) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<int64_t> todo,
                              annotations.images_without_album_run(fingerprint));
  std::sort(todo.begin(), todo.end());
  // A lease, not with_rows: searches are answered while a large library is classified.
  const Searcher::RowsLease lease = searcher.lease_rows();
  Classified classified;
  CLIPSEARCH_RETURN_IF_ERROR(
      classify_rows(lease.view, todo, file, themes, exclusive, control, &classified));
  CLIPSEARCH_RETURN_IF_ERROR(
      annotations.put_album_run(fingerprint, classified.done, classified.members));
  return classified.done.size();
}

// The cosine an image must reach to join `theme`: its threshold, or for a sigmoid-scored model
// the cosine at which the model's probability reaches it.
Result<float> cosine_threshold(const Theme& theme, const ScoreScale& scale) {
  if (scale.kind != ModelInfo::ScoreKind::kSigmoid) {
    return theme.threshold.value_or(kDefaultAlbumThreshold);
  }
  const float p = theme.threshold.value_or(kDefaultAlbumProbabilityThreshold);
  if (!(p >= 0 && p <= 1)) {
    return Status::invalid_argument("theme '" + theme.name + "': threshold " + std::to_string(p) +
                                    " is not a probability; this model's album thresholds are "
                                    "probabilities between 0 and 1");
  }
  return cosine_at_probability(p, scale);
}

}  // namespace

Result<ThemeVectors> album_theme_vectors(const ThemeFile& file, QueryEmbedder& embedder,
                                         const ScanControl& control, int64_t total) {
  const auto& templates =
      file.templates.empty() ? default_templates(embedder.model().info()) : file.templates;
  const ScoreScale scale = score_scale_of(embedder.model().info());
  ThemeVectors out;
  for (const Theme& theme : file.themes) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> prompts,
                                zero_shot_prompts(theme.keywords, templates));
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<Embedding> prompt_vectors,
                                embedder.embed_texts(prompts));
    CLIPSEARCH_ASSIGN_OR_RETURN(
        std::vector<Embedding> keyword_vectors,
        zero_shot_label_vectors(prompt_vectors, theme.keywords.size(), templates.size()));
    CLIPSEARCH_ASSIGN_OR_RETURN(Embedding v, query_vector_combine(keyword_vectors, {}, {}));
    out.vectors.push_back(std::move(v));
    CLIPSEARCH_ASSIGN_OR_RETURN(float threshold, cosine_threshold(theme, scale));
    out.thresholds.push_back(threshold);
    if (control.on_progress) control.on_progress(static_cast<int64_t>(out.vectors.size()), total);
    if (control.cancelled && control.cancelled()) return albums_cancelled();
  }
  return out;
}

Result<AlbumUpdate> albums_update(Searcher& searcher, Annotations& annotations,
                                  const ThemeFile& themes, const ThemeVectors& vectors,
                                  bool exclusive, const ScanControl& control) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<ModelIdentity> model, searcher.model());
  if (!model) return Status::not_found("the index is empty (run `clipsearch index` first)");
  const std::string fingerprint = themes_fingerprint(themes, exclusive, model->fingerprint);
  AlbumUpdate update;
  std::vector<std::string> names;
  for (const Theme& t : themes.themes) names.push_back(t.name);
  CLIPSEARCH_ASSIGN_OR_RETURN(update.restarted, annotations.use_album_themes(fingerprint, names));
  CLIPSEARCH_ASSIGN_OR_RETURN(
      update.classified,
      classify_new_images(searcher, annotations, themes, vectors, exclusive, fingerprint, control));
  return update;
}

Result<std::vector<SearchResult>> album_images(Searcher& searcher, Annotations& annotations,
                                               const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<AlbumMember> members, annotations.album(name));
  std::vector<std::pair<int64_t, float>> scored;
  for (const AlbumMember& m : members) scored.emplace_back(m.image_id, m.score);
  return scored_images(searcher, scored);
}

}  // namespace clipsearch::search
