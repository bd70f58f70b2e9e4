// xf-auto-shard: every way the options or the input can be wrong gives one
// clear error and a failing exit.
// RUN: not weft-opt %s -split-input-file --xf-auto-shard="mesh=8xTPU" 2>&1 | FileCheck %s --check-prefix=PRESET
// RUN: not weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink memory-budget=lots" 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink time-limit=-1" 2>&1 | FileCheck %s --check-prefix=TIME
// RUN: not weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink memory-budget=10MiB" 2>&1 | FileCheck %s --check-prefix=MEMORY
// RUN: not weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink plan-report=%t/missing/dir/plan.json" 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: not weft-opt %s -split-input-file --xf-auto-shard 2>&1 | FileCheck %s --check-prefix=NOMESH
// RUN: not weft-opt %s -split-input-file --xf-auto-shard="mesh=main" 2>&1 | FileCheck %s --check-prefix=OTHER

// PRESET: error: unknown mesh preset '8xTPU'; expected <shape>x<family> with family one of: H100-NVLink, H100-IB, H200-NVLink, H200-IB, CPU
// BUDGET: error: expected memory-budget to be a positive size such as 80GiB or 1e9, got 'lots'
// TIME: error: expected a positive time-limit in seconds, got -1.0
// The weights are 64 MiB: split four ways, 16 MiB, plus the activations
// (8 rows of 8192 and 1024 floats, 0.28 MiB at the peak, less when split).
// MEMORY: error: no sharding of @mlp on mesh @mesh fits the per-device memory budget of 10.00 MiB; the least any plan needs is 16.{{[0-9]+}} MiB per device
// REPORT: error: cannot write the plan report to '{{.*}}missing/dir/plan.json'
// NOMESH: error: expected one mesh.mesh in the module or a mesh=<preset> option, found 0 meshes
func.func @mlp(%x: tensor<8x1024xf32>,
               %w1: tensor<1024x8192xf32> {xf.name = "w1", xf.role = "weight"},
               %w2: tensor<8192x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<8x1024xf32> {
  %h = xf.linear %x, %w1 : (tensor<8x1024xf32>, tensor<1024x8192xf32>) -> tensor<8x8192xf32>
  %y = xf.linear %h, %w2 : (tensor<8x8192xf32>, tensor<8192x1024xf32>) -> tensor<8x1024xf32>
  return %y : tensor<8x1024xf32>
}

// -----

// A mesh without hardware cannot be priced.
// NOMESH: error: mesh 'bare' has no hardware description; the cost model needs a device and one link per axis (e.g. preset = "8xH100-NVLink")
mesh.mesh @bare(shape = 4)
func.func @f(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %y = xf.gelu %x : (tensor<8x16xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// An annotation on another mesh than the one planned for.
// NOMESH: error: expected one mesh.mesh in the module or a mesh=<preset> option, found 2 meshes
// OTHER: error: 'mesh.shard' op annotates mesh @other but the function is sharded over @main
mesh.mesh @main(preset = "4xCPU")
mesh.mesh @other(preset = "2xCPU")
func.func @g(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %xs = mesh.shard %x to <@other, [[0]]> annotate_for_users : tensor<8x16xf32>
  %y = xf.gelu %xs : (tensor<8x16xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
