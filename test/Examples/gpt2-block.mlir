// The README's example graph parses, verifies and round-trips.
// RUN: weft-opt %weft_src_root/examples/gpt2_block.mlir | weft-opt | FileCheck %s

// CHECK: mesh.mesh @node(preset = "8xH100-NVLink")
// CHECK-LABEL: func.func @gpt2_block
// CHECK: xf.layer_norm
// CHECK: xf.attention {{.*}} causal
// CHECK: xf.layer_norm
// CHECK: xf.gelu {{.*}} approximate = tanh
// CHECK: mesh.shard {{.*}} to <@node, [], partial = sum[0]>
// CHECK: return
