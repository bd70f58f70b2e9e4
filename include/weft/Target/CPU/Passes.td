//===- Passes.td - CPU target passes --------------------------*- tablegen -*-===//
//
// Passes specific to generating host code.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CPU_PASSES
#define WEFT_TARGET_CPU_PASSES

include "mlir/Pass/PassBase.td"

def CpuDistribute : Pass<"weft-cpu-distribute", "mlir::func::FuncOp"> {
  let summary = "Split top-level linalg ops into parallel tiles for the cores";
  let description = [{
    Tiles each linalg op at function level along its outer parallel loops
    into an `scf.forall`, aiming at `num-tiles` tiles, and fuses the
    producers that only this op uses (fills, elementwise maps, reductions)
    into the tile, so that a chain such as fill → contraction → bias runs
    tile by tile. Ops already inside a loop nest (the attention nest) and
    ops with fewer than `min-tile-work` iterations per tile are left
    alone. After bufferization each `scf.forall` becomes an OpenMP
    parallel loop.

    Before:
    ```mlir
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<128x256xf32>) -> tensor<128x256xf32>
    %c = linalg.generic {... "parallel", "parallel", "reduction"}
        ins(%a, %b : tensor<128x64xf32>, tensor<64x256xf32>) outs(%f : ...)
    ```
    After:
    ```mlir
    %c = scf.forall (%i) = (0) to (128) step (2) shared_outs(%o = %e) {
      %ft = linalg.fill ... -> tensor<2x256xf32>
      %ct = linalg.generic ... outs(%ft : tensor<2x256xf32>)
      scf.forall.in_parallel { tensor.parallel_insert_slice %ct into %o[%i, 0] ... }
    }
    ```
  }];
  let options = [
    Option<"numTiles", "num-tiles", "int64_t", /*default=*/"64",
           "tiles to aim for per op (a few per core balances the load)">,
    Option<"minTileWork", "min-tile-work", "int64_t", /*default=*/"4096",
           "fewest loop iterations a tile should hold">,
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def CpuPrepareEntryAbi : Pass<"weft-cpu-prepare-entry-abi", "mlir::ModuleOp"> {
  let summary = "Mark public functions as entry points of the host library";
  let description = [{
    Every public `func.func` becomes an entry point called by the runtime
    (docs/artifact.md): it gets `llvm.emit_c_interface`, so that its
    arguments arrive as pointers to memref descriptors, and each tensor
    argument gets `bufferization.writable = false`, so that bufferization
    never writes into the caller's inputs or weights (a weight buffer is
    reused by every call). The `xf.name` and `xf.role` attributes, already
    recorded in the artifact's manifest, are removed.
  }];
}

def CpuLowerCopies : Pass<"weft-cpu-lower-copies", "mlir::func::FuncOp"> {
  let summary = "Turn strided memref.copy into loops";
  let description = [{
    The LLVM lowering of `memref.copy` calls a helper library
    (`memrefCopy`) whenever source or target is not contiguous. Host
    libraries must not depend on it, so each such copy becomes a
    `linalg.copy`, which lowers to plain loops with everything else.
    Contiguous copies stay `memref.copy` and become `memcpy`.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

#endif // WEFT_TARGET_CPU_PASSES
