//===- File.h - Read-only file mappings and atomic writes -------*- C++ -*-===//
//
// Every file the runtime reads (.npy, .safetensors, .weft) is mapped read-only
// and parsed from the mapping with explicit bounds, so no read depends on a
// size field taken from the file. Every file it writes goes to a temporary
// file beside the destination and is renamed into place.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_FILE_H
#define WEFT_RUNTIME_SRC_FILE_H

#include "Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::runtime {

/// An owned POSIX file descriptor, closed on destruction.
class FileDescriptor {
public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd(fd) {}
  FileDescriptor(FileDescriptor &&other) : fd(other.take()) {}
  FileDescriptor &operator=(FileDescriptor &&other);
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &operator=(const FileDescriptor &) = delete;
  ~FileDescriptor() { reset(); }

  int get() const { return fd; }
  bool valid() const { return fd >= 0; }
  int take() {
    int result = fd;
    fd = -1;
    return result;
  }
  void reset();

private:
  int fd = -1;
};

/// A whole regular file mapped read-only (MAP_PRIVATE). Empty files have no
/// mapping and an empty view.
class MappedFile {
public:
  MappedFile() = default;
  MappedFile(MappedFile &&other);
  MappedFile &operator=(MappedFile &&other);
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  /// Maps `path`. Messages give the system error; callers name the file.
  static Status open(const std::string &path, MappedFile &out);

  const uint8_t *data() const { return bytes; }
  size_t size() const { return length; }
  std::string_view view() const {
    return {reinterpret_cast<const char *>(bytes), length};
  }

private:
  void unmap();
  const uint8_t *bytes = nullptr;
  size_t length = 0;
};

/// Writes all `size` bytes of `data` to `fd`, retrying partial writes.
Status writeAll(int fd, const void *data, size_t size);

/// One piece of a file to write.
struct FileChunk {
  const void *data;
  size_t size;
};

/// Writes `chunks` to a temporary file in the directory of `path`, then
/// renames it to `path`: readers see the old file or the complete new one,
/// and a failed write leaves no partial file behind. The message names
/// `path` and the failing call.
Status writeFileAtomically(const std::string &path, const FileChunk *chunks,
                           size_t numChunks);

/// Reads little-endian integers from possibly unaligned bytes.
uint16_t loadLE16(const uint8_t *p);
uint32_t loadLE32(const uint8_t *p);
uint64_t loadLE64(const uint8_t *p);
void storeLE32(uint8_t *p, uint32_t v);
void storeLE64(uint8_t *p, uint64_t v);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_FILE_H
