// sam_system_info: which LibTorch, BLAS and thread count the engine runs with. The BLAS
// matters: Debian's libtorch is 20x slower on the reference BLAS than on OpenBLAS.
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <ATen/Context.h>
#include <dlfcn.h>
#include <link.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <thread>

#include "include/sam_engine.h"
#include "system_info.h"

namespace {

int collect_blas(struct dl_phdr_info* info, size_t, void* data) {
  auto* found = static_cast<std::string*>(data);
  const std::string path = info->dlpi_name ? info->dlpi_name : "";
  if (path.find("libblas") == std::string::npos && path.find("openblas") == std::string::npos &&
      path.find("libmkl") == std::string::npos)
    return 0;
  char resolved[PATH_MAX];
  const std::string real = realpath(path.c_str(), resolved) ? resolved : path;
  if (found->find(real) == std::string::npos) *found += (found->empty() ? "" : ", ") + real;
  return 0;
}

std::string blas_name() {
  using ConfigFn = char* (*)();
  if (auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    return std::string("OpenBLAS (") + config() + ")";
  }
  std::string libraries;
  dl_iterate_phdr(collect_blas, &libraries);
  if (libraries.find("mkl") != std::string::npos) return "MKL";
  if (libraries.empty()) return at::hasMKL() ? "MKL" : "unknown";
  return "reference BLAS (" + libraries + ") — install libopenblas0-pthread";
}

bool library_loaded(const std::string& name) {
  struct Search {
    std::string name;
    bool found = false;
  } search{name};
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        if (info->dlpi_name && std::string(info->dlpi_name).find(s->name) != std::string::npos) s->found = true;
        return 0;
      },
      &search);
  return search.found;
}

// CUDA's driver API (libcuda, present wherever an NVIDIA driver is), for what LibTorch's C++
// API does not tell without CUDA's headers: a device's name and compute capability.
struct CudaDriver {
  using Init = int (*)(unsigned);
  using DeviceGet = int (*)(int*, int);
  using GetName = int (*)(char*, int, int);
  using GetAttribute = int (*)(int*, int, int);
  GetName get_name = nullptr;
  GetAttribute get_attribute = nullptr;
  DeviceGet device_get = nullptr;

  static const CudaDriver& shared() {
    static const CudaDriver driver;
    return driver;
  }
  int device(int index) const {
    int handle = -1;
    return device_get && device_get(&handle, index) == 0 ? handle : -1;
  }

 private:
  CudaDriver() {
    void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) return;
    auto init = reinterpret_cast<Init>(dlsym(library, "cuInit"));
    if (!init || init(0) != 0) return;
    device_get = reinterpret_cast<DeviceGet>(dlsym(library, "cuDeviceGet"));
    get_name = reinterpret_cast<GetName>(dlsym(library, "cuDeviceGetName"));
    get_attribute = reinterpret_cast<GetAttribute>(dlsym(library, "cuDeviceGetAttribute"));
  }
};

}  // namespace

namespace sam {

// libtorch_cuda is linked whenever the LibTorch has it (see Package.swift).
bool cuda_built() { return library_loaded("libtorch_cuda"); }

int cuda_compute_capability_major(int index) {
  const CudaDriver& driver = CudaDriver::shared();
  constexpr int kComputeCapabilityMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
  int major = -1;
  const int device = driver.device(index);
  if (device < 0 || !driver.get_attribute || driver.get_attribute(&major, kComputeCapabilityMajor, device) != 0) {
    return -1;
  }
  return major;
}

}  // namespace sam

extern "C" sam_runtime_info sam_runtime(void) {
  sam_runtime_info info{};
  info.torch_version[0] = TORCH_VERSION_MAJOR;
  info.torch_version[1] = TORCH_VERSION_MINOR;
  info.torch_version[2] = TORCH_VERSION_PATCH;
  info.cuda_built = sam::cuda_built() ? 1 : 0;
  info.cuda_devices = info.cuda_built ? static_cast<int32_t>(torch::cuda::device_count()) : 0;
  return info;
}

extern "C" const char* sam_cuda_device_name(int32_t index) {
  thread_local std::string name;
  const CudaDriver& driver = CudaDriver::shared();
  char buffer[256] = {0};
  const int device = driver.device(index);
  name = device >= 0 && driver.get_name && driver.get_name(buffer, sizeof buffer - 1, device) == 0 ? buffer : "";
  return name.c_str();
}

extern "C" const char* sam_system_info(void) {
  // Rebuilt on each call: the thread count changes once a model is loaded.
  thread_local std::string info;
  info = [] {
    std::string line = "libtorch " + std::to_string(TORCH_VERSION_MAJOR) + "." +
                       std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
    line += "; blas: " + blas_name();
    line += "; threads: " + std::to_string(at::get_num_threads()) + " of " +
            std::to_string(std::thread::hardware_concurrency()) + " cores";
    const sam_runtime_info runtime = sam_runtime();
    line += std::string("; cuda: ") + (!runtime.cuda_built          ? "not in this LibTorch"
                                       : runtime.cuda_devices == 0 ? "built, no device found"
                                                                   : std::to_string(runtime.cuda_devices) + " device(s)");
    return line;
  }();
  return info.c_str();
}
