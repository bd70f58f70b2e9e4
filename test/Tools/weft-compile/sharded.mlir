// weft-compile partitions an annotated module: the manifest records the mesh
// and each argument's whole shape with the mesh axes splitting it; the
// program takes the collective table (it holds an all-reduce). Quietly.
// RUN: rm -f %t.weft
// RUN: weft-compile %s -o %t.weft 2>&1 | FileCheck %s --allow-empty --check-prefix=QUIET
// RUN: FileCheck %s --input-file=%t.weft --check-prefix=ARTIFACT
// QUIET-NOT: {{.}}

// ARTIFACT: "arguments": [
// ARTIFACT:   "name": "x"
// ARTIFACT:   "shape": [
// ARTIFACT-NEXT: 8,
// ARTIFACT-NEXT: 64
// ARTIFACT:   "name": "w1"
// ARTIFACT-NEXT: "role": "weight"
// ARTIFACT-NEXT: "shape": [
// ARTIFACT-NEXT: 64,
// ARTIFACT-NEXT: 256
// ARTIFACT-NEXT: ],
// ARTIFACT-NEXT: "sharding": [
// ARTIFACT-NEXT: [],
// ARTIFACT-NEXT: [
// ARTIFACT-NEXT: 0
// ARTIFACT:   "name": "w2"
// ARTIFACT-NEXT: "role": "weight"
// ARTIFACT-NEXT: "shape": [
// ARTIFACT-NEXT: 256,
// ARTIFACT-NEXT: 64
// ARTIFACT-NEXT: ],
// ARTIFACT-NEXT: "sharding": [
// ARTIFACT-NEXT: [
// ARTIFACT-NEXT: 0
// ARTIFACT:  "mesh": {
// ARTIFACT-NEXT: "axes": [
// ARTIFACT-NEXT: "tp"
// ARTIFACT-NEXT: ],
// ARTIFACT-NEXT: "name": "mesh",
// ARTIFACT-NEXT: "shape": [
// ARTIFACT-NEXT: 4
mesh.mesh @mesh(shape = 4, axes = ["tp"])
func.func @forward(%x: tensor<8x64xf32> {xf.name = "x"},
                   %w1: tensor<64x256xf32> {xf.name = "w1", xf.role = "weight"},
                   %w2: tensor<256x64xf32> {xf.name = "w2", xf.role = "weight"})
    -> (tensor<8x64xf32> {xf.name = "y"}) {
  %0 = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<64x256xf32>
  %h = xf.linear %x, %0 : (tensor<8x64xf32>, tensor<64x256xf32>) -> tensor<8x256xf32>
  %1 = mesh.shard %h to <@mesh, [[], [0]]> : tensor<8x256xf32>
  %2 = mesh.shard %w2 to <@mesh, [[0]]> annotate_for_users : tensor<256x64xf32>
  %y = xf.linear %1, %2 : (tensor<8x256xf32>, tensor<256x64xf32>) -> tensor<8x64xf32>
  %3 = mesh.shard %y to <@mesh, [], partial = sum[0]> : tensor<8x64xf32>
  %4 = mesh.shard %3 to <@mesh, []> annotate_for_users : tensor<8x64xf32>
  return %4 : tensor<8x64xf32>
}
