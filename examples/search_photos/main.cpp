// search_photos: index a folder of pictures and search it by text, with the clipsearch library.
//
//   search_photos CATALOG MODEL FOLDER "a dog on a beach" [more texts...]
//
// MODEL is a CLIP model folder (Hugging Face or open_clip layout). Prints, for each text, the
// best five pictures with their scores.
#include <clipsearch/library.h>
#include <clipsearch/version.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s CATALOG MODEL FOLDER TEXT...\n", argv[0]);
    return 2;
  }
  std::printf("clipsearch %s (headers %s)\n", clipsearch::version(), CLIPSEARCH_VERSION_STRING);

  clipsearch::LibraryOptions options;
  options.model = argv[2];
  auto library = clipsearch::Library::open(argv[1], options);
  if (!library.ok()) {
    std::fprintf(stderr, "%s\n", library.status().message().c_str());
    return 1;
  }
  auto report = (*library)->index({argv[3]});
  if (!report.ok()) {
    std::fprintf(stderr, "indexing failed (%s): %s\n",
                 clipsearch::status_code_name(report.status().code()),
                 report.status().message().c_str());
    return 1;
  }
  std::printf("indexed: %lld embedded, %lld unchanged, %lld failed\n",
              static_cast<long long>(report->embedded), static_cast<long long>(report->unchanged),
              static_cast<long long>(report->failed));

  for (int i = 4; i < argc; ++i) {
    auto page = (*library)->search(clipsearch::Query().text(argv[i]), 5);
    if (!page.ok()) {
      std::fprintf(stderr, "%s\n", page.status().message().c_str());
      return 1;
    }
    std::printf("%s:\n", argv[i]);
    for (const clipsearch::ScoredImage& hit : page->hits) {
      std::printf("  %.4f  %s\n", hit.score, hit.image.path.c_str());
    }
  }
  return 0;
}
