//===- HostLibrary.cpp - Loading host code from memory --------------------===//
//
// The memfd path and the temporary-file fallback. Both give the loader a
// real file, which it needs to mmap the segments.
//
//===----------------------------------------------------------------------===//

#include "HostLibrary.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace weft::runtime;

namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#else
constexpr uint16_t kHostMachine = EM_NONE; // Not checked.
#endif

/// Checks what the loader would otherwise trust: an ELF64 little-endian
/// shared object for this machine whose segments lie inside the image. A
/// truncated image would otherwise be mapped past its end, and the loader
/// would die of SIGBUS instead of returning an error. The code itself is
/// trusted: the runtime cannot validate machine code.
Status checkElfImage(std::string_view image) {
  Elf64_Ehdr header;
  if (image.size() < sizeof(header))
    return error("the hostlib section (", image.size(),
                 " bytes) is too small for an ELF header");
  std::memcpy(&header, image.data(), sizeof(header));
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return error("the hostlib section is not an ELF file");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_ident[EI_DATA] != ELFDATA2LSB || header.e_type != ET_DYN)
    return error("the hostlib section is not a 64-bit little-endian ELF "
                 "shared object");
  if (kHostMachine != EM_NONE && header.e_machine != kHostMachine)
    return error("the hostlib section is for ELF machine ", header.e_machine,
                 ", not this host's (", kHostMachine, ")");
  if (header.e_phentsize != sizeof(Elf64_Phdr) ||
      header.e_phoff > image.size() ||
      header.e_phnum > (image.size() - header.e_phoff) / sizeof(Elf64_Phdr))
    return error("the hostlib section's program headers lie outside it");
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment;
    std::memcpy(&segment,
                image.data() + header.e_phoff + i * sizeof(Elf64_Phdr),
                sizeof(segment));
    if (segment.p_offset > image.size() ||
        segment.p_filesz > image.size() - segment.p_offset)
      return error("the hostlib section is truncated: segment ", i, " [",
                   segment.p_offset, ", +", segment.p_filesz,
                   ") extends past its ", image.size(), " bytes");
  }
  return Status();
}

Status dlopenError(const char *what) {
  const char *message = dlerror();
  return error("cannot load the hostlib section ", what, ": ",
               message ? message : "unknown dlopen error");
}

} // namespace

HostLibrary::~HostLibrary() {
  if (handle)
    dlclose(handle);
}

void *HostLibrary::lookup(const char *name) const {
  return handle ? dlsym(handle, name) : nullptr;
}

Status HostLibrary::load(std::string_view image) {
  WEFT_RETURN_IF_ERROR(checkElfImage(image));
  bool unavailable = false;
  Status s = loadFromMemfd(image, unavailable);
  if (!unavailable)
    return s;
  return loadFromTemporaryFile(image);
}

Status HostLibrary::loadFromMemfd(std::string_view image, bool &unavailable) {
  FileDescriptor fd(memfd_create("weft-hostlib", MFD_CLOEXEC));
  std::string path = concat("/proc/self/fd/", fd.get());
  // Without memfd (old kernels, seccomp) or /proc, use the fallback.
  if (!fd.valid() || ::access(path.c_str(), R_OK) != 0) {
    unavailable = true;
    return Status();
  }
  Status written = writeAll(fd.get(), image.data(), image.size());
  if (!written.ok())
    return error("cannot write the hostlib section to a memfd: ",
                 written.message());
  // A library that was loaded from this fd number and never unloaded
  // (dlclose may keep objects) would be returned instead of ours.
  if (void *stale = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
    dlclose(stale);
    unavailable = true;
    return Status();
  }
  handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return dlopenError("from a memfd");
  memfd = std::move(fd);
  return Status();
}

Status HostLibrary::loadFromTemporaryFile(std::string_view image) {
  const char *dir = std::getenv("TMPDIR");
  std::string path = concat(dir && *dir ? dir : "/tmp", "/weft-hostlib-XXXXXX");
  FileDescriptor fd(mkostemp(path.data(), O_CLOEXEC));
  if (!fd.valid())
    return error("cannot create a temporary file for the hostlib section (",
                 quote(path), "): ", errnoMessage(errno));
  Status written = writeAll(fd.get(), image.data(), image.size());
  if (written.ok())
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  // The mapping keeps the contents alive; the name is not needed any more.
  ::unlink(path.c_str());
  if (!written.ok())
    return error("cannot write the hostlib section to ", quote(path), ": ",
                 written.message());
  if (!handle)
    return dlopenError("from a temporary file");
  return Status();
}
