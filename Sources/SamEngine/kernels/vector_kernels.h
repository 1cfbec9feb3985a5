// Element-wise steps of the mask decoder that ATen runs slowly at the decoder's shapes,
// hand-written for AVX2/FMA, with ATen's own versions where that is unavailable:
// - GELU (the exact, erf form) with erf as a rational function fitted on [0, 4] (beyond that
//   erf is 1 in float), within a few ulp of float erf, about half ATen's time;
// - a layer norm over a few channels fused with the GELU after it (the upscaling's LayerNorm2d),
//   and one writing both its result and that plus the position encoding (the transformer's);
// - softmax over the columns of [N, R] matrices: the image-to-token attention's weights, one
//   row per token and one column per image token, so that the softmax over a few tokens runs
//   across image tokens (ATen's softmax over a dimension of 8 is slow, one vector per row).
#pragma once
#include <ATen/ATen.h>

namespace sam {

// x <- GELU(x), for a contiguous float tensor.
void gelu_in_place(at::Tensor& x);

// x [R, C] contiguous <- GELU(layer_norm(x)) over its C channels (weight, bias [C]).
void layer_norm_gelu_in_place(at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps);

// The image-to-token attention's residual norm in one pass over its rows: for x [R, C],
// normed <- layer_norm(x) (weight, bias [C]), with_addend <- normed + addend, and each row's
// mean and reciprocal standard deviation into mean and rstd [R, 1] where those are defined.
// normed, with_addend and addend are [R, C] with rows contiguous.
void layer_norm_rows(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps,
                     at::Tensor& normed, const at::Tensor& addend, at::Tensor& with_addend, at::Tensor& mean,
                     at::Tensor& rstd);

// x [..., N, R] contiguous <- softmax(x) over dimension -2.
void column_softmax_in_place(at::Tensor& x);

}  // namespace sam
