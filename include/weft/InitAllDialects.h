//===- InitAllDialects.h - Register Weft's dialects ---------------*- C++ -*-===//
//
// One place that lists Weft's dialects, shared by weft-opt, weft-lsp-server,
// the compiler driver and the unit tests.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_INITALLDIALECTS_H
#define WEFT_INITALLDIALECTS_H

#include "weft/Dialect/Mesh/IR/MeshDialect.h"
#include "weft/Dialect/Xf/IR/XfDialect.h"
#include "weft/Sharding/ShardingOpInterface.h"

#include "mlir/IR/DialectRegistry.h"

namespace weft {

/// Adds every Weft dialect to `registry`.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<xf::XfDialect, mesh::MeshDialect>();
  sharding::registerXfShardingStrategies(registry);
}

} // namespace weft

#endif // WEFT_INITALLDIALECTS_H
