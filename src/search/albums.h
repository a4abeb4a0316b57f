// Automatic albums: themes (a name and keywords) matched against image embeddings.
//
// A theme's vector is the normalized mean of its keywords' vectors, each keyword's vector being
// the prompt ensemble of the theme file's templates (zero_shot.h). An image joins every album
// whose cosine with it reaches the theme's threshold, or, when exclusive, only the best such
// album. Thresholds are model-dependent (random-weight and published models score very
// differently), so the theme file can set one per theme and a default; when it sets none, 0.3.
// For a model whose scores are sigmoid probabilities (SigLIP) a threshold is that probability
// (0..1, "how likely this theme describes the picture"), 0.1 when none is set: SigLIP's
// probabilities of short prompts are low even for good matches.
//
// Theme file (JSON), either form:
//   {"threshold": 0.25, "templates": ["a photo of {}."],
//    "themes": [{"name": "travel", "keywords": ["mountain", "beach"], "threshold": 0.3}, ...]}
//   {"travel": ["mountain", "beach", "landmark"], "food": ["pizza", "a plate of pasta"]}
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "search/query_vector.h"

namespace clipsearch::search {

inline constexpr float kDefaultAlbumThreshold = 0.3f;             // a cosine
inline constexpr float kDefaultAlbumProbabilityThreshold = 0.1f;  // a sigmoid probability

struct Theme {
  std::string name;
  std::vector<std::string> keywords;
  std::optional<float> threshold;  // none: the model's default (above)
};

struct ThemeFile {
  std::vector<Theme> themes;
  std::vector<std::string> templates;  // empty: zero_shot.h's default_templates
};

// `name` is used in error messages (the file's path).
Result<ThemeFile> album_themes_parse(const std::string& json_text, const std::string& name);
Result<ThemeFile> album_themes_load(const std::string& path);

// The album indices an image joins, best first (ties: lower index). `scores`, when given,
// receives the image's cosine with every theme.
std::vector<size_t> album_membership(const Embedding& image,
                                     const std::vector<Embedding>& theme_vectors,
                                     const std::vector<float>& thresholds, bool exclusive,
                                     std::vector<float>* scores = nullptr);

}  // namespace clipsearch::search
