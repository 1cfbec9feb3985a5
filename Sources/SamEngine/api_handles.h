// The handles that more than one file of the C boundary reads, and the LibTorch-aware guard.
#pragma once
#include <c10/util/Exception.h>

#include <memory>
#include <string>

#include "api_boundary.h"
#include "model/sam_model.h"
#include "video/sam2_tracker.h"

struct sam_model {
  std::unique_ptr<sam::SamModel> model;
  std::string device_name;
  std::string checkpoint_path;
  // The video modules, read from the checkpoint when the first video is opened.
  std::unique_ptr<sam::Sam2Tracker> tracker;
};

namespace sam {

// LibTorch's errors carry a backtrace in what(); the status line keeps the message only.
template <typename Body>
sam_status torch_guarded(sam_error* error, Body&& body) {
  return guarded(error, [&] {
    try {
      body();
    } catch (const c10::Error& failure) {
      throw Error(SAM_ERROR_INTERNAL, std::string("LibTorch: ") + failure.what_without_backtrace());
    }
  });
}

}  // namespace sam
