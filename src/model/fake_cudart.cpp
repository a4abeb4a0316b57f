// A stand-in CUDA runtime for device_engine_test, built as libcudart.so.13 in a folder of its
// own: the two calls core/cuda_probe.cpp makes, answering that the machine has one GPU.
extern "C" {

__attribute__((visibility("default"))) int cudaGetDeviceCount(int* count) {
  *count = 1;
  return 0;  // cudaSuccess
}

__attribute__((visibility("default"))) const char* cudaGetErrorString(int) {
  return "fake CUDA runtime error";
}
}
