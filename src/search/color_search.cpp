#include "search/color_search.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>

#include "index/dot.h"

namespace clipsearch::search {
namespace {

std::string weight_text(float w) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(w));
  return text;
}

// (1 - w) * clip + w * colour, leaving out a term whose weight is 0 (its bound may be -inf).
float mix(float w, float clip, float colour) {
  if (w <= 0) return clip;
  if (w >= 1) return colour;
  return (1 - w) * clip + w * colour;
}

int64_t row_of(const VectorView& view, int64_t id) {
  const int64_t* end = view.ids + view.count;
  const int64_t* it = std::lower_bound(view.ids, end, id);
  return it != end && *it == id ? it - view.ids : -1;
}

// Colour similarity of every row the filter allows, as hits (id, similarity); -1 in
// `by_row` for the rows it does not.
std::vector<SearchHit> color_scores(const VectorView& view, const float* colors,
                                    const ColorQuery& color, const IdFilter* filter,
                                    std::vector<float>* by_row) {
  std::vector<SearchHit> hits;
  by_row->assign(static_cast<size_t>(view.count), -1.0f);
  for (int64_t r = 0; r < view.count; ++r) {
    if (filter && !filter->allows(view.ids[r])) continue;
    const float s = color_similarity_packed(color.signature, colors + r * kColorSignatureFloats);
    (*by_row)[static_cast<size_t>(r)] = s;
    hits.push_back({view.ids[r], s});
  }
  return hits;
}

}  // namespace

bool color_request_needs_pictures(const ColorRequest& request) {
  return !request.color && request.weight && *request.weight > 0;
}

Result<std::optional<ColorQuery>> color_query_make(const ColorRequest& request,
                                                   const std::vector<ColorSignature>& pictures,
                                                   const ColorOptionNames& names) {
  using Out = std::optional<ColorQuery>;
  ColorQuery query;
  if (request.weight) {
    query.weight = *request.weight;
    if (!(query.weight >= 0 && query.weight <= 1)) {
      return Status::invalid_argument(names.weight + ": must be between 0 and 1, got " +
                                      weight_text(query.weight));
    }
  }
  if (request.color) {
    Result<std::array<uint8_t, 3>> rgb = color_parse(*request.color);
    if (!rgb.ok()) {
      return Status::invalid_argument(names.color + ": '" + *request.color +
                                      "' is not a colour: use #rrggbb or a CSS colour name");
    }
    query.signature = color_signature_of(rgb->data());
  } else if (!request.weight) {
    return Out();
  } else if (query.weight > 0) {
    query.signature = color_signature_merge(pictures);
    if (query.signature.colors.empty()) {
      return Status::invalid_argument(names.weight + " needs a colour: give " + names.color +
                                      " or " + names.pictures +
                                      " (a picture whose colours to match)");
    }
  }
  if (query.weight == 0) return Out();
  return Out(std::move(query));
}

ColorSignature color_signature_merge(const std::vector<ColorSignature>& parts) {
  ColorSignature out;
  size_t with_colors = 0;
  for (const ColorSignature& p : parts) with_colors += p.colors.empty() ? 0 : 1;
  for (const ColorSignature& p : parts) {
    for (ColorSignature::Color c : p.colors) {
      c.weight /= static_cast<float>(with_colors);
      out.colors.push_back(c);
    }
  }
  return out;
}

namespace {

// Every allowed row scored: one pass over the embeddings, cheaper than repeated scans for
// candidates when nothing faster than a scan gives the CLIP side.
std::vector<SearchHit> mix_every_row(const VectorView& view, const float* query, float w,
                                     std::vector<SearchHit> by_color, int64_t n) {
  // by_color is in row order, so without a filter its i-th hit is row i.
  const bool every_row = static_cast<int64_t>(by_color.size()) == view.count;
  if (w < 1) {  // at W = 1 the colour similarity already is the score
    std::vector<float> cos;
    if (every_row) {
      cos.resize(static_cast<size_t>(view.count));
      dot_rows(query, view.vectors, view.count, view.dim, cos.data());
    }
    for (size_t i = 0; i < by_color.size(); ++i) {
      SearchHit& h = by_color[i];
      const float c =
          every_row ? cos[i] : dot(query, view.vectors + row_of(view, h.id) * view.dim, view.dim);
      h.score = mix(w, c, h.score);
    }
  }
  std::partial_sort(by_color.begin(), by_color.begin() + n, by_color.end(), ranks_before);
  by_color.resize(static_cast<size_t>(n));
  return by_color;
}

}  // namespace

std::vector<SearchHit> color_mixed_search(const VectorView& view, const float* colors,
                                          const float* query, const ColorQuery& color,
                                          const SearchOptions& options, const ClipSearch& clip) {
  std::vector<float> color_by_row;
  std::vector<SearchHit> by_color =
      color_scores(view, colors, color, options.filter, &color_by_row);
  const auto allowed = static_cast<int64_t>(by_color.size());
  const int64_t n = std::min(options.k, allowed);
  if (n <= 0) return {};
  const float w = color.weight;
  if (!clip) return mix_every_row(view, query, w, std::move(by_color), n);
  for (int64_t c = std::max(n, kColorCandidates);; c *= 4) {
    c = std::min(c, allowed);
    std::partial_sort(by_color.begin(), by_color.begin() + c, by_color.end(), ranks_before);
    SearchOptions o = options;
    o.k = c;
    o.min_score = -std::numeric_limits<float>::infinity();
    // W = 1 needs no CLIP candidates: the colour list alone is the ranking.
    const std::vector<SearchHit> by_clip = w < 1 ? clip(o) : std::vector<SearchHit>();
    std::unordered_map<int64_t, float> clip_of;
    for (const SearchHit& h : by_clip) clip_of.emplace(h.id, h.score);
    std::vector<SearchHit> mixed;
    for (const SearchHit& h : by_clip) {
      const int64_t r = row_of(view, h.id);
      if (r >= 0) mixed.push_back({h.id, mix(w, h.score, color_by_row[static_cast<size_t>(r)])});
    }
    for (int64_t i = 0; i < c; ++i) {
      const SearchHit& h = by_color[static_cast<size_t>(i)];
      if (clip_of.count(h.id)) continue;
      const float cos =
          w < 1 ? dot(query, view.vectors + row_of(view, h.id) * view.dim, view.dim) : 0.0f;
      mixed.push_back({h.id, mix(w, cos, h.score)});
    }
    std::sort(mixed.begin(), mixed.end(), ranks_before);
    if (static_cast<int64_t>(mixed.size()) > n) mixed.resize(static_cast<size_t>(n));
    if (c >= allowed) return mixed;  // every allowed row was scored
    // The best an unseen row can score: at most the c-th of each list (an incomplete CLIP list
    // bounds nothing, so cosine's maximum, 1).
    const float clip_bound =
        static_cast<int64_t>(by_clip.size()) >= c ? by_clip[static_cast<size_t>(c - 1)].score : 1;
    const float bound = mix(w, clip_bound, by_color[static_cast<size_t>(c - 1)].score);
    if (static_cast<int64_t>(mixed.size()) == n && mixed.back().score > bound) return mixed;
  }
}

}  // namespace clipsearch::search
