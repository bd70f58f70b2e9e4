//===- ShardingOpInterface.td - Ops that enumerate strategies -*- tablegen -*-===//
//
// The interface through which the auto-sharder asks an op how it can run on
// a mesh.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_SHARDINGOPINTERFACE_TD
#define WEFT_SHARDING_SHARDINGOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def ShardingStrategyOpInterface : OpInterface<"ShardingStrategyOpInterface"> {
  let description = [{
    An op that can run split over a device mesh lists every way it can: for
    each strategy, the sharding it needs on its operands, the sharding of its
    results (with pending partial sums), its per-device compute time and the
    collectives it issues itself. `xf-auto-shard` chooses one strategy per
    op by solving an integer linear program over these lists and the cost of
    resharding between them. The list always holds the fully replicated
    strategy, so that every op has at least one.
  }];
  let cppNamespace = "::weft::sharding";
  let methods = [
    InterfaceMethod<[{
        Appends the op's strategies on the mesh of `context` to
        `strategies`.
      }],
      "void", "getShardingStrategies",
      (ins "const ::weft::sharding::StrategyContext &":$context,
           "::llvm::SmallVectorImpl<::weft::sharding::ShardingStrategy> &":$strategies)>,
    InterfaceMethod<[{
        True when the op has one tensor operand that is not a weight or
        constant and its strategies are fixed by that operand's sharding
        (normalizations, activations, reshapes). The auto-sharder merges such
        an op into its producer instead of deciding it separately.
      }],
      "bool", "followsOperand", (ins), [{}], [{ return false; }]>
  ];
}

#endif // WEFT_SHARDING_SHARDINGOPINTERFACE_TD
