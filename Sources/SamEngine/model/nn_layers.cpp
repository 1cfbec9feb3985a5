#include "model/nn_layers.h"

#include <algorithm>

#include "model/parallel_tasks.h"
#include "sam2/avx2_support.h"

namespace sam {

namespace {
// Up to this many rows go through the packed weight: BLAS packs the weight again on every
// call, which is most of the work for a few tokens.
constexpr int64_t kPackedRowsAtMost = 64;

// `count` items shared out evenly, one share per thread.
int64_t share_per_worker(int64_t count) {
  const int64_t workers = parallel_worker_count();
  return std::max<int64_t>(1, (count + workers - 1) / workers);
}
}  // namespace

Linear::Linear(Weights& weights, const std::string& prefix, int64_t in, int64_t out)
    : weight(weights.get(prefix + "weight", {out, in})), bias(weights.get(prefix + "bias", {out})) {
  if (avx2_kernels_available() && weight.device().is_cpu() && weight.scalar_type() == at::kFloat) {
    const at::Tensor w = weight.contiguous(), b = bias.contiguous();
    packed = std::make_shared<const PackedLinear>(w.data_ptr<float>(), b.data_ptr<float>(), out, in);
  }
}

at::Tensor Linear::operator()(const at::Tensor& x) const {
  // One product over all leading dimensions, bias folded in.
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  const at::Tensor rows = x.reshape({-1, x.size(-1)});
  if (uses_packed(rows)) {
    const at::Tensor input = rows.stride(1) == 1 ? rows : rows.contiguous();
    at::Tensor out = at::empty({input.size(0), out_features()}, input.options());
    packed->apply(input.data_ptr<float>(), input.stride(0), input.size(0), out.data_ptr<float>(), out.stride(0));
    return out.view(sizes);
  }
  return at::addmm(bias, rows, weight.t()).view(sizes);
}

at::Tensor Linear::across_threads(const at::Tensor& x) const {
  const at::Tensor rows = x.reshape({-1, x.size(-1)});
  auto sizes = x.sizes().vec();
  sizes.back() = out_features();
  if (!uses_packed(rows)) return product_across_threads(bias, rows, weight.t()).view(sizes);
  const at::Tensor input = rows.stride(1) == 1 ? rows : rows.contiguous();
  at::Tensor out = at::empty({input.size(0), out_features()}, input.options());
  const int64_t panels = packed->panel_count();
  parallel_row_chunks(panels, share_per_worker(panels), [&](int64_t first, int64_t end, int64_t) {
    packed->apply_panels(input.data_ptr<float>(), input.stride(0), input.size(0), out.data_ptr<float>(),
                         out.stride(0), first, end);
  });
  return out.view(sizes);
}

bool Linear::uses_packed(const at::Tensor& rows) const {
  return packed && rows.size(0) <= kPackedRowsAtMost && rows.scalar_type() == at::kFloat && rows.device().is_cpu();
}

at::Tensor product_across_threads(const at::Tensor& bias, const at::Tensor& a, const at::Tensor& b) {
  const bool batched = a.dim() == 3;
  const int64_t columns = b.size(-1);
  std::vector<int64_t> shape = a.sizes().vec();
  shape.back() = columns;
  at::Tensor out = at::empty(shape, a.options());
  parallel_row_chunks(columns, share_per_worker(columns), [&](int64_t first, int64_t end, int64_t) {
    const int64_t count = end - first;
    at::Tensor slice = out.narrow(-1, first, count);
    const at::Tensor b_part = b.narrow(-1, first, count);
    if (!bias.defined()) {
      batched ? at::bmm_out(slice, a, b_part) : at::mm_out(slice, a, b_part);
    } else {
      const at::Tensor bias_part = bias.narrow(-1, first, count);
      batched ? at::baddbmm_out(slice, bias_part, a, b_part) : at::addmm_out(slice, bias_part, a, b_part);
    }
  });
  return out;
}

LayerNorm::LayerNorm(Weights& weights, const std::string& prefix, int64_t channels, double eps_)
    : weight(weights.get(prefix + "weight", {channels})), bias(weights.get(prefix + "bias", {channels})), eps(eps_) {}

at::Tensor LayerNorm::operator()(const at::Tensor& x) const {
  return at::layer_norm(x, {weight.size(0)}, weight, bias, eps);
}

Mlp::Mlp(Weights& weights, const std::string& prefix, int64_t in, int64_t hidden, int64_t out, int num_layers,
         bool sigmoid)
    : sigmoid_output(sigmoid) {
  for (int i = 0; i < num_layers; ++i) {
    const int64_t layer_in = i == 0 ? in : hidden;
    const int64_t layer_out = i == num_layers - 1 ? out : hidden;
    layers.emplace_back(weights, prefix + "layers." + std::to_string(i) + ".", layer_in, layer_out);
  }
}

at::Tensor Mlp::operator()(const at::Tensor& x) const { return run(x, false); }

at::Tensor Mlp::across_threads(const at::Tensor& x) const { return run(x, true); }

at::Tensor Mlp::run(const at::Tensor& x, bool split) const {
  at::Tensor y = x;
  for (size_t i = 0; i < layers.size(); ++i) {
    y = split ? layers[i].across_threads(y) : layers[i](y);
    if (i + 1 < layers.size()) y = at::relu(y);
  }
  return sigmoid_output ? at::sigmoid(y) : y;
}

at::Tensor layer_norm_channels(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps) {
  const at::Tensor mean = x.mean(1, true);
  const at::Tensor centred = x - mean;
  const at::Tensor variance = centred.pow(2).mean(1, true);
  const at::Tensor normalised = centred / at::sqrt(variance + eps);
  return weight.view({1, -1, 1, 1}) * normalised + bias.view({1, -1, 1, 1});
}

}  // namespace sam
