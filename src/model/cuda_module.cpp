// Finding and loading libclipsearch_cuda.so (cuda_module.h).
#include "model/cuda_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

namespace clipsearch {
namespace {

// The folder of the running executable ("" when /proc is not there).
std::string executable_folder() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : exe.parent_path().string();
}

// Where the module may be, in the order tried: the files that exist, then the bare name.
std::vector<std::string> module_candidates() {
  if (const char* path = std::getenv("CLIPSEARCH_CUDA_MODULE"); path != nullptr && *path) {
    return {path};
  }
  std::vector<std::string> candidates;
  const std::string exe = executable_folder();
  if (!exe.empty()) {
    for (const char* folder : {"", "/../cuda", "/../lib"}) {
      const std::string file = exe + folder + "/" + kCudaModuleFile;
      if (std::filesystem::exists(file)) candidates.push_back(file);
    }
  }
  candidates.push_back(kCudaModuleFile);  // the dynamic linker's search path
  return candidates;
}

}  // namespace

Result<CudaBackendFactory> open_cuda_module(const std::vector<std::string>& candidates) {
  std::string tried;
  for (const std::string& file : candidates) {
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      const std::string reason = why ? why : "dlopen failed";
      // Found but not loadable (its CUDA libraries missing, another architecture): say why. The
      // bare name fails with "<name>: cannot open ..." only when the module itself is absent.
      const bool absent = file == kCudaModuleFile && reason.starts_with(file + ":");
      if (!absent) {
        return Status::unsupported("the CUDA engine " + file + " does not load: " + reason);
      }
      tried += (tried.empty() ? "" : ", ") + file;
      continue;
    }
    void* entry = dlsym(handle, kCudaModuleEntry);
    if (entry == nullptr) {
      return Status::unsupported("the CUDA engine " + file + " has no " + kCudaModuleEntry +
                                 ": not a clipsearch CUDA module");
    }
    return reinterpret_cast<CudaBackendFactory>(entry);
  }
  return Status::not_found(
      "this build has no CUDA engine (" + std::string(kCudaModuleFile) + " not found: looked in " +
      tried + "; build with -DCLIPSEARCH_CUDA=ON, or set CLIPSEARCH_CUDA_MODULE to its path)");
}

Result<CudaBackendFactory> load_cuda_module() {
  static std::once_flag once;
  static Result<CudaBackendFactory> loaded = Status::error("not loaded");
  std::call_once(once, [] { loaded = open_cuda_module(module_candidates()); });
  return loaded;
}

Result<std::unique_ptr<Backend>> create_cuda_backend(int device) {
  CLIPSEARCH_ASSIGN_OR_RETURN(CudaBackendFactory factory, load_cuda_module());
  std::array<char, 512> error{};
  Backend* backend = factory(kCudaModuleAbi, device, error.data(), error.size());
  if (backend == nullptr) {
    error.back() = '\0';
    return Status::unavailable(error.front() ? std::string(error.data())
                                             : "the CUDA engine could not start on cuda:" +
                                                   std::to_string(device));
  }
  return std::unique_ptr<Backend>(backend);
}

}  // namespace clipsearch
