// --mesh shards automatically and prints the plan; its options need it.
// RUN: weft-compile %s -o %t.weft --mesh=2xCPU --plan-summary=- | FileCheck %s --check-prefix=PLAN
// RUN: FileCheck %s --input-file=%t.weft --check-prefix=ARTIFACT
// RUN: not weft-compile %s -o %t.weft --plan-summary=- 2>&1 | FileCheck %s --check-prefix=NO-MESH
// RUN: not weft-compile %s -o %t.weft --mesh=2xCPU --single-device 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not weft-compile %s -o %t.weft --mesh=3xNoSuchGPU 2>&1 | FileCheck %s --check-prefix=PRESET
// --single-device drops the plan: a whole-model artifact without a mesh.
// RUN: weft-opt %s --xf-auto-shard=mesh=2xCPU -o %t.sharded.mlir
// RUN: weft-compile %t.sharded.mlir -o %t.single.weft --single-device
// RUN: FileCheck %s --input-file=%t.single.weft --check-prefix=SINGLE

// PLAN: sharding plan for @forward on mesh @mesh (rank=2, CPU)
// PLAN: solver: optimal
// ARTIFACT: "mesh": {
// ARTIFACT: "rank"
// NO-MESH: weft-compile: error: --memory-budget, --plan-summary and --plan-report need --mesh
// BOTH: weft-compile: error: --mesh and --single-device contradict each other
// PRESET: error: {{.*}}3xNoSuchGPU
// SINGLE: "mesh": null
// SINGLE-NOT: "sharding"
func.func @forward(%x: tensor<64x64xf32> {xf.name = "x"},
                   %w: tensor<64x64xf32> {xf.name = "w", xf.role = "weight"})
    -> (tensor<64x64xf32> {xf.name = "y"}) {
  %y = xf.linear %x, %w : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}
