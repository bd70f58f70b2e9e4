//===- HostLibrary.h - Loading host code from memory ------------*- C++ -*-===//
//
// dlopen()s the ELF image of an artifact's `hostlib` section without leaving
// a file behind: from a memfd, or from an unlinked temporary file where
// memfd_create or /proc is unavailable.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_HOSTLIBRARY_H
#define WEFT_RUNTIME_SRC_HOSTLIBRARY_H

#include "File.h"

#include <string_view>

namespace weft::runtime {

/// A loaded shared object, dlclose()d on destruction.
class HostLibrary {
public:
  HostLibrary() = default;
  HostLibrary(const HostLibrary &) = delete;
  HostLibrary &operator=(const HostLibrary &) = delete;
  ~HostLibrary();

  /// Loads `image`, resolving all its symbols now (RTLD_NOW) so that a
  /// missing dependency fails here, not in the middle of a run.
  Status load(std::string_view image);
  /// The address of `name`, or null.
  void *lookup(const char *name) const;

private:
  Status loadFromMemfd(std::string_view image, bool &unavailable);
  Status loadFromTemporaryFile(std::string_view image);

  void *handle = nullptr;
  // The memfd stays open while the library is loaded: glibc identifies
  // loaded objects by path, and an open fd keeps "/proc/self/fd/N" from
  // naming a second library at the same time.
  FileDescriptor memfd;
};

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_HOSTLIBRARY_H
