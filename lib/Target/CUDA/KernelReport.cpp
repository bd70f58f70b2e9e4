//===- KernelReport.cpp - Which model ops each GPU kernel computes --------===//
//
// Reads the model ops out of each kernel's launch locations and counts the
// launches of each transformer block. A launch belongs to the block of the
// first op its location names (the op its loop nest produces; fused
// producers follow), so that the counts per block add up to the total; a
// kernel shared by several layers counts in each.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CUDA/KernelReport.h"

#include "mlir/IR/Location.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace weft::cuda {

namespace {

/// Appends the op names in `loc`, depth first: a name location's name (its
/// child, the position it was parsed from, adds nothing), a file position
/// where no name exists.
void collectOpNames(LocationAttr loc, std::vector<std::string> &names) {
  auto add = [&](std::string name) {
    if (!llvm::is_contained(names, name))
      names.push_back(std::move(name));
  };
  if (!loc)
    return;
  if (auto name = dyn_cast<NameLoc>(loc))
    return add(name.getName().str());
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      collectOpNames(inner, names);
    return;
  }
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return collectOpNames(call.getCallee(), names);
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return add(llvm::formatv("{0}:{1}:{2}", file.getFilename().getValue(),
                             file.getLine(), file.getColumn())
                   .str());
}

/// The first name location's name in `loc`, depth first: the model op the
/// kernel's loop nest produces.
std::optional<llvm::StringRef> getFirstName(LocationAttr loc) {
  if (auto name = dyn_cast_or_null<NameLoc>(loc))
    return name.getName().getValue();
  if (auto fused = dyn_cast_or_null<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      if (auto name = getFirstName(inner))
        return name;
    return std::nullopt;
  }
  if (auto call = dyn_cast_or_null<CallSiteLoc>(loc))
    return getFirstName(call.getCallee());
  return std::nullopt;
}

} // namespace

KernelReport buildKernelReport(const DeviceImage &image) {
  KernelReport report;
  llvm::StringMap<size_t> blockIndex;
  for (const KernelResources &kernel : image.kernels) {
    KernelOrigin origin{kernel.name, {}, 0};
    for (LocationAttr launch : kernel.launches) {
      ++origin.launches;
      ++report.launches;
      collectOpNames(launch, origin.ops);
      std::optional<llvm::StringRef> first = getFirstName(launch);
      size_t slash = first ? first->rfind('/') : llvm::StringRef::npos;
      if (slash == llvm::StringRef::npos) {
        ++report.launchesOutsideBlocks;
        continue;
      }
      auto [it, inserted] = blockIndex.try_emplace(first->take_front(slash),
                                                   report.blocks.size());
      if (inserted)
        report.blocks.push_back({first->take_front(slash).str(), 0});
      ++report.blocks[it->second].second;
    }
    report.kernels.push_back(std::move(origin));
  }
  return report;
}

void printKernelReport(const KernelReport &report, llvm::raw_ostream &os) {
  size_t width = 6;
  for (const KernelOrigin &kernel : report.kernels)
    width = std::max(width, kernel.kernel.size());
  os << llvm::left_justify("kernel", width) << "  launches  model ops\n";
  for (const KernelOrigin &kernel : report.kernels) {
    os << llvm::left_justify(kernel.kernel, width) << "  "
       << llvm::left_justify(std::to_string(kernel.launches), 8) << "  ";
    if (kernel.ops.empty())
      os << "(unknown)";
    llvm::interleave(kernel.ops, os, ", ");
    os << "\n";
  }
  os << "\nkernel launches per block:\n";
  for (const auto &[block, count] : report.blocks)
    os << "  " << block << ": " << count << "\n";
  os << "outside blocks: " << report.launchesOutsideBlocks << "\n";
  os << "total: " << report.kernels.size() << " kernels, " << report.launches
     << " launches\n";
}

llvm::json::Array getBlocksJson(const KernelReport &report) {
  llvm::json::Array blocks;
  for (const auto &[block, count] : report.blocks)
    blocks.push_back(llvm::json::Object{{"name", block}, {"kernels", count}});
  return blocks;
}

} // namespace weft::cuda
