//===- DropShardings.cpp - Forget sharding hints for one device -----------===//
//
// mesh.shard annotates how a value would be distributed; the computation is
// the same without it. Compiling for a single device therefore removes the
// annotations and the mesh symbols. Collectives are a different matter: they
// only exist in partitioned programs, which this pass refuses.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/Transforms/Passes.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"

namespace weft::xf {
#define GEN_PASS_DEF_XFDROPSHARDINGS
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"
} // namespace weft::xf

using namespace mlir;
using namespace weft;

namespace {

struct XfDropShardingsPass
    : weft::xf::impl::XfDropShardingsBase<XfDropShardingsPass> {
  using Base::Base;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    // 1. Refuse partitioned programs: any mesh op other than mesh.mesh and
    //    mesh.shard is a collective or a point-to-point transfer.
    WalkResult walk = module.walk([](Operation *op) {
      if (!isa<mesh::MeshDialect>(op->getDialect()) ||
          isa<mesh::MeshOp, mesh::ShardOp>(op))
        return WalkResult::advance();
      op->emitOpError("belongs to a partitioned program and cannot be "
                      "compiled for a single device");
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // 2. Forward every annotation to its operand, then drop the meshes.
    module.walk([](mesh::ShardOp op) {
      op.getResult().replaceAllUsesWith(op.getSrc());
      op.erase();
    });
    module.walk([](mesh::MeshOp op) { op.erase(); });
  }
};

} // namespace
