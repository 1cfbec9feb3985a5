// sam_system_info: which LibTorch, BLAS and thread count the engine runs with. The BLAS
// matters: Debian's libtorch is 20x slower on the reference BLAS than on OpenBLAS.
#include <ATen/Parallel.h>
#include <torch/version.h>
#include <ATen/Context.h>
#include <dlfcn.h>
#include <link.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <thread>

#include "include/sam_engine.h"

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

}  // namespace

extern "C" const char* sam_system_info(void) {
  // Rebuilt on each call: the thread count changes once a model is loaded.
  thread_local std::string info;
  info = [] {
    std::string line = "libtorch " + std::to_string(TORCH_VERSION_MAJOR) + "." +
                       std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
    line += "; blas: " + blas_name();
    line += "; threads: " + std::to_string(at::get_num_threads()) + " of " +
            std::to_string(std::thread::hardware_concurrency()) + " cores";
    line += std::string("; cuda: ") + (at::hasCUDA() ? "available" : "not available");
    return line;
  }();
  return info.c_str();
}
