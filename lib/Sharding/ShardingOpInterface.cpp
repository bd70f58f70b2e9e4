//===- ShardingOpInterface.cpp - Ops that enumerate strategies ------------===//
//
// The generated part of ShardingStrategyOpInterface.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/ShardingOpInterface.h"

#include "weft/Sharding/ShardingOpInterface.cpp.inc"
