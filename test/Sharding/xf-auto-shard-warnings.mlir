// xf-auto-shard: an annotation no strategy can follow (here a split of 6
// rows over 4 devices) is priced as a reshard, and says so.
// RUN: weft-opt %s --xf-auto-shard="mesh=4xCPU" -verify-diagnostics -o /dev/null

mesh.mesh @mesh(preset = "4xCPU")
func.func @uneven(%x: tensor<6x16xf32>) -> tensor<6x16xf32> {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<6x16xf32>
  // expected-warning @+1 {{no strategy of this op takes operand #0 as [[0], []]; the plan reshards to and from the annotation}}
  %1 = xf.gelu %0 : (tensor<6x16xf32>) -> tensor<6x16xf32>
  // expected-warning @+1 {{no strategy of this op produces result #0 as [[], []] partial=[0]; the plan reshards to and from the annotation}}
  %2 = xf.silu %1 : (tensor<6x16xf32>) -> tensor<6x16xf32>
  %3 = mesh.shard %2 to <@mesh, [], partial = sum[0]> : tensor<6x16xf32>
  return %3 : tensor<6x16xf32>
}
