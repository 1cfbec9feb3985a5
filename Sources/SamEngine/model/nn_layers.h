// The few building blocks the prompt encoder and mask decoder share, each holding its
// parameters as taken from Weights: fully connected layers, layer norms and the small MLPs
// (sam2/modeling/sam2_utils.py MLP, LayerNorm2d).
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "model/weights.h"
#include "sam2/cpu_linear.h"

namespace sam {

// y = x W^T + b over the last dimension of x (any rank).
struct Linear {
  at::Tensor weight;  // [out, in]
  at::Tensor bias;    // [out]
  // The same weight packed for the AVX2 kernel (on CPUs that have it), used for a few rows.
  std::shared_ptr<const PackedLinear> packed;

  Linear() = default;
  Linear(Weights& weights, const std::string& prefix, int64_t in, int64_t out);
  at::Tensor operator()(const at::Tensor& x) const;
  // The same with the output features shared out among ATen's threads, one product each: for a
  // few rows, where reading the weight is most of the work.
  at::Tensor across_threads(const at::Tensor& x) const;
  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

 private:
  // Whether rows [R, in] go through `packed`.
  bool uses_packed(const at::Tensor& rows) const;
};

// bias + a b for a [R, K] and b [K, N] (or a batch of them, [M, R, K] and [M, K, N]; bias
// broadcast to the result, or undefined for none), with b's columns shared out among ATen's
// threads, one product each: for a few rows, where reading b is most of the work.
at::Tensor product_across_threads(const at::Tensor& bias, const at::Tensor& a, const at::Tensor& b);

// Normalisation over the last dimension (nn.LayerNorm).
struct LayerNorm {
  at::Tensor weight, bias;
  double eps = 1e-5;

  LayerNorm() = default;
  LayerNorm(Weights& weights, const std::string& prefix, int64_t channels, double eps);
  at::Tensor operator()(const at::Tensor& x) const;
};

// Layers of Linear with ReLU between them, optionally a sigmoid at the end.
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
