//===- DeviceCodegen.cpp - PTX out of the module, cubin through ptxas -----===//
//
// See DeviceCodegen.h. ptxas, not LLVM, produces the cubin: it is the
// assembler the driver trusts, and its -v report is the reference for
// registers and spills.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/DeviceCodegen.h"

#include "weft/Target/CUDA/Passes.h"
#include "weft/Target/ExternalTools.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#ifndef WEFT_CUDA_ROOT
#define WEFT_CUDA_ROOT "/usr/local/cuda"
#endif

using namespace mlir;

namespace weft::cuda {

namespace {

/// ptxas from `cudaPath`, else PATH, else the configured toolkit.
FailureOr<std::string> findPtxas(ModuleOp module, StringRef cudaPath) {
  SmallVector<StringRef> dirs;
  SmallString<128> given;
  if (!cudaPath.empty()) {
    given = cudaPath;
    llvm::sys::path::append(given, "bin");
    dirs.push_back(given);
  }
  if (auto found = llvm::sys::findProgramByName("ptxas", dirs))
    return *found;
  if (cudaPath.empty())
    if (auto found = llvm::sys::findProgramByName("ptxas", {WEFT_CUDA_ROOT "/bin"}))
      return *found;
  emitError(module.getLoc(), "ptxas not found")
      << (cudaPath.empty() ? " on PATH or in " WEFT_CUDA_ROOT "/bin"
                           : (" in " + cudaPath + "/bin").str())
      << "; install the CUDA toolkit or pass --cuda-path";
  return failure();
}

/// Per-kernel resources from ptxas -v: "Function properties for K" then
/// "N bytes stack frame, N bytes spill stores, N bytes spill loads", then
/// "Used N registers, ... N bytes smem".
std::map<std::string, KernelResources> parseResources(StringRef log) {
  std::map<std::string, KernelResources> kernels;
  llvm::Regex function("Function properties for ([A-Za-z0-9_$]+)");
  llvm::Regex frame("([0-9]+) bytes stack frame, ([0-9]+) bytes spill "
                    "stores, ([0-9]+) bytes spill loads");
  llvm::Regex compiling("Compiling entry function '([A-Za-z0-9_$]+)'");
  llvm::Regex used("Used ([0-9]+) registers");
  llvm::Regex smem("([0-9]+) bytes smem");
  std::string current;
  SmallVector<StringRef> lines;
  log.split(lines, '\n');
  for (StringRef line : lines) {
    SmallVector<StringRef> m;
    if (compiling.match(line, &m) || function.match(line, &m)) {
      current = m[1].str();
      kernels[current].name = current;
      continue;
    }
    if (current.empty())
      continue;
    KernelResources &k = kernels[current];
    if (frame.match(line, &m)) {
      m[1].getAsInteger(10, k.stackBytes);
      m[2].getAsInteger(10, k.spillStoreBytes);
      m[3].getAsInteger(10, k.spillLoadBytes);
    }
    if (used.match(line, &m))
      m[1].getAsInteger(10, k.registers);
    if (smem.match(line, &m))
      m[1].getAsInteger(10, k.sharedBytes);
  }
  return kernels;
}

} // namespace

FailureOr<DeviceImage> emitDeviceImage(ModuleOp module,
                                       const DeviceCodegenOptions &options) {
  // 1. The PTX of the one gpu.binary, and the launch order of its kernels.
  auto binaries = llvm::to_vector(module.getOps<gpu::BinaryOp>());
  if (binaries.size() > 1)
    return emitError(module.getLoc(), "expected the kernels in one device "
                                      "image, found ")
               << binaries.size(),
           failure();
  DeviceImage image;
  SmallVector<std::string> names;
  if (auto list = module->getAttrOfType<ArrayAttr>(kKernelsAttrName))
    for (auto name : list.getAsValueRange<StringAttr>())
      names.push_back(name.str());
  module->removeAttr(kKernelsAttrName);
  SmallVector<std::vector<LocationAttr>> locations;
  if (auto list = module->getAttrOfType<ArrayAttr>(kKernelLocationsAttrName))
    for (auto launches : list.getAsRange<ArrayAttr>()) {
      locations.emplace_back();
      for (Attribute location : launches)
        locations.back().push_back(dyn_cast<LocationAttr>(location));
    }
  module->removeAttr(kKernelLocationsAttrName);
  module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  if (binaries.empty())
    return image;
  gpu::BinaryOp binary = binaries.front();
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  if (object.getFormat() != gpu::CompilationTarget::Assembly)
    return binary.emitOpError("expected PTX (format isa)"), failure();
  image.ptx = object.getObject().getValue().str();
  binary.erase();

  // 2. ptxas, with its report.
  FailureOr<std::string> ptxas = findPtxas(module, options.cudaPath);
  if (failed(ptxas))
    return failure();
  TempFiles temps;
  FailureOr<std::string> ptxPath = temps.create(module, "device", "ptx");
  FailureOr<std::string> cubinPath = temps.create(module, "device", "cubin");
  FailureOr<std::string> logPath = temps.create(module, "device", "log");
  if (failed(ptxPath) || failed(cubinPath) || failed(logPath))
    return failure();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(*ptxPath, ec);
    if (ec)
      return emitError(module.getLoc(), "cannot write ")
                 << *ptxPath << ": " << ec.message(),
             failure();
    os << image.ptx;
  }
  // The architecture the PTX was generated for (sm_90a where the kernels
  // use sm_90's arch-specific instructions), else the chip.
  std::string arch = "-arch=" + options.chip;
  if (size_t target = image.ptx.find(".target "); target != std::string::npos) {
    StringRef named = StringRef(image.ptx).substr(target + 8);
    named = named.take_until([](char c) { return c == ',' || isspace(c); });
    if (named.starts_with("sm_"))
      arch = ("-arch=" + named).str();
  }
  SmallVector<StringRef> args{*ptxas, arch, "-O3", "-v", "-o", *cubinPath,
                              *ptxPath};
  if (failed(runTool(module, "assembling the kernels", *ptxas, args,
                     *logPath)))
    return failure();
  auto cubin = llvm::MemoryBuffer::getFile(*cubinPath);
  auto log = llvm::MemoryBuffer::getFile(*logPath);
  if (!cubin || !log)
    return emitError(module.getLoc(), "cannot read what ptxas wrote"),
           failure();
  image.cubin = (*cubin)->getBuffer().str();

  // 3. Resources in launch order.
  std::map<std::string, KernelResources> resources =
      parseResources((*log)->getBuffer());
  for (auto [index, name] : llvm::enumerate(names)) {
    auto it = resources.find(name);
    if (it == resources.end())
      return emitError(module.getLoc(), "ptxas reported nothing for kernel '")
                 << name << "'",
             failure();
    image.kernels.push_back(it->second);
    if (index < locations.size())
      image.kernels.back().launches = locations[index];
  }
  return image;
}

} // namespace weft::cuda
