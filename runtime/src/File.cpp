//===- File.cpp - Read-only file mappings and atomic writes ---------------===//
//
// POSIX plumbing shared by the readers and writers of every file format.
//
//===----------------------------------------------------------------------===//

#include "File.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace weft::runtime;

FileDescriptor &FileDescriptor::operator=(FileDescriptor &&other) {
  if (this != &other) {
    reset();
    fd = other.take();
  }
  return *this;
}

void FileDescriptor::reset() {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

MappedFile::MappedFile(MappedFile &&other)
    : bytes(other.bytes), length(other.length) {
  other.bytes = nullptr;
  other.length = 0;
}

MappedFile &MappedFile::operator=(MappedFile &&other) {
  if (this != &other) {
    unmap();
    bytes = other.bytes;
    length = other.length;
    other.bytes = nullptr;
    other.length = 0;
  }
  return *this;
}

MappedFile::~MappedFile() { unmap(); }

void MappedFile::unmap() {
  if (bytes)
    ::munmap(const_cast<uint8_t *>(bytes), length);
  bytes = nullptr;
  length = 0;
}

Status MappedFile::open(const std::string &path, MappedFile &out) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid())
    return error("cannot open: ", errnoMessage(errno));
  struct stat info;
  if (::fstat(fd.get(), &info) != 0)
    return error("cannot stat: ", errnoMessage(errno));
  // Pipes and devices have no size to validate headers against.
  if (S_ISDIR(info.st_mode))
    return error("is a directory, not a file");
  if (!S_ISREG(info.st_mode))
    return error("is not a regular file");
  MappedFile mapped;
  if (info.st_size > 0) {
    void *p = ::mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ,
                     MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED)
      return error("cannot map: ", errnoMessage(errno));
    mapped.bytes = static_cast<const uint8_t *>(p);
    mapped.length = static_cast<size_t>(info.st_size);
  }
  out = std::move(mapped);
  return Status();
}

Status weft::runtime::writeAll(int fd, const void *data, size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return error(errnoMessage(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status();
}

namespace {

/// Removes the temporary file unless the rename consumed it.
struct TemporaryFile {
  std::string path;
  bool keep = false;
  ~TemporaryFile() {
    if (!path.empty() && !keep)
      ::unlink(path.c_str());
  }
};

/// Creates a fresh file beside `path`. O_EXCL with a per-process counter
/// avoids mkstemp's 0600 mode: the result gets the umask's usual mode.
Status createTemporary(const std::string &path, FileDescriptor &fd,
                       TemporaryFile &temp) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string candidate = concat(path, ".tmp.", ::getpid(), ".",
                                   counter.fetch_add(1));
    int raw = ::open(candidate.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (raw >= 0) {
      fd = FileDescriptor(raw);
      temp.path = std::move(candidate);
      return Status();
    }
    if (errno != EEXIST)
      return error("cannot create a temporary file beside ", quote(path),
                   ": ", errnoMessage(errno));
  }
  return error("cannot create a temporary file beside ", quote(path));
}

} // namespace

Status weft::runtime::writeFileAtomically(const std::string &path,
                                          const FileChunk *chunks,
                                          size_t numChunks) {
  FileDescriptor fd;
  TemporaryFile temp;
  WEFT_RETURN_IF_ERROR(createTemporary(path, fd, temp));
  for (size_t i = 0; i < numChunks; ++i) {
    Status s = writeAll(fd.get(), chunks[i].data, chunks[i].size);
    if (!s.ok())
      return error("cannot write ", quote(path), ": ", s.message());
  }
  // close() reports deferred write errors (NFS, quota); check it.
  if (::close(fd.take()) != 0)
    return error("cannot write ", quote(path), ": ", errnoMessage(errno));
  if (::rename(temp.path.c_str(), path.c_str()) != 0)
    return error("cannot rename ", quote(temp.path), " to ", quote(path), ": ",
                 errnoMessage(errno));
  temp.keep = true;
  return Status();
}

uint16_t weft::runtime::loadLE16(const uint8_t *p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t weft::runtime::loadLE32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint64_t weft::runtime::loadLE64(const uint8_t *p) {
  return static_cast<uint64_t>(loadLE32(p)) |
         static_cast<uint64_t>(loadLE32(p + 4)) << 32;
}

void weft::runtime::storeLE32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void weft::runtime::storeLE64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}
