// The engine's one exception type. It carries the sam_status the C boundary returns;
// nothing else may escape a function of sam_engine.h.
#pragma once
#include <stdexcept>
#include <string>

#include "include/sam_engine.h"

namespace sam {

class Error : public std::runtime_error {
 public:
  Error(sam_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  sam_status status() const { return status_; }

 private:
  sam_status status_;
};

// Bad input from a caller of sam_engine.h: SAM_ERROR_ARGUMENT with `message` unless `condition` holds.
inline void require(bool condition, const std::string& message) {
  if (!condition) throw Error(SAM_ERROR_ARGUMENT, message);
}

}  // namespace sam
