//===- InitAllPasses.h - Register every Weft pass and pipeline ------------===//
//
// One place that knows every Weft pass, so that weft-opt, weft-compile and
// tests see the same set.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_INITALLPASSES_H
#define WEFT_INITALLPASSES_H

#include "weft/Conversion/Passes.h"
#include "weft/Dialect/Xf/Transforms/Passes.h"
#include "weft/Target/CPU/Passes.h"
#include "weft/Target/CUDA/Passes.h"
#include "weft/Transforms/Passes.h"

namespace weft {

inline void registerAllPasses() {
  registerWeftConversionPasses();
  xf::registerXfTransformsPasses();
  cpu::registerWeftCpuPasses();
  cpu::registerCpuPipeline();
  cuda::registerWeftCudaPasses();
  cuda::registerCudaPipeline();
  registerWeftTransformsPasses();
}

} // namespace weft

#endif // WEFT_INITALLPASSES_H
