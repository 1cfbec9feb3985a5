#include "model/nn_layers.h"

#include <algorithm>

#include "kernels/avx2_support.h"
#include "model/parallel_tasks.h"

namespace sam {

namespace {
// Up to this many rows run whole through the packed weight on the calling thread.
constexpr int64_t kPackedRowsAtMost = 64;
// Rows per task when many rows are split across threads: a few tasks per thread let a thread
// that the OS holds back take fewer of them, and long ones keep BLAS efficient.
constexpr int64_t kMinTaskRows = 256;
// Largest weight (in floats, 16 MiB) for the packed kernel; beyond, streaming the packed
// weight through the caches for each row block costs more than BLAS's repacking.
constexpr int64_t kMaxPackedWeight = int64_t{4} << 20;

// `count` items shared out evenly, one share per thread.
int64_t share_per_worker(int64_t count) {
  const int64_t workers = parallel_worker_count();
  return std::max<int64_t>(1, (count + workers - 1) / workers);
}

int64_t rows_per_task(int64_t rows) {
  const int64_t tasks = 4 * parallel_worker_count();
  return std::max(kMinTaskRows, (rows + tasks - 1) / tasks);
}
}  // namespace

Linear::Linear(Weights& weights, const std::string& prefix, int64_t in, int64_t out)
    : Linear(weights.get(prefix + "weight", {out, in}), weights.get(prefix + "bias", {out}), weights.compute()) {}

Linear::Linear(at::Tensor weight_, at::Tensor bias_, const Compute& compute)
    : weight(std::move(weight_)), bias(std::move(bias_)), cpu_kernels_(compute.cpu_kernels) {
  if (cpu_kernels_ && avx2_kernels_available() && weight.scalar_type() == at::kFloat &&
      weight.numel() <= kMaxPackedWeight) {
    const at::Tensor w = weight.contiguous(), b = bias.contiguous();
    packed_ = std::make_shared<const PackedLinear>(w.data_ptr<float>(), b.data_ptr<float>(), w.size(0), w.size(1));
  }
}

at::Tensor Linear::operator()(const at::Tensor& x) const {
  if (!cpu_kernels_) return at::linear(x, weight, bias);
  auto sizes = x.sizes().vec();
  sizes.back() = out_features();
  return rows_through(x.reshape({-1, x.size(-1)}), nullptr).view(sizes);
}

at::Tensor Linear::operator()(const at::Tensor& x, const at::Tensor& residual) const {
  if (!cpu_kernels_) return at::linear(x, weight, bias).add_(residual);
  auto sizes = x.sizes().vec();
  sizes.back() = out_features();
  const at::Tensor residual_rows = residual.reshape({-1, out_features()});
  return rows_through(x.reshape({-1, x.size(-1)}), &residual_rows).view(sizes);
}

at::Tensor Linear::rows_through(const at::Tensor& x, const at::Tensor* residual) const {
  const at::Tensor rows = x.stride(1) == 1 ? x : x.contiguous();
  at::Tensor out = at::empty({rows.size(0), out_features()}, rows.options());
  if (packed_ && rows.size(0) <= kPackedRowsAtMost) {
    apply_rows(rows, out, 0, rows.size(0), residual);
  } else {
    parallel_row_chunks(rows.size(0), rows_per_task(rows.size(0)),
                        [&](int64_t begin, int64_t end, int64_t) { apply_rows(rows, out, begin, end, residual); });
  }
  return out;
}

void Linear::apply_rows(const at::Tensor& x, at::Tensor& y, int64_t begin, int64_t end,
                        const at::Tensor* residual) const {
  if (packed_) {
    packed_->apply(x.data_ptr<float>() + begin * x.stride(0), x.stride(0), end - begin,
                   y.data_ptr<float>() + begin * y.stride(0), y.stride(0),
                   residual ? residual->data_ptr<float>() + begin * residual->stride(0) : nullptr,
                   residual ? residual->stride(0) : 0);
    return;
  }
  at::Tensor out = y.narrow(0, begin, end - begin);
  const at::Tensor rows = x.narrow(0, begin, end - begin);
  if (residual) {
    at::addmm_out(out, residual->narrow(0, begin, end - begin), rows, weight.t());
    out.add_(bias);
  } else {
    at::addmm_out(out, bias, rows, weight.t());
  }
}

at::Tensor Linear::across_threads(const at::Tensor& x) const {
  auto sizes = x.sizes().vec();
  sizes.back() = out_features();
  const at::Tensor rows = x.reshape({-1, x.size(-1)});
  if (!cpu_kernels_) return at::linear(x, weight, bias);
  if (!packed_ || rows.size(0) > kPackedRowsAtMost) return product_across_threads(bias, rows, weight.t()).view(sizes);
  const at::Tensor input = rows.stride(1) == 1 ? rows : rows.contiguous();
  at::Tensor out = at::empty({input.size(0), out_features()}, input.options());
  const int64_t panels = packed_->panel_count();
  parallel_row_chunks(panels, share_per_worker(panels), [&](int64_t first, int64_t end, int64_t) {
    packed_->apply_panels(input.data_ptr<float>(), input.stride(0), input.size(0), out.data_ptr<float>(),
                          out.stride(0), first, end);
  });
  return out.view(sizes);
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
  return layer_norm_float(x, {weight.size(0)}, weight, bias, eps);
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

at::Tensor layer_norm_float(const at::Tensor& x, at::IntArrayRef shape, const at::Tensor& weight,
                            const at::Tensor& bias, double eps) {
  return at::layer_norm(x.scalar_type() == weight.scalar_type() ? x : x.to(weight.scalar_type()), shape, weight, bias,
                        eps);
}

at::Tensor softmax_float(const at::Tensor& x, int64_t dim) { return at::softmax(x, dim, at::kFloat); }

at::Tensor layer_norm_channels(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias, double eps) {
  const at::Tensor x = input.to(weight.scalar_type());  // in float32, as layer_norm_float
  const at::Tensor mean = x.mean(1, true);
  const at::Tensor centred = x - mean;
  const at::Tensor variance = centred.pow(2).mean(1, true);
  const at::Tensor normalised = centred / at::sqrt(variance + eps);
  return weight.view({1, -1, 1, 1}) * normalised + bias.view({1, -1, 1, 1});
}

}  // namespace sam
