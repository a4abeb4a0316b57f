// device_parse / device_name (the --device values) and select_device against fake machines.
#include "model/device.h"

#include "model/cuda_module.h"

#include <gtest/gtest.h>

#include <string>

namespace clipsearch {
namespace {

// A machine as the test describes it; counts how often it was asked.
class FakeProbe final : public CudaProbe {
 public:
  explicit FakeProbe(CudaAvailability availability) : availability_(std::move(availability)) {}
  CudaAvailability probe() const override {
    ++calls;
    return availability_;
  }
  mutable int calls = 0;

 private:
  CudaAvailability availability_;
};

FakeProbe no_runtime() {
  return FakeProbe({CudaAvailability::State::kNoRuntime, 0, "no CUDA runtime library (tried x)"});
}
FakeProbe no_driver() {
  return FakeProbe({CudaAvailability::State::kRuntimeError, 0,
                    "CUDA driver version is insufficient for CUDA runtime version"});
}
FakeProbe gpus(int count) { return FakeProbe({CudaAvailability::State::kReady, count, ""}); }

constexpr Device kAuto{DeviceKind::kAuto, 0};
constexpr Device kCpu{DeviceKind::kCpu, 0};
Device cuda(int index) { return Device{DeviceKind::kCuda, index}; }

// An engine that loads (OK) or does not (its reason); counts how often it was asked.
struct FakeEngine {
  Status answer;
  int calls = 0;
  CudaEngineCheck check() {
    return [this] {
      ++calls;
      return answer;
    };
  }
};
CudaEngineCheck built() {
  return [] { return Status(); };
}
CudaEngineCheck not_built() {
  return [] {
    return Status::not_found(
        "this build has no CUDA engine (libclipsearch_cuda.so not found: looked in x)");
  };
}

void expect_device(const Result<Device>& got, DeviceKind kind, int index) {
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->kind, kind);
  EXPECT_EQ(got->index, index);
}

void expect_device(const Result<DeviceChoice>& got, DeviceKind kind, int index,
                   const std::string& note = "") {
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->device.kind, kind);
  EXPECT_EQ(got->device.index, index);
  EXPECT_EQ(got->note, note);
}

template <class T>
void expect_error(const Result<T>& got, StatusCode code, const std::string& words) {
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), code);
  EXPECT_NE(got.status().message().find(words), std::string::npos) << got.status().message();
}

TEST(DeviceParse, TakesEveryName) {
  expect_device(device_parse("auto"), DeviceKind::kAuto, 0);
  expect_device(device_parse("cpu"), DeviceKind::kCpu, 0);
  expect_device(device_parse("cuda"), DeviceKind::kCuda, 0);
  expect_device(device_parse("cuda:0"), DeviceKind::kCuda, 0);
  expect_device(device_parse("cuda:12"), DeviceKind::kCuda, 12);
}

TEST(DeviceParse, RefusesOthersNamingThem) {
  expect_error(device_parse("gpu"), StatusCode::kInvalidArgument,
               "device 'gpu' is not one of auto, cpu, cuda, cuda:N");
  expect_error(device_parse(""), StatusCode::kInvalidArgument, "device '' is not one of");
  expect_error(device_parse("CUDA"), StatusCode::kInvalidArgument, "device 'CUDA'");
  expect_error(device_parse("cpu:0"), StatusCode::kInvalidArgument, "device 'cpu:0'");
  for (const char* bad :
       {"cuda:", "cuda:-1", "cuda:x", "cuda:1x", "cuda: 1", "cuda:+1", "cuda:99999999999"}) {
    expect_error(device_parse(bad), StatusCode::kInvalidArgument,
                 "device '" + std::string(bad) + "': the GPU number must be 0, 1, ...");
  }
}

TEST(DeviceParse, NamesRoundTrip) {
  EXPECT_EQ(device_name(kAuto), "auto");
  EXPECT_EQ(device_name(kCpu), "cpu");
  EXPECT_EQ(device_name(cuda(3)), "cuda:3");
  for (const Device& d : {kAuto, kCpu, cuda(0), cuda(7)}) {
    expect_device(device_parse(device_name(d)), d.kind, d.index);
  }
}

TEST(SelectDevice, AutoFallsBackToTheCpuSilentlyAndNeverLoadsTheEngineWithoutAGpu) {
  for (FakeProbe probe : {no_runtime(), no_driver(), gpus(0)}) {
    FakeEngine engine;
    expect_device(select_device(kAuto, probe, engine.check()), DeviceKind::kCpu, 0);
    EXPECT_EQ(engine.calls, 0);
  }
}

TEST(SelectDevice, AutoTakesGpuZeroWhenTheEngineCanRunThere) {
  FakeProbe probe = gpus(2);
  expect_device(select_device(kAuto, probe, built()), DeviceKind::kCuda, 0);
}

TEST(SelectDevice, AutoWithAGpuButNoEngineIsTheCpuAndSaysWhy) {
  FakeProbe probe = gpus(2);
  expect_device(select_device(kAuto, probe, not_built()), DeviceKind::kCpu, 0,
                "cuda:0 found; this build has no CUDA engine (libclipsearch_cuda.so not found: "
                "looked in x)");
}

TEST(SelectDevice, CpuIsTheCpuWhateverTheMachine) {
  FakeProbe probe = gpus(2);
  FakeEngine engine;
  expect_device(select_device(kCpu, probe, engine.check()), DeviceKind::kCpu, 0);
  EXPECT_EQ(probe.calls, 0);
  EXPECT_EQ(engine.calls, 0);
}

TEST(SelectDevice, CudaSaysWhyItCannotRun) {
  expect_error(select_device(cuda(0), no_runtime(), built()), StatusCode::kUnsupported,
               "device cuda:0: no CUDA runtime library");
  expect_error(select_device(cuda(0), no_driver(), built()), StatusCode::kUnsupported,
               "device cuda:0: the CUDA runtime cannot reach a GPU (CUDA driver version is "
               "insufficient for CUDA runtime version; is the NVIDIA driver installed?)");
  expect_error(select_device(cuda(0), gpus(0), built()), StatusCode::kUnsupported,
               "device cuda:0: no such GPU (this machine has 0)");
  expect_error(select_device(cuda(2), gpus(2), built()), StatusCode::kUnsupported,
               "device cuda:2: no such GPU (this machine has 2)");
}

TEST(SelectDevice, CudaRunsWhereTheGpuAndTheEngineAre) {
  expect_device(select_device(cuda(1), gpus(2), built()), DeviceKind::kCuda, 1);
  expect_error(select_device(cuda(1), gpus(2), not_built()), StatusCode::kUnsupported,
               "device cuda:1: this build has no CUDA engine (libclipsearch_cuda.so not found: "
               "looked in x); use --device cpu or auto");
}

TEST(SelectDevice, RefusesBadIndicesAndKinds) {
  expect_error(select_device(cuda(-1), gpus(2), built()), StatusCode::kInvalidArgument,
               "device index -1 is negative");
  expect_error(select_device(Device{DeviceKind::kCpu, 1}, gpus(2), built()),
               StatusCode::kInvalidArgument, "device index 1 is for cuda only, not cpu");
  expect_error(select_device(Device{static_cast<DeviceKind>(5), 0}, gpus(2), built()),
               StatusCode::kUnsupported, "device 5 is not a device this build knows");
}

// The real machine, whatever it has: auto never fails, and a probe that finds no usable GPU says
// why.
TEST(SystemCudaProbe, AnswersOnAnyMachine) {
  const CudaAvailability found = system_cuda_probe().probe();
  if (found.state == CudaAvailability::State::kReady) {
    EXPECT_GE(found.device_count, 0);
  } else {
    EXPECT_FALSE(found.detail.empty());
  }
  const Result<DeviceChoice> choice =
      select_device(kAuto, system_cuda_probe(), [] { return load_cuda_module().status(); });
  ASSERT_TRUE(choice.ok()) << choice.status().message();
}

TEST(CudaModule, SaysWhyItCannotLoad) {
  expect_error(open_cuda_module({"/nonexistent/libclipsearch_cuda.so"}), StatusCode::kUnsupported,
               "the CUDA engine /nonexistent/libclipsearch_cuda.so does not load: ");
  // A library that loads but is not the module.
  expect_error(open_cuda_module({"libc.so.6"}), StatusCode::kUnsupported,
               "the CUDA engine libc.so.6 has no clipsearch_cuda_create_backend");
  // Only the module's own name, absent from the linker's path, means the build has no engine.
  expect_error(open_cuda_module({"libclipsearch_cuda_absent.so"}), StatusCode::kUnsupported,
               "does not load");
  expect_error(open_cuda_module({kCudaModuleFile}), StatusCode::kNotFound,
               "this build has no CUDA engine (libclipsearch_cuda.so not found: looked in "
               "libclipsearch_cuda.so; build with -DCLIPSEARCH_CUDA=ON");
}

}  // namespace
}  // namespace clipsearch
