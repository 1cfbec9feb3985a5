// Text taken from a file (entry names, dict keys, global names) made safe to quote in a one-line
// error message: control bytes escaped, length capped.
#pragma once
#include <cstdio>
#include <string>

namespace sam {

inline std::string printable(const std::string& text, size_t limit = 96) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= limit) return out + "...";
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace sam
