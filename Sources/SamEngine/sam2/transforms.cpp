#include "sam2/transforms.h"

#include "model/mask_upsampling.h"

namespace sam {
namespace {

// ImageNet statistics on [0, 1] pixels.
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
// SAM2ImagePredictor clamps the low-resolution logits it returns.
constexpr double kLogitClamp = 32.0;

class Sam2Transforms : public PredictorTransforms {
 public:
  explicit Sam2Transforms(int64_t image_size) : image_size_(image_size) {}

  at::Tensor preprocess(const uint8_t* rgb, int32_t width, int32_t height, at::Device device) const override {
    // ToTensor: HWC uint8 -> CHW float in [0, 1].
    at::Tensor image = at::from_blob(const_cast<uint8_t*>(rgb), {height, width, 3}, at::kByte)
                           .permute({2, 0, 1})
                           .contiguous()
                           .to(at::kFloat)
                           .div(255)
                           .unsqueeze(0)
                           .to(device);
    // torchvision Resize((size, size)) on a tensor: bilinear, align_corners=False, antialias=True.
    at::Tensor resized = at::_upsample_bilinear2d_aa(image, {image_size_, image_size_}, false);
    const at::Tensor mean = at::tensor(at::ArrayRef<float>(kMean, 3)).to(device).view({1, 3, 1, 1});
    const at::Tensor std = at::tensor(at::ArrayRef<float>(kStd, 3)).to(device).view({1, 3, 1, 1});
    return resized.sub(mean).div(std);
  }

  std::array<float, 2> to_frame(float x, float y, int32_t width, int32_t height) const override {
    // transform_coords: normalised by the original size (in float), then scaled to the frame.
    const float size = static_cast<float>(image_size_);
    return {(x / static_cast<float>(width)) * size, (y / static_cast<float>(height)) * size};
  }

  bool boxes_as_points() const override { return true; }

  at::Tensor returned_logits(const at::Tensor& low_res) const override {
    return low_res.clamp(-kLogitClamp, kLogitClamp);
  }

  void threshold_mask(const float* logits, int64_t side, int32_t, int32_t, uint8_t* out, int32_t out_width,
                      int32_t out_height) const override {
    upsample_threshold(logits, side, side, out, out_height, out_width);
  }

  at::Tensor frame_mask(const uint8_t* mask, int32_t mask_width, int32_t mask_height, int32_t,
                        int32_t) const override {
    const at::Tensor binary = at::from_blob(const_cast<uint8_t*>(mask), {1, 1, mask_height, mask_width}, at::kByte)
                                  .ne(0)
                                  .to(at::kFloat);
    // SAM2VideoPredictor.add_new_mask: resized to the square, antialiased, thresholded at 0.5.
    return at::_upsample_bilinear2d_aa(binary, {image_size_, image_size_}, false).ge(0.5).to(at::kFloat);
  }

  const float* resizable_logits(const float* logits, int64_t side, int32_t, int32_t, std::vector<float>&,
                                int64_t* map_height, int64_t* map_width) const override {
    *map_height = side;
    *map_width = side;
    return logits;
  }

 private:
  int64_t image_size_;
};

}  // namespace

std::unique_ptr<PredictorTransforms> make_sam2_transforms(int64_t image_size) {
  return std::make_unique<Sam2Transforms>(image_size);
}

}  // namespace sam
