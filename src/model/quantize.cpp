// quantize_model (clipsearch/model.h): a model folder whose reducible tensors are stored at a
// precision, written with the same conversion Model::load applies.
#include <unistd.h>
#include <deque>
#include <filesystem>
#include <set>
#include <system_error>

#include "clipsearch/model.h"
#include "clipsearch/version.h"
#include "model/clip_config.h"
#include "model/clip_weights.h"
#include "model/safetensors_writer.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

// Files of a model folder that hold weights (written anew, never copied).
bool is_weights_file(const fs::path& file) {
  const std::string name = file.filename().string();
  for (const char* suffix : {".safetensors", ".bin", ".index.json", ".pt", ".pth", ".ckpt",
                             ".msgpack", ".h5", ".onnx", ".gguf"}) {
    const std::string s = suffix;
    if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
      return true;
  }
  return false;
}

DType stored_dtype(WeightType type) {
  switch (type) {
    case WeightType::kBF16:
      return DType::kBF16;
    case WeightType::kF16:
      return DType::kF16;
    case WeightType::kInt8:
      return DType::kI8;
    case WeightType::kF32:
      break;
  }
  return DType::kF32;
}

Status check_output(const std::string& output_dir) {
  std::error_code ec;
  if (!fs::exists(output_dir, ec)) return Status();
  if (!fs::is_directory(output_dir, ec) || !fs::is_empty(output_dir, ec)) {
    return Status::invalid_argument(output_dir +
                                    ": already exists and is not an empty folder; choose "
                                    "another output folder or remove it");
  }
  return Status();
}

// The tensors to write: the reducible ones converted (in `converted`, which keeps their
// storage), the others as the checkpoint stores them.
Result<std::vector<TensorToWrite>> converted_tensors(const ClipWeights& weights, WeightType type,
                                                     std::deque<WeightMatrix>* converted) {
  WeightStore& store = *weights.store;
  std::vector<TensorToWrite> out;
  std::set<std::string> reduced;
  for (const ReducibleTensor& t : weights.reducible) {
    CLIPSEARCH_ASSIGN_OR_RETURN(const float* data, store.f32(t.name, t.shape));
    converted->push_back(
        WeightMatrix::convert(WeightMatrix::f32(data, t.out, t.in, WeightLayout::kOutIn), type));
    const WeightMatrix& m = converted->back();
    const size_t count = static_cast<size_t>(t.out * t.in);
    if (type == WeightType::kInt8) {
      out.push_back({t.name, DType::kI8, t.shape, m.i8_data(), count});
      out.push_back({int8_scale_name(t.name),
                     DType::kF32,
                     {t.out},
                     m.scales(),
                     static_cast<size_t>(t.out) * sizeof(float)});
    } else {
      out.push_back({t.name, stored_dtype(type), t.shape, m.u16_data(), count * 2});
    }
    reduced.insert(t.name);
  }
  for (const std::string& name : store.names()) {
    if (reduced.count(name) != 0) continue;
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<int64_t> shape, store.shape(name));
    CLIPSEARCH_ASSIGN_OR_RETURN(const TensorView* view, store.view(name, shape));
    out.push_back({name, view->dtype, view->shape, view->data, view->nbytes});
  }
  return out;
}

int64_t source_bytes(const WeightStore& store) {
  std::set<std::string> files;
  for (const std::string& name : store.names()) files.insert(store.file_of(name));
  int64_t total = 0;
  std::error_code ec;
  for (const std::string& file : files) total += static_cast<int64_t>(fs::file_size(file, ec));
  return total;
}

// Copies the folder's files other than weights (configuration, tokenizer, README) into `to`.
Status copy_other_files(const std::string& model_dir, const fs::path& to) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(model_dir, ec)) {
    if (!entry.is_regular_file(ec) || is_weights_file(entry.path())) continue;
    fs::copy_file(entry.path(), to / entry.path().filename(), ec);
    if (ec) {
      return Status::io_error((to / entry.path().filename()).string() + ": cannot copy " +
                              entry.path().string() + ": " + ec.message());
    }
  }
  if (ec) return Status::io_error(model_dir + ": cannot list the folder: " + ec.message());
  return Status();
}

// Removes the partly written folder unless committed.
class PartialFolder {
 public:
  explicit PartialFolder(fs::path path) : path_(std::move(path)) {}
  ~PartialFolder() {
    std::error_code ec;
    if (!committed_) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  Status commit(const std::string& target) {
    std::error_code ec;
    fs::rename(path_, target, ec);
    if (ec)
      return Status::io_error(target + ": cannot move the finished folder in: " + ec.message());
    committed_ = true;
    return Status();
  }

 private:
  fs::path path_;
  bool committed_ = false;
};

}  // namespace

Result<QuantizeReport> quantize_model(const std::string& model_dir, Precision precision,
                                      const std::string& output_dir) {
  if (precision == Precision::kFloat32) {
    return Status::invalid_argument(
        "quantize: f32 is the checkpoint's own precision; choose bf16, f16 or int8");
  }
  const std::optional<WeightType> type = precision_weight_type(precision);
  if (!type) {
    return Status::invalid_argument("quantize: precision " +
                                    std::to_string(static_cast<int>(precision)) +
                                    " is not one of bf16, f16, int8");
  }
  CLIPSEARCH_RETURN_IF_ERROR(check_output(output_dir));
  CLIPSEARCH_ASSIGN_OR_RETURN(const ClipConfig config, load_clip_config(model_dir));
  CLIPSEARCH_ASSIGN_OR_RETURN(ClipWeights weights, load_clip_weights(config, WeightType::kF32));
  if (weights.type != WeightType::kF32) {
    return Status::invalid_argument(config.weights_path + ": already quantized to " +
                                    weight_type_name(weights.type) +
                                    " by `clipsearch quantize`; quantize the original model");
  }
  std::deque<WeightMatrix> converted;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<TensorToWrite> tensors,
                              converted_tensors(weights, *type, &converted));

  // "out/" names the folder "out": its sibling "out.partial-PID" is written, then renamed.
  fs::path target = fs::path(output_dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  PartialFolder partial(target.parent_path() /
                        (target.filename().string() + ".partial-" + std::to_string(::getpid())));
  std::error_code ec;
  fs::create_directories(partial.path(), ec);
  if (ec) return Status::io_error(partial.path().string() + ": cannot create: " + ec.message());
  CLIPSEARCH_RETURN_IF_ERROR(copy_other_files(model_dir, partial.path()));
  const std::string file_name = config.layout == ModelLayout::kHuggingFace
                                    ? "model.safetensors"
                                    : "open_clip_model.safetensors";
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {kQuantizedPrecisionKey, weight_type_name(*type)},
      {"clipsearch.source", fs::path(config.weights_path).filename().string()},
      {"clipsearch.version", CLIPSEARCH_VERSION_STRING}};
  CLIPSEARCH_RETURN_IF_ERROR(
      write_safetensors((partial.path() / file_name).string(), std::move(tensors), metadata));
  if (fs::exists(target, ec)) fs::remove(target, ec);  // an empty folder (check_output)
  CLIPSEARCH_RETURN_IF_ERROR(partial.commit(target.string()));

  QuantizeReport report;
  report.output_dir = target.string();
  report.weights_file = (target / file_name).string();
  report.source_bytes = source_bytes(*weights.store);
  report.output_bytes = static_cast<int64_t>(fs::file_size(report.weights_file, ec));
  report.reduced_tensors = static_cast<int64_t>(weights.reducible.size());
  return report;
}

}  // namespace clipsearch
