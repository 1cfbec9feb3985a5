// The few building blocks the prompt encoder and mask decoder share, each holding its
// parameters as taken from Weights: fully connected layers, layer norms and the small MLPs
// (sam2/modeling/sam2_utils.py MLP, LayerNorm2d).
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "model/weights.h"
#include "kernels/cpu_linear.h"
#include "model/compute.h"

namespace sam {

// y = x W^T + b over the last dimension of x (any rank).
//
// On the CPU path (Compute::cpu_kernels) the layer picks its way from the shapes: a few rows go
// through the weight packed once for the AVX2 kernel (BLAS repacks the weight on every call,
// most of the work for a few tokens); many rows are split across ATen's threads, each share
// through the packed kernel (weights up to 16 MiB) or BLAS. Elsewhere it is one ATen product.
class Linear {
 public:
  Linear() = default;
  Linear(Weights& weights, const std::string& prefix, int64_t in, int64_t out);
  // A layer from tensors already taken out of Weights (a folded scale, composed weights).
  Linear(at::Tensor weight, at::Tensor bias, const Compute& compute);

  at::Tensor operator()(const at::Tensor& x) const;
  // x W^T + b + residual (residual shaped like the output).
  at::Tensor operator()(const at::Tensor& x, const at::Tensor& residual) const;
  // Rows [begin, end) of y (2-D, contiguous) = x W^T + b (+ residual), x and residual 2-D with
  // unit column stride; y may be residual. For CPU code that runs its own row chunks.
  void apply_rows(const at::Tensor& x, at::Tensor& y, int64_t begin, int64_t end,
                  const at::Tensor* residual = nullptr) const;
  // The output features shared out among ATen's threads, one product each: for a few rows,
  // where reading the weight is most of the work.
  at::Tensor across_threads(const at::Tensor& x) const;

  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  at::Tensor weight;  // [out, in]
  at::Tensor bias;    // [out]

 private:
  at::Tensor rows_through(const at::Tensor& rows, const at::Tensor* residual) const;
  bool cpu_kernels_ = false;
  // The same weight packed for the AVX2 kernel (CPU path, float32, AVX2, at most 16 MiB).
  std::shared_ptr<const PackedLinear> packed_;
};

// bias + a b for a [R, K] and b [K, N] (or a batch of them, [M, R, K] and [M, K, N]; bias
// broadcast to the result, or undefined for none), with b's columns shared out among ATen's
// threads, one product each: for a few rows, where reading b is most of the work.
at::Tensor product_across_threads(const at::Tensor& bias, const at::Tensor& a, const at::Tensor& b);

// at::layer_norm computed in float32 whatever x's type, as autocast runs layer norms (LibTorch
// 1.13's CPU kernel also refuses a bfloat16 input with float32 weights).
at::Tensor layer_norm_float(const at::Tensor& x, at::IntArrayRef shape, const at::Tensor& weight,
                            const at::Tensor& bias, double eps);

// Softmax over `dim` computed and returned in float32 whatever x's type, as CUDA's autocast runs
// softmax (the CPU's autocast would keep bfloat16, losing the GPU's accuracy in the tests).
at::Tensor softmax_float(const at::Tensor& x, int64_t dim);

// Normalisation over the last dimension (nn.LayerNorm).
struct LayerNorm {
  at::Tensor weight, bias;
  double eps = 1e-5;

  LayerNorm() = default;
  LayerNorm(Weights& weights, const std::string& prefix, int64_t channels, double eps);
  at::Tensor operator()(const at::Tensor& x) const;
};

// Layers of Linear with ReLU between them, optionally a sigmoid at the end (MLP in sam2_utils.py).
struct Mlp {
  std::vector<Linear> layers;
  bool sigmoid_output = false;

  Mlp() = default;
  Mlp(Weights& weights, const std::string& prefix, int64_t in, int64_t hidden, int64_t out, int num_layers,
      bool sigmoid_output = false);
  at::Tensor operator()(const at::Tensor& x) const;
  // Every layer through Linear::across_threads.
  at::Tensor across_threads(const at::Tensor& x) const;

 private:
  at::Tensor run(const at::Tensor& x, bool across_threads) const;
};

// Normalisation over dimension 1 of [B, C, H, W] (LayerNorm2d, eps 1e-6).
at::Tensor layer_norm_channels(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps);

}  // namespace sam
