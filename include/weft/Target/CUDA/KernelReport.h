//===- KernelReport.h - Which model ops each GPU kernel computes -*- C++ -*-===//
//
// Traces each kernel of a device image back to the model ops it computes,
// through the locations its launches carry (the Python frontend names every
// op `loc("h.3/ln_1")`: block `h.3`, op `ln_1`), and counts the kernels
// each transformer block launches. weft-compile prints it (--kernel-report) and
// records the counts in the manifest.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_KERNELREPORT_H
#define WEFT_TARGET_CUDA_KERNELREPORT_H

#include "weft/Target/CUDA/DeviceCodegen.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace weft::cuda {

/// One kernel and where it is launched from.
struct KernelOrigin {
  std::string kernel;
  /// The model ops it computes: the names of the name locations its
  /// launches carry (file positions for ops without one), without repeats.
  std::vector<std::string> ops;
  /// How often the program launches it (a kernel shared by the layers of a
  /// model once per layer).
  int64_t launches = 0;
};

struct KernelReport {
  /// In launch order.
  std::vector<KernelOrigin> kernels;
  /// Each block with the number of kernel launches it makes, in order of
  /// first launch. A launch belongs to the block of the first op its
  /// location names (the op its loop nest produces; fused producers
  /// follow), so that the counts add up to the total launches.
  std::vector<std::pair<std::string, int64_t>> blocks;
  int64_t launchesOutsideBlocks = 0;
  int64_t launches = 0;
};

/// The report of `image`'s kernels.
KernelReport buildKernelReport(const DeviceImage &image);

/// A table of the kernels, then the launches per block and the totals.
void printKernelReport(const KernelReport &report, llvm::raw_ostream &os);

/// `[{"name": block, "kernels": n}, ...]`, the manifest's
/// `device.kernels_per_block`.
llvm::json::Array getBlocksJson(const KernelReport &report);

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_KERNELREPORT_H
