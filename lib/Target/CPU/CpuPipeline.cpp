//===- CpuPipeline.cpp - xf on tensors to LLVM dialect for the host -------===//
//
// The single definition of the CPU pipeline, in stages:
//   1. xf → linalg on tensors (attention as its loop nest), fused and cleaned;
//   2. distribution of linalg ops over the cores (scf.forall tiles), with
//      row reductions and their neighbours grouped first when asked;
//   3. collectives to runtime calls; bufferization of whole modules,
//      results turned into out-parameters;
//   4. loops, OpenMP for the parallel ones, then LLVM dialect.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CPU/Passes.h"

#include "weft/Conversion/Passes.h"
#include "weft/Dialect/Xf/Transforms/Passes.h"
#include "weft/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void weft::cpu::buildXfToLinalgStage(OpPassManager &pm, int64_t blockQ,
                                     int64_t blockKv) {
  xf::XfLowerAttentionOptions attention;
  attention.blockQ = blockQ;
  attention.blockKv = blockKv;
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(xf::createXfLowerAttention(attention));
  func.addPass(createXfLowerToLinalg());
  func.addPass(createCanonicalizerPass());
  func.addPass(createCSEPass());
  func.addPass(createLinalgElementwiseOpFusionPass());
  func.addPass(createCanonicalizerPass());
  func.addPass(createCSEPass());
}

void weft::cpu::buildBufferizationStage(OpPassManager &pm) {
  // Collectives of a partitioned program become calls through the
  // runtime's table (on buffers, so before bufferization settles them).
  pm.addPass(createConvertMeshToRuntime());
  pm.addPass(createCpuPrepareEntryAbi());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Strided copies as linalg.copy: no memrefCopy helper in any target.
  pm.addNestedPass<func::FuncOp>(createCpuLowerCopies());
}

void weft::cpu::buildCpuPipeline(OpPassManager &pm,
                                 const CpuPipelineOptions &options) {
  // 1. xf → linalg on tensors.
  buildXfToLinalgStage(pm, options.attentionBlockQ, options.attentionBlockKv);

  // 2. Tiles for the cores (row groups are tiles already).
  if (options.fuseRows) {
    pm.addNestedPass<func::FuncOp>(createFuseRows());
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  }
  if (options.parallel) {
    CpuDistributeOptions distribute;
    distribute.numTiles = options.numTiles;
    pm.addNestedPass<func::FuncOp>(createCpuDistribute(distribute));
    pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  }

  // 3. Collectives, bufferization: entry arguments read-only, results
  //    written into caller-provided buffers, temporaries freed.
  buildBufferizationStage(pm);

  // 4. Loops, threads, LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  // Without OpenMP, scf-to-cf turns scf.parallel into sequential loops.
  // The canonicalizer then inlines the alloca scopes scf-to-openmp wraps
  // loop bodies in (bodies hold no allocas; scopes must not reach scf-to-cf).
  if (options.parallel) {
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addPass(createCanonicalizerPass());
  }
  buildHostToLLVMStage(pm);
}

void weft::cpu::buildHostToLLVMStage(OpPassManager &pm) {
  pm.addPass(createSCFToControlFlowPass());
  // After expand-strided-metadata, which introduces affine.apply of its own.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addNestedPass<func::FuncOp>(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void weft::cpu::registerCpuPipeline() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "weft-cpu-pipeline",
      "Lower an xf program on tensors to LLVM dialect for the host CPU",
      buildCpuPipeline);
}
