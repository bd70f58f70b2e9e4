//===- CudaModule.cpp - CUDA modules and kernel launches ------------------===//
//
// The module half of weft/cuda.h. Images go through cuModuleLoadDataEx
// with a JIT error log, so a PTX compilation failure (also PTX embedded in
// a fatbin for a newer device) says what ptxas said. Cubin and fatbin
// images are checked against their size first: the driver reads them by
// their own headers and would read past a truncated buffer.
//
//===----------------------------------------------------------------------===//

#include "CudaDevice.h"

#include <cctype>
#include <cstring>
#include <elf.h>
#include <vector>

using namespace weft::runtime;

namespace {

struct ModuleUnloader {
  void operator()(weft_cuda_module *module) const {
    weft_cuda_module_unload(module);
  }
};
using ModulePtr = std::unique_ptr<weft_cuda_module, ModuleUnloader>;

/// The JIT's error log kept per load; ptxas's messages are short.
constexpr size_t kJitLogBytes = 16 * 1024;
/// At most this many kernels are listed when a name is not found.
constexpr unsigned kMaxKernelsListed = 20;
/// The fatbin container's magic and header (fatbinary.h): the payload's
/// size follows the header.
constexpr uint32_t kFatbinMagic = 0xBA55ED50;
struct FatbinHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t headerSize;
  uint64_t fatSize;
};

/// Fails unless `count` entries of `entrySize` bytes from `offset` lie in
/// the first `size` bytes of the image (`what`: "section headers end").
Status checkTable(const char *what, uint64_t offset, uint64_t count,
                  uint64_t entrySize, size_t size) {
  if (offset <= size &&
      (entrySize == 0 || count <= (size - offset) / entrySize))
    return Status();
  return error("the image is truncated: its ", what, " past its ", size,
               " bytes (", count, " x ", entrySize, " bytes from byte ", offset,
               ")");
}

/// Checks that a cubin's ELF header tables, or a fatbin's payload, lie
/// inside `size` bytes. Other images (PTX text) are the driver's to judge.
Status checkImageSize(const void *image, size_t size) {
  auto bytes = static_cast<const unsigned char *>(image);
  if (size >= SELFMAG && std::memcmp(bytes, ELFMAG, SELFMAG) == 0) {
    Elf64_Ehdr header;
    if (size < sizeof(header) || bytes[EI_CLASS] != ELFCLASS64)
      return error("the image (", size,
                   " bytes) is not a whole 64-bit ELF header");
    std::memcpy(&header, bytes, sizeof(header));
    WEFT_RETURN_IF_ERROR(checkTable("program headers end", header.e_phoff,
                                    header.e_phnum, header.e_phentsize, size));
    return checkTable("section headers end", header.e_shoff, header.e_shnum,
                      header.e_shentsize, size);
  }
  FatbinHeader fatbin;
  if (size >= sizeof(fatbin)) {
    std::memcpy(&fatbin, bytes, sizeof(fatbin));
    if (fatbin.magic == kFatbinMagic)
      return checkTable("fatbin payload ends", fatbin.headerSize, 1,
                        fatbin.fatSize, size);
  }
  return Status();
}

/// The log on one line, as every runtime message is.
std::string oneLine(std::string_view log) {
  std::string out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    std::string_view line = log.substr(start, end - start);
    while (!line.empty() &&
           std::isspace(static_cast<unsigned char>(line.back())))
      line.remove_suffix(1);
    if (!line.empty())
      out += out.empty() ? std::string(line) : concat("; ", line);
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return out;
}

/// Loads `image` (`what`: "cubin", "PTX") on `device`, capturing the JIT's
/// error log into the message of a failure.
Status loadModule(weft_cuda_device &device, const void *image, const char *what,
                  ModulePtr &out) {
  const CudaDriver &d = *device.driver;
  WEFT_RETURN_IF_ERROR(makeCurrent(device));
  std::vector<char> log(kJitLogBytes, '\0');
  CUjit_option options[] = {kCudaJitErrorLogBuffer,
                            kCudaJitErrorLogBufferSizeBytes};
  // Option values are passed in pointer-sized slots, sizes by value.
  void *values[] = {log.data(), reinterpret_cast<void *>(log.size() - 1)};
  CUmodule module = nullptr;
  if (CUresult r = d.cuModuleLoadDataEx(&module, image, 2, options, values)) {
    Status failure = d.error(concat("cuModuleLoadDataEx (", what, ")"), r);
    std::string text = oneLine({log.data(), strnlen(log.data(), log.size())});
    if (text.empty())
      return failure;
    return error(failure.message(), ": ", text);
  }
  out.reset(new weft_cuda_module{&device, module, {}, {}});
  return Status();
}

/// "the module's kernels are 'a', 'b'", "the module has no kernels", or ""
/// where the driver cannot enumerate them (before CUDA 12.4).
std::string describeKernels(const CudaDriver &d, CUmodule module) {
  unsigned count = 0;
  if (!d.cuModuleGetFunctionCount || !d.cuModuleEnumerateFunctions ||
      !d.cuFuncGetName || d.cuModuleGetFunctionCount(&count, module))
    return "";
  if (count == 0)
    return "the module has no kernels";
  std::vector<CUfunction> functions(count);
  if (d.cuModuleEnumerateFunctions(functions.data(), count, module))
    return "";
  std::string list;
  for (unsigned i = 0; i < count && i < kMaxKernelsListed; ++i) {
    const char *name = nullptr;
    if (d.cuFuncGetName(&name, functions[i]) || !name)
      return "";
    list += concat(i ? ", " : "", quote(name));
  }
  if (count > kMaxKernelsListed)
    list += concat(" and ", count - kMaxKernelsListed, " more");
  return concat("the module's kernels are ", list);
}

/// Looks up kernel `name` in `module` (under its lock).
Status findFunction(weft_cuda_module &module, const char *name,
                    weft_cuda_function *&out) {
  std::lock_guard<std::mutex> lock(module.functionsMutex);
  if (auto it = module.functions.find(name); it != module.functions.end()) {
    out = it->second.get();
    return Status();
  }
  const CudaDriver &d = *module.device->driver;
  WEFT_RETURN_IF_ERROR(makeCurrent(*module.device));
  CUfunction function = nullptr;
  if (CUresult r = d.cuModuleGetFunction(&function, module.module, name)) {
    Status failure =
        d.error(concat("cuModuleGetFunction (", quote(name), ")"), r);
    std::string kernels = describeKernels(d, module.module);
    if (kernels.empty())
      return failure;
    return error(failure.message(), ": ", kernels);
  }
  auto slot = std::make_unique<weft_cuda_function>();
  slot->module = &module;
  slot->function = function;
  slot->name = name;
  out = slot.get();
  module.functions.emplace(name, std::move(slot));
  return Status();
}

/// Raises the function's dynamic shared memory limit to `bytes` when it is
/// lower: kernels opt in to more than 48 KiB.
Status reserveSharedMemory(weft_cuda_function &function, uint32_t bytes) {
  if (bytes <= kCudaDefaultMaxDynamicShared)
    return Status();
  std::lock_guard<std::mutex> lock(function.sharedMutex);
  if (bytes <= function.maxDynamicShared)
    return Status();
  const CudaDriver &d = *function.module->device->driver;
  if (CUresult r = d.cuFuncSetAttribute(function.function,
                                        kCudaMaxDynamicSharedSizeBytes,
                                        static_cast<int>(bytes)))
    return d.error(concat("cuFuncSetAttribute (", quote(function.name),
                          ", CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES "
                          "= ",
                          bytes, ")"),
                   r);
  function.maxDynamicShared = bytes;
  return Status();
}

/// "[x, y, z]".
std::string formatDims(const uint32_t dims[3]) {
  int64_t wide[3] = {dims[0], dims[1], dims[2]};
  return formatShape(wide, 3);
}

Status launch(weft_cuda_function &function, const uint32_t grid[3],
              const uint32_t block[3], uint32_t sharedBytes,
              weft_cuda_stream &stream, void **params) {
  weft_cuda_device &device = *function.module->device;
  const CudaDriver &d = *device.driver;
  WEFT_RETURN_IF_ERROR(checkSameDevice("weft_cuda_launch", *stream.device,
                                       "stream", device, "function"));
  WEFT_RETURN_IF_ERROR(makeCurrent(device));
  WEFT_RETURN_IF_ERROR(reserveSharedMemory(function, sharedBytes));
  if (CUresult r = d.cuLaunchKernel(
          function.function, grid[0], grid[1], grid[2], block[0], block[1],
          block[2], sharedBytes, stream.stream, params, nullptr))
    return d.error(concat("cuLaunchKernel (", quote(function.name), ", grid ",
                          formatDims(grid), ", block ", formatDims(block), ", ",
                          sharedBytes, " shared bytes)"),
                   r);
  return Status();
}

} // namespace

extern "C" {

weft_status_t weft_cuda_module_load_cubin(weft_cuda_device_t *device,
                                          const void *image, size_t size,
                                          weft_cuda_module_t **out_module) {
  WEFT_CHECK_ARG(device);
  WEFT_CHECK_ARG(image);
  WEFT_CHECK_ARG(out_module);
  if (size == 0)
    return error(__func__, ": the image is empty").release();
  if (Status s = checkImageSize(image, size); !s.ok())
    return std::move(s).withPrefix(concat(__func__, ": ")).release();
  ModulePtr module;
  if (Status s = loadModule(*device, image, "cubin", module); !s.ok())
    return s.release();
  *out_module = module.release();
  return nullptr;
}

weft_status_t weft_cuda_module_load_ptx(weft_cuda_device_t *device,
                                        const char *ptx,
                                        weft_cuda_module_t **out_module) {
  WEFT_CHECK_ARG(device);
  WEFT_CHECK_ARG(ptx);
  WEFT_CHECK_ARG(out_module);
  if (!*ptx)
    return error(__func__, ": the PTX is empty").release();
  ModulePtr module;
  if (Status s = loadModule(*device, ptx, "PTX", module); !s.ok())
    return s.release();
  *out_module = module.release();
  return nullptr;
}

void weft_cuda_module_unload(weft_cuda_module_t *module) {
  if (!module)
    return;
  (void)makeCurrent(*module->device);
  module->device->driver->cuModuleUnload(module->module);
  delete module;
}

weft_status_t weft_cuda_module_function(weft_cuda_module_t *module,
                                        const char *name,
                                        weft_cuda_function_t **out_function) {
  WEFT_CHECK_ARG(module);
  WEFT_CHECK_ARG(name);
  WEFT_CHECK_ARG(out_function);
  weft_cuda_function *function = nullptr;
  if (Status s = findFunction(*module, name, function); !s.ok())
    return s.release();
  *out_function = function;
  return nullptr;
}

weft_status_t weft_cuda_launch(weft_cuda_function_t *function,
                               const uint32_t grid[3], const uint32_t block[3],
                               uint32_t shared_bytes,
                               weft_cuda_stream_t *stream, void **params) {
  WEFT_CHECK_ARG(function);
  WEFT_CHECK_ARG(grid);
  WEFT_CHECK_ARG(block);
  WEFT_CHECK_ARG(stream);
  return launch(*function, grid, block, shared_bytes, *stream, params)
      .release();
}

} // extern "C"
