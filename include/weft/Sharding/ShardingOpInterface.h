//===- ShardingOpInterface.h - Ops that enumerate strategies -------*- C++ -*-===//
//
// Declares ShardingStrategyOpInterface and the registration of its
// implementations for the xf dialect.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_SHARDINGOPINTERFACE_H
#define WEFT_SHARDING_SHARDINGOPINTERFACE_H

#include "weft/Sharding/ShardingStrategy.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OpDefinition.h"

#include "weft/Sharding/ShardingOpInterface.h.inc"

namespace weft::sharding {

/// Attaches ShardingStrategyOpInterface to every xf op that computes
/// (XfShardingStrategies.cpp).
void registerXfShardingStrategies(mlir::DialectRegistry &registry);

} // namespace weft::sharding

#endif // WEFT_SHARDING_SHARDINGOPINTERFACE_H
