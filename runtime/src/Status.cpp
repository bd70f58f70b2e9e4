//===- Status.cpp - Statuses and message formatting -----------------------===//
//
// The status half of the C API and the helpers every message is built with.
//
//===----------------------------------------------------------------------===//

#include "Status.h"

#include <cstring>

using namespace weft::runtime;

Status Status::error(std::string message) {
  Status s;
  s.status.reset(new weft_status{std::move(message)});
  return s;
}

Status Status::adopt(weft_status_t status) {
  Status s;
  s.status.reset(status);
  return s;
}

const std::string &Status::message() const {
  static const std::string empty;
  return status ? status->message : empty;
}

Status Status::withPrefix(std::string_view prefix) && {
  if (status)
    status->message.insert(0, prefix);
  return std::move(*this);
}

std::string weft::runtime::quote(std::string_view text) {
  // Names come from files we are rejecting; a megabyte of garbage or an
  // embedded newline must not end up verbatim in a one-line message.
  constexpr size_t kMaxShown = 200;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else if (c >= 0x80) {
      out += static_cast<char>(c); // UTF-8 names stay readable.
    } else {
      static const char *hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (text.size() > kMaxShown)
    out += "...";
  out += "'";
  return out;
}

std::string weft::runtime::formatShape(const int64_t *shape, int64_t rank) {
  std::string out = "[";
  for (int64_t i = 0; i < rank; ++i) {
    if (i)
      out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

std::string weft::runtime::formatType(weft_dtype_t dtype,
                                      const int64_t *shape, int64_t rank) {
  return std::string(weft_dtype_name(dtype)) + " " + formatShape(shape, rank);
}

std::string weft::runtime::errnoMessage(int err) {
  char buffer[256];
  // GNU strerror_r: returns a pointer to the message, which may or may not
  // be `buffer`.
  return strerror_r(err, buffer, sizeof(buffer));
}

extern "C" {

const char *weft_status_message(weft_status_t status) {
  return status ? status->message.c_str() : "OK";
}

void weft_status_free(weft_status_t status) { delete status; }

} // extern "C"
