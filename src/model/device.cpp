// The names of the public Device values and the choice of where a model runs (device.h).
#include "model/device.h"

#include <charconv>
#include <string>

namespace clipsearch {

namespace {

constexpr const char* kChoices = "auto, cpu, cuda, cuda:N (N = 0, 1, ...)";

// N of "cuda:N": decimal digits only, within int.
Result<int> parse_device_number(std::string_view text, std::string_view name) {
  int number = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, number);
  if (text.empty() || text.front() == '-' || error != std::errc() || stop != end) {
    return Status::invalid_argument("device '" + std::string(name) +
                                    "': the GPU number must be 0, 1, ... (one of " + kChoices +
                                    ")");
  }
  return number;
}

// Why `cuda:index` cannot run here, or OK.
Status cuda_usable(int index, const CudaProbe& probe) {
  const CudaAvailability found = probe.probe();
  const std::string name = device_name({DeviceKind::kCuda, index});
  switch (found.state) {
    case CudaAvailability::State::kNoRuntime:
      return Status::unsupported("device " + name + ": " + found.detail);
    case CudaAvailability::State::kRuntimeError:
      return Status::unsupported("device " + name + ": the CUDA runtime cannot reach a GPU (" +
                                 found.detail + "; is the NVIDIA driver installed?)");
    case CudaAvailability::State::kReady:
      break;
  }
  if (index >= found.device_count) {
    return Status::unsupported("device " + name + ": no such GPU (this machine has " +
                               std::to_string(found.device_count) + ")");
  }
  return Status();
}

}  // namespace

std::string device_name(const Device& device) {
  switch (device.kind) {
    case DeviceKind::kAuto:
      return "auto";
    case DeviceKind::kCpu:
      return "cpu";
    case DeviceKind::kCuda:
      return "cuda:" + std::to_string(device.index);
  }
  return "device " + std::to_string(static_cast<int>(device.kind));
}

Result<Device> device_parse(std::string_view name) {
  if (name == "auto") return Device{DeviceKind::kAuto, 0};
  if (name == "cpu") return Device{DeviceKind::kCpu, 0};
  if (name == "cuda") return Device{DeviceKind::kCuda, 0};
  constexpr std::string_view kCudaPrefix = "cuda:";
  if (name.starts_with(kCudaPrefix)) {
    CLIPSEARCH_ASSIGN_OR_RETURN(int index,
                                parse_device_number(name.substr(kCudaPrefix.size()), name));
    return Device{DeviceKind::kCuda, index};
  }
  return Status::invalid_argument("device '" + std::string(name) + "' is not one of " + kChoices);
}

Result<DeviceChoice> select_device(const Device& requested, const CudaProbe& probe,
                                   const CudaEngineCheck& engine) {
  if (requested.index < 0) {
    return Status::invalid_argument("device index " + std::to_string(requested.index) +
                                    " is negative");
  }
  switch (requested.kind) {
    case DeviceKind::kCpu:
    case DeviceKind::kAuto: {
      if (requested.index != 0) {
        return Status::invalid_argument("device index " + std::to_string(requested.index) +
                                        " is for cuda only, not " + device_name(requested));
      }
      const DeviceChoice cpu{Device{DeviceKind::kCpu, 0}, ""};
      if (requested.kind == DeviceKind::kCpu || !cuda_usable(0, probe).ok()) return cpu;
      const Status ready = engine();
      if (!ready.ok()) return DeviceChoice{cpu.device, "cuda:0 found; " + ready.message()};
      return DeviceChoice{Device{DeviceKind::kCuda, 0}, ""};
    }
    case DeviceKind::kCuda: {
      CLIPSEARCH_RETURN_IF_ERROR(cuda_usable(requested.index, probe));
      const Status ready = engine();
      if (!ready.ok()) {
        return Status::unsupported("device " + device_name(requested) + ": " + ready.message() +
                                   "; use --device cpu or auto");
      }
      return DeviceChoice{requested, ""};
    }
  }
  return Status::unsupported(device_name(requested) + " is not a device this build knows");
}

}  // namespace clipsearch
