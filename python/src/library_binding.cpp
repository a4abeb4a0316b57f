// clipsearch.Library (the C++ side; clipsearch/library.py is the Python face): every call
// releases the GIL while the library works, so other Python threads run and several threads
// may search at once.
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "clipsearch/library.h"
#include "errors.h"
#include "library_results.h"
#include "model_binding.h"
#include "query_binding.h"

namespace nb = nanobind;

namespace clipsearch::python {
namespace {

VectorIndex vector_index_from_name(const std::string& name) {
  if (name == "auto") return VectorIndex::kAuto;
  if (name == "exact") return VectorIndex::kExact;
  if (name == "hnsw") return VectorIndex::kHnsw;
  raise_status(ErrorSite::kQuery, Status::invalid_argument(
                                      "index='" + name + "': expected 'auto', 'exact' or 'hnsw'"));
}

// A picture from Python: a path (str) or (bytes, name).
QueryPicture picture_of(nb::handle item) {
  QueryPicture picture;
  if (nb::isinstance<nb::str>(item)) {
    picture.path = nb::cast<std::string>(item);
    return picture;
  }
  nb::bytes bytes = nb::cast<nb::bytes>(item[0]);
  picture.bytes.assign(bytes.c_str(), bytes.size());
  picture.name = nb::cast<std::string>(item[1]);
  return picture;
}

// Where a failure of a call that reads a picture belongs: the picture's (ImageError) when the
// model is loaded and the code is one a picture causes.
ErrorSite picture_site(const Status& status) {
  return is_file_problem(status.code()) ? ErrorSite::kImage : ErrorSite::kCatalog;
}

// Progress callbacks run Python on the indexing thread; a Python exception raised there is
// kept and raised again once the library returns.
struct ProgressRelay {
  nb::object callback;
  std::optional<nb::python_error> error;

  std::function<void(const IndexingProgress&)> function() {
    if (callback.is_none()) return {};
    return [this](const IndexingProgress& p) { call(p.done, p.total, p.failed); };
  }
  // For hooks of (done, total), as AlbumsOptions has.
  std::function<void(int64_t, int64_t)> steps() {
    if (callback.is_none()) return {};
    return [this](int64_t done, int64_t total) { call(done, total); };
  }
  // True once the callback raised: the work stops, and raise_pending() raises that instead.
  bool failed() const { return error.has_value(); }
  template <typename... Args>
  void call(Args... args) {
    nb::gil_scoped_acquire acquire;
    if (error) return;
    try {
      callback(args...);
    } catch (nb::python_error& e) {
      error.emplace(std::move(e));
    }
  }
  void raise_pending() {
    if (error) {
      error->restore();
      throw nb::python_error();
    }
  }
};

// Runs a library call without the GIL; its failure raised as an error of `site`.
template <class F>
auto call(ErrorSite site, F&& f) {
  auto result = [&] {
    nb::gil_scoped_release unlocked;
    return f();
  }();
  return value_or_raise(site, std::move(result));
}

// [(name, images)] of rows that count the images of something named (albums, folders, cameras).
template <typename Row>
nb::list name_counts(const std::vector<Row>& rows, std::string Row::*name) {
  nb::list list;
  for (const Row& row : rows) list.append(nb::make_tuple(row.*name, row.images));
  return list;
}

void load_model_of(Library& library) {
  Status status;
  {
    nb::gil_scoped_release unlocked;
    status = library.load_model();
  }
  check(ErrorSite::kModel, status);
}

// A call that reads a picture: the model is loaded first (its failures are ModelError), so what
// fails after is the picture's or the catalog's.
template <class F>
auto picture_call(Library& library, F&& f) {
  load_model_of(library);
  auto result = [&] {
    nb::gil_scoped_release unlocked;
    return f();
  }();
  if (!result.ok()) raise_status(picture_site(result.status()), result.status());
  return std::move(result).value();
}

class PythonLibrary {
 public:
  PythonLibrary() = default;

  static std::unique_ptr<PythonLibrary> open(const std::string& db, bool model_only,
                                             const std::string& model, const std::string& precision,
                                             const std::string& device, int threads,
                                             const std::string& exif, const std::string& decode,
                                             const std::string& index) {
    LibraryOptions options;
    options.model = model;
    options.model_options.precision = precision_from_name(precision);
    options.model_options.device = device_from_name(device);
    options.model_options.threads = threads;
    options.decode = decode_options_from(exif, decode);
    options.index = vector_index_from_name(index);
    options.download_progress = terminal_progress();
    Result<std::unique_ptr<Library>> library = Status::error("not opened");
    {
      nb::gil_scoped_release unlocked;
      library = model_only ? Library::open_model(options) : Library::open(db, options);
    }
    auto self = std::make_unique<PythonLibrary>();
    self->library_ = value_or_raise(ErrorSite::kCatalog, std::move(library));
    return self;
  }

  nb::dict index(const std::vector<std::string>& folders, const std::vector<std::string>& excludes,
                 int batch_size, int workers, nb::object progress, nb::object precomputed_paths,
                 nb::object precomputed) {
    IndexingOptions options;
    options.excludes = excludes;
    options.batch_size = batch_size;
    options.workers = workers;
    ProgressRelay relay{progress, {}};
    options.on_progress = relay.function();
    Imported imported = imported_from(precomputed_paths, precomputed);
    if (!imported.rows.empty()) {
      options.precomputed = [&imported](const std::string& path, int64_t dim, float* out) {
        const auto it = imported.rows.find(path);
        if (it == imported.rows.end()) return false;
        if (static_cast<size_t>(dim) != imported.dim) {
          imported.wrong_dim = static_cast<size_t>(dim);
          return false;  // the model embeds it; the caller is told below
        }
        std::memcpy(out, imported.vectors + it->second * imported.dim,
                    imported.dim * sizeof(float));
        return true;
      };
    }
    Result<IndexingReport> report = Status::error("not run");
    {
      nb::gil_scoped_release unlocked;
      report = library_->index(folders, options);
    }
    relay.raise_pending();
    if (!report.ok()) raise_indexing_error(report.status());
    if (imported.wrong_dim != 0) {
      raise_status(ErrorSite::kQuery,
                   Status::invalid_argument(
                       "import: the embeddings have " + std::to_string(imported.dim) +
                       " values, the model's have " + std::to_string(imported.wrong_dim) +
                       " (the model embedded those images instead)"));
    }
    return report_dict(value_or_raise(ErrorSite::kCatalog, std::move(report)));
  }

  nb::dict reindex(const std::string& output, int batch_size, int workers, nb::object progress) {
    IndexingOptions options;
    options.batch_size = batch_size;
    options.workers = workers;
    ProgressRelay relay{progress, {}};
    options.on_progress = relay.function();
    Result<IndexingReport> report = Status::error("not run");
    {
      nb::gil_scoped_release unlocked;
      report = library_->reindex(output, options);
    }
    relay.raise_pending();
    if (!report.ok()) raise_indexing_error(report.status());
    return report_dict(*report);
  }

  nb::dict status(size_t max_failures) {
    return status_dict(call(ErrorSite::kCatalog, [&] { return library_->status(max_failures); }));
  }

  nb::dict search(const nb::dict& parts, int64_t k, int64_t offset) {
    const Query query = query_from_dict(parts);
    const bool pictures = !query.parts().pictures.empty();
    if (pictures) load_model();
    Result<SearchResults> results = Status::error("not run");
    {
      nb::gil_scoped_release unlocked;
      results = library_->search(query, k, offset);
    }
    if (!results.ok()) {
      const bool examples =
          !query.parts().example_ids.empty() || !query.parts().example_paths.empty();
      raise_status(pictures && !examples ? picture_site(results.status()) : ErrorSite::kCatalog,
                   results.status());
    }
    return search_dict(*results);
  }

  nb::dict image(int64_t id) {
    return image_dict(call(ErrorSite::kCatalog, [&] { return library_->image(id); }));
  }

  nb::list similarity(nb::handle picture_or_id, const std::vector<std::string>& texts) {
    if (nb::isinstance<nb::int_>(picture_or_id)) {
      const int64_t id = nb::cast<int64_t>(picture_or_id);
      return text_scores(
          call(ErrorSite::kCatalog, [&] { return library_->similarity(id, texts); }));
    }
    const QueryPicture picture = picture_of(picture_or_id);
    return text_scores(
        picture_call(*library_, [&] { return library_->similarity(picture, texts); }));
  }

  nb::list classify(nb::handle picture_or_id, const std::vector<std::string>& labels,
                    const std::vector<std::string>& templates) {
    if (nb::isinstance<nb::int_>(picture_or_id)) {
      const int64_t id = nb::cast<int64_t>(picture_or_id);
      return text_scores(
          call(ErrorSite::kCatalog, [&] { return library_->classify(id, labels, templates); }));
    }
    const QueryPicture picture = picture_of(picture_or_id);
    return text_scores(
        picture_call(*library_, [&] { return library_->classify(picture, labels, templates); }));
  }

  nb::list classify_all(const std::vector<std::string>& labels,
                        const std::vector<std::string>& templates, size_t top, bool store) {
    return image_labels(call(ErrorSite::kCatalog, [&] {
      return library_->classify_all(labels, templates, top, store);
    }));
  }

  nb::list duplicates(float min_similarity) {
    return duplicate_groups(
        call(ErrorSite::kCatalog, [&] { return library_->duplicates(min_similarity); }));
  }

  nb::dict update_albums(const std::string& themes_json, const std::string& name, bool exclusive,
                         nb::object progress) {
    ProgressRelay relay{progress, {}};
    AlbumsOptions options;
    options.exclusive = exclusive;
    options.on_progress = relay.steps();
    options.cancelled = [&relay] { return relay.failed(); };
    Result<AlbumsUpdate> update = Status::error("not run");
    {
      nb::gil_scoped_release unlocked;
      update = library_->update_albums_from_text(themes_json, name, options);
    }
    relay.raise_pending();
    const AlbumsUpdate done = value_or_raise(ErrorSite::kCatalog, std::move(update));
    nb::dict d;
    d["classified"] = done.classified;
    d["restarted"] = done.restarted;
    nb::list albums;
    for (const std::string& a : done.albums) albums.append(a);
    d["albums"] = albums;
    return d;
  }

  nb::list albums() {
    return name_counts(call(ErrorSite::kCatalog, [&] { return library_->albums(); }),
                       &AlbumSize::name);
  }

  // [(path, images)]: the catalog's folders and sub-folders, as Library::folders() lists them.
  nb::list folders() {
    return name_counts(call(ErrorSite::kCatalog, [&] { return library_->folders(); }),
                       &FolderSize::path);
  }

  // [(camera, images)], as Library::cameras() lists them.
  nb::list cameras() {
    return name_counts(call(ErrorSite::kCatalog, [&] { return library_->cameras(); }),
                       &CameraSize::camera);
  }

  nb::list album(const std::string& name) {
    return hit_list(call(ErrorSite::kCatalog, [&] { return library_->album(name); }));
  }

  void record_click(const std::string& user, int64_t id) {
    Status status;
    {
      nb::gil_scoped_release unlocked;
      status = library_->record_click(user, id);
    }
    check(ErrorSite::kCatalog, status);
  }

  nb::dict recommend(const std::string& user, int64_t k, int64_t last_clicks, bool recency_weighted,
                     double half_life) {
    RecommendOptions options;
    options.last_clicks = last_clicks;
    options.recency_weighted = recency_weighted;
    options.half_life = half_life;
    Recommendations r =
        call(ErrorSite::kCatalog, [&] { return library_->recommend(user, k, options); });
    nb::dict d;
    d["hits"] = hit_list(r.images);
    d["popular"] = r.popular;
    return d;
  }

  // (list of image dicts, float32 [n, dim] array, generation)
  nb::tuple embeddings(int64_t after_id, int64_t limit) {
    EmbeddingPage page =
        call(ErrorSite::kCatalog, [&] { return library_->embeddings(after_id, limit); });
    nb::list images;
    for (const ImageInfo& image : page.images) images.append(image_dict(image));
    const size_t rows = page.images.size();
    return nb::make_tuple(
        images, numpy_matrix(std::move(page.vectors), rows, static_cast<size_t>(page.dim)),
        page.generation);
  }

  void load_model() { load_model_of(*library_); }

  // index() and reindex() load the model on the way: when it is the model that fails, the
  // error is a ModelError (loading it again tells), else the catalog's.
  [[noreturn]] void raise_indexing_error(const Status& status) {
    const StatusCode code = status.code();
    if (code != StatusCode::kBusy && code != StatusCode::kInvalidArgument &&
        code != StatusCode::kIoError) {
      Status model;
      {
        nb::gil_scoped_release unlocked;
        model = library_->load_model();
      }
      if (!model.ok() && model.code() == code) raise_status(ErrorSite::kModel, status);
    }
    raise_status(ErrorSite::kCatalog, status);
  }

  std::string catalog_path() const { return library_->catalog_path(); }
  std::vector<std::string> notes() { return library_->notes(); }

 private:
  struct Imported {
    std::unordered_map<std::string, size_t> rows;  // absolute path -> row of vectors
    const float* vectors = nullptr;
    size_t dim = 0;
    size_t wrong_dim = 0;  // the model's dim, when it differs from dim
    nb::object keep;       // the array `vectors` points into
  };

  static Imported imported_from(nb::object paths, nb::object vectors) {
    Imported imported;
    if (paths.is_none()) return imported;
    using Matrix = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
    Matrix matrix = nb::cast<Matrix>(vectors);
    const auto list = nb::cast<std::vector<std::string>>(paths);
    if (matrix.shape(0) != list.size()) {
      raise_status(ErrorSite::kQuery, Status::invalid_argument(
                                          "import: " + std::to_string(list.size()) + " paths but " +
                                          std::to_string(matrix.shape(0)) + " embeddings"));
    }
    imported.vectors = matrix.data();
    imported.dim = matrix.shape(1);
    imported.keep = vectors;
    for (size_t i = 0; i < list.size(); ++i) imported.rows.emplace(list[i], i);
    return imported;
  }

  std::unique_ptr<Library> library_;
};

}  // namespace

void bind_library(nb::module_& m) {
  nb::class_<PythonLibrary>(m, "Library")
      .def_static("open", &PythonLibrary::open, nb::arg("db"), nb::arg("model_only"),
                  nb::arg("model"), nb::arg("precision"), nb::arg("device"), nb::arg("threads"),
                  nb::arg("exif"), nb::arg("decode"), nb::arg("index"))
      .def("index", &PythonLibrary::index, nb::arg("folders"), nb::arg("excludes"),
           nb::arg("batch_size"), nb::arg("workers"), nb::arg("progress").none(),
           nb::arg("precomputed_paths").none(), nb::arg("precomputed").none())
      .def("reindex", &PythonLibrary::reindex, nb::arg("output"), nb::arg("batch_size"),
           nb::arg("workers"), nb::arg("progress").none())
      .def("status", &PythonLibrary::status, nb::arg("max_failures"))
      .def("search", &PythonLibrary::search, nb::arg("parts"), nb::arg("k"), nb::arg("offset"))
      .def("image", &PythonLibrary::image, nb::arg("id"))
      .def("similarity", &PythonLibrary::similarity, nb::arg("picture"), nb::arg("texts"))
      .def("classify", &PythonLibrary::classify, nb::arg("picture"), nb::arg("labels"),
           nb::arg("templates"))
      .def("classify_all", &PythonLibrary::classify_all, nb::arg("labels"), nb::arg("templates"),
           nb::arg("top"), nb::arg("store"))
      .def("duplicates", &PythonLibrary::duplicates, nb::arg("min_similarity"))
      .def("update_albums", &PythonLibrary::update_albums, nb::arg("themes_json"), nb::arg("name"),
           nb::arg("exclusive"), nb::arg("progress").none())
      .def("albums", &PythonLibrary::albums)
      .def("album", &PythonLibrary::album, nb::arg("name"))
      .def("folders", &PythonLibrary::folders)
      .def("cameras", &PythonLibrary::cameras)
      .def("record_click", &PythonLibrary::record_click, nb::arg("user"), nb::arg("id"))
      .def("recommend", &PythonLibrary::recommend, nb::arg("user"), nb::arg("k"),
           nb::arg("last_clicks"), nb::arg("recency_weighted"), nb::arg("half_life"))
      .def("embeddings", &PythonLibrary::embeddings, nb::arg("after_id"), nb::arg("limit"))
      .def("load_model", &PythonLibrary::load_model)
      .def_prop_ro("catalog_path", &PythonLibrary::catalog_path)
      .def("notes", &PythonLibrary::notes);
}

}  // namespace clipsearch::python
