//===- Status.h - Statuses and message formatting ---------------*- C++ -*-===//
//
// The C API reports errors as heap-allocated `weft_status` objects. Inside
// the runtime they travel as `Status`, a move-only owner of one, so that no
// error path can leak a status or drop it silently ([[nodiscard]]).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_STATUS_H
#define WEFT_RUNTIME_SRC_STATUS_H

#include "weft/runtime.h"

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

struct weft_status {
  std::string message;
};

namespace weft::runtime {

/// Success (null) or an owned error message.
class [[nodiscard]] Status {
public:
  Status() = default;
  static Status error(std::string message);
  /// Takes over a status returned by a C entry point (null is success).
  static Status adopt(weft_status_t status);

  bool ok() const { return !status; }
  /// The message of a failed status; empty on success.
  const std::string &message() const;
  /// Prepends `prefix` (e.g. "artifact 'm.weft': ") to a failed status.
  Status withPrefix(std::string_view prefix) &&;
  /// Hands the status over to a C caller (null on success).
  weft_status_t release() { return status.release(); }

private:
  struct Deleter {
    void operator()(weft_status *s) const { delete s; }
  };
  std::unique_ptr<weft_status, Deleter> status;
};

/// Streams every argument into one string.
template <typename... Args>
std::string concat(const Args &...args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

/// A failed status whose message is the concatenation of `args`.
template <typename... Args>
Status error(const Args &...args) {
  return Status::error(concat(args...));
}

/// `'text'`, with control and non-ASCII bytes escaped and long text cut,
/// so that names read from malformed files keep messages on one line.
std::string quote(std::string_view text);

/// "[2, 3]".
std::string formatShape(const int64_t *shape, int64_t rank);
/// "f32 [2, 3]".
std::string formatType(weft_dtype_t dtype, const int64_t *shape,
                       int64_t rank);
/// strerror(err), thread-safe.
std::string errnoMessage(int err);

} // namespace weft::runtime

#define WEFT_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    ::weft::runtime::Status weftStatus_ = (expr);                              \
    if (!weftStatus_.ok())                                                     \
      return weftStatus_;                                                      \
  } while (false)

/// Null-pointer guard for C entry points.
#define WEFT_CHECK_ARG(arg)                                                    \
  do {                                                                         \
    if (!(arg))                                                                \
      return ::weft::runtime::error(__func__, ": '" #arg "' is null")         \
          .release();                                                          \
  } while (false)

#endif // WEFT_RUNTIME_SRC_STATUS_H
