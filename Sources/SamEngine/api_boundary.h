// The C boundary of sam_engine.h: every exception becomes a status and one line in the caller's
// sam_error. Shared by the checkpoint functions (no LibTorch) and the model functions.
#pragma once
#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "engine_error.h"
#include "include/sam_engine.h"

namespace sam {

inline void set_error_message(sam_error* error, const std::string& message) {
  if (!error) return;
  const size_t length = std::min(message.size(), sizeof error->message - 1);
  std::memcpy(error->message, message.data(), length);
  error->message[length] = '\0';
  // The header promises one line, whatever bytes a file name or a caller's name brought in.
  for (size_t i = 0; i < length; ++i)
    if (static_cast<unsigned char>(error->message[i]) < 0x20) error->message[i] = ' ';
}

// Runs body(); SAM_OK, or the status and message of what it threw.
template <typename Body>
sam_status guarded(sam_error* error, Body&& body) {
  set_error_message(error, "");
  try {
    body();
    return SAM_OK;
  } catch (const Error& failure) {
    set_error_message(error, failure.what());
    return failure.status();
  } catch (const std::bad_alloc&) {
    set_error_message(error, "out of memory");
    return SAM_ERROR_INTERNAL;
  } catch (const std::exception& failure) {
    set_error_message(error, failure.what());
    return SAM_ERROR_INTERNAL;
  } catch (...) {
    set_error_message(error, "unknown error");
    return SAM_ERROR_INTERNAL;
  }
}

}  // namespace sam
