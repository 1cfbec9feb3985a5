// sam_kernel_check: each hand-written CPU kernel against ATen's own operation on random shapes,
// edge sizes included (one row or column, sizes around the vector width and the 16-feature
// panels), so that a kernel is tested directly, not only through the parity of whole models.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "api_boundary.h"
#include "engine_error.h"
#include "include/sam_engine.h"
#include "kernels/avx2_support.h"
#include "kernels/cpu_attention.h"
#include "kernels/cpu_linear.h"
#include "kernels/vector_kernels.h"

namespace sam {
namespace {

class Cases {
 public:
  explicit Cases(uint64_t seed) : random_(seed) {}

  // One of the edge sizes, or a random size in [1, largest].
  int64_t size(std::initializer_list<int64_t> edges, int64_t largest) {
    if (random_() % 2 == 0) return *(edges.begin() + random_() % edges.size());
    return 1 + static_cast<int64_t>(random_() % static_cast<uint64_t>(largest));
  }
  // Normally distributed values times `scale`.
  at::Tensor tensor(at::IntArrayRef shape, double scale = 1.0) {
    at::Tensor out = at::empty(shape, at::kFloat);
    std::normal_distribution<float> normal(0.0f, static_cast<float>(scale));
    float* data = out.data_ptr<float>();
    for (int64_t i = 0; i < out.numel(); ++i) data[i] = normal(random_);
    return out;
  }

 private:
  std::mt19937_64 random_;
};

double worst(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

double check_gelu(Cases& cases) {
  at::Tensor x = cases.tensor({cases.size({1, 7, 8, 9, 15, 16, 17}, 3000)}, 3.0);
  const at::Tensor expected = at::gelu(x);
  gelu_in_place(x);
  return worst(x, expected);
}

double check_layer_norm_gelu(Cases& cases) {
  const int64_t rows = cases.size({1, 2, 63}, 100), channels = 8 * cases.size({1, 2, 4, 8}, 40);
  at::Tensor x = cases.tensor({rows, channels}, 2.0);
  const at::Tensor weight = cases.tensor({channels}), bias = cases.tensor({channels});
  const at::Tensor expected = at::gelu(at::layer_norm(x, {channels}, weight, bias, 1e-6));
  layer_norm_gelu_in_place(x, weight, bias, 1e-6);
  return worst(x, expected);
}

double check_layer_norm_rows(Cases& cases) {
  const int64_t rows = cases.size({1, 2, 511}, 600), channels = 8 * cases.size({1, 16, 32}, 40);
  const at::Tensor x = cases.tensor({rows, channels}, 2.0), addend = cases.tensor({rows, channels});
  const at::Tensor weight = cases.tensor({channels}), bias = cases.tensor({channels});
  // The outputs as row slices of wider buffers, as the decoder plan writes them.
  at::Tensor normed = at::empty({rows, channels + 8}).narrow(1, 0, channels);
  at::Tensor with_addend = at::empty({rows, channels + 16}).narrow(1, 8, channels);
  at::Tensor mean = at::empty({rows, 1}), rstd = at::empty({rows, 1});
  layer_norm_rows(x, weight, bias, 1e-5, normed, addend, with_addend, mean, rstd);
  const auto [expected, expected_mean, expected_rstd] = at::native_layer_norm(x, {channels}, weight, bias, 1e-5);
  return std::max({worst(normed, expected), worst(with_addend, expected + addend),
                   worst(mean, expected_mean.view({rows, 1})), worst(rstd, expected_rstd.view({rows, 1}))});
}

double check_column_softmax(Cases& cases) {
  const int64_t matrices = cases.size({1, 8}, 3), n = cases.size({1, 2, 8, 16, 17}, 40);
  const int64_t columns = cases.size({1, 7, 8, 9, 64}, 700);
  at::Tensor x = cases.tensor({matrices, n, columns}, 4.0);
  const at::Tensor expected = at::softmax(x, -2);
  column_softmax_in_place(x);
  return worst(x, expected);
}

double check_packed_linear(Cases& cases) {
  const int64_t out = cases.size({1, 15, 16, 17, 33}, 300), in = cases.size({1, 3, 8, 33, 256}, 300);
  const int64_t rows = cases.size({1, 5, 6, 64, 70}, 300);
  const at::Tensor weight = cases.tensor({out, in}), bias = cases.tensor({out}), x = cases.tensor({rows, in});
  const at::Tensor residual = cases.tensor({rows, out});
  const PackedLinear packed(weight.data_ptr<float>(), bias.data_ptr<float>(), out, in);
  at::Tensor y = at::empty({rows, out}), with_residual = at::empty({rows, out}), by_panels = at::empty({rows, out});
  packed.apply(x.data_ptr<float>(), in, rows, y.data_ptr<float>(), out);
  packed.apply(x.data_ptr<float>(), in, rows, with_residual.data_ptr<float>(), out, residual.data_ptr<float>(), out);
  // The panels in two shares, as threads split a layer's features.
  const int64_t split = packed.panel_count() / 2;
  packed.apply_panels(x.data_ptr<float>(), in, rows, by_panels.data_ptr<float>(), out, 0, split);
  packed.apply_panels(x.data_ptr<float>(), in, rows, by_panels.data_ptr<float>(), out, split, packed.panel_count());
  const at::Tensor expected = at::addmm(bias, x, weight.t());
  return std::max({worst(y, expected), worst(with_residual, expected + residual), worst(by_panels, expected)});
}

double check_cpu_attention(Cases& cases) {
  const int64_t rows = cases.size({1, 5, 6, 64}, 300), keys = cases.size({1, 15, 16, 17, 64}, 600);
  const int64_t dim = cases.size({8, 16, 24, 32, 64}, 96);
  const at::Tensor q = cases.tensor({rows, dim}, 1.0 / std::sqrt(static_cast<double>(dim)));
  const at::Tensor k = cases.tensor({keys, dim}), v = cases.tensor({keys, dim});
  at::Tensor out = at::empty({rows, dim});
  AttentionScratch scratch;
  cpu_attention(q.data_ptr<float>(), dim, k.data_ptr<float>(), dim, v.data_ptr<float>(), dim, out.data_ptr<float>(),
                dim, rows, keys, dim, scratch);
  return worst(out, at::matmul(at::softmax(at::matmul(q, k.t()), -1), v));
}

}  // namespace
}  // namespace sam

extern "C" sam_status sam_kernel_check(const char* kernel, uint64_t seed, int32_t cases, double* worst_error,
                                       sam_error* error) {
  return sam::guarded(error, [&] {
    sam::require(kernel != nullptr && worst_error != nullptr && cases > 0, "sam_kernel_check: invalid arguments");
    const std::string name = kernel;
    double (*check)(sam::Cases&) = nullptr;
    if (name == "gelu") check = sam::check_gelu;
    if (name == "layer_norm_gelu") check = sam::check_layer_norm_gelu;
    if (name == "layer_norm_rows") check = sam::check_layer_norm_rows;
    if (name == "column_softmax") check = sam::check_column_softmax;
    if (name == "packed_linear") check = sam::check_packed_linear;
    if (name == "cpu_attention") check = sam::check_cpu_attention;
    sam::require(check != nullptr, "sam_kernel_check: no kernel called '" + name + "'");
    if ((name == "packed_linear" || name == "cpu_attention") && !sam::avx2_kernels_available()) {
      throw sam::Error(SAM_ERROR_DEVICE, "sam_kernel_check: " + name + " needs a CPU with AVX2 and FMA");
    }
    sam::Cases random(seed);
    *worst_error = 0;
    for (int32_t i = 0; i < cases; ++i) *worst_error = std::max(*worst_error, check(random));
  });
}
