// RUN: weft-opt %s -split-input-file --xf-partition | FileCheck %s

// Megatron MLP: column-parallel, then row-parallel with a bias; one
// all-reduce. Each device adds a quarter of the second bias.
// CHECK-LABEL: func.func @megatron
// CHECK-SAME: %[[X:[^:]*]]: tensor<8x64xf32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK-SAME: %[[W1:[^:]*]]: tensor<64x64xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}], [0]]>}
// CHECK-SAME: %[[B1:[^:]*]]: tensor<64xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}0]]>}
// CHECK-SAME: %[[W2:[^:]*]]: tensor<64x64xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}0]]>}
// CHECK-SAME: %[[B2:[^:]*]]: tensor<64xf32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK-SAME: -> tensor<8x64xf32>
// CHECK:      %[[H:.*]] = xf.linear %[[X]], %[[W1]], %[[B1]] : (tensor<8x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<8x64xf32>
// CHECK:      %[[G:.*]] = xf.gelu %[[H]] : (tensor<8x64xf32>) -> tensor<8x64xf32>
// CHECK:      %[[QUARTER:.*]] = arith.constant dense<2.500000e-01> : tensor<64xf32>
// CHECK:      %[[SHARE:.*]] = xf.mul %[[B2]], %[[QUARTER]]
// CHECK:      %[[Y:.*]] = xf.linear %[[G]], %[[W2]], %[[SHARE]] : (tensor<8x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<8x64xf32>
// CHECK:      %[[R:.*]] = mesh.all_reduce %[[Y]] on @mesh mesh_axes = [0] : tensor<8x64xf32> -> tensor<8x64xf32>
// CHECK:      return %[[R]] : tensor<8x64xf32>
// CHECK-NOT:  mesh.shard
mesh.mesh @mesh(shape = 4)
func.func @megatron(%x: tensor<8x64xf32>, %w1: tensor<64x256xf32>, %b1: tensor<256xf32>,
                    %w2: tensor<256x64xf32>, %b2: tensor<64xf32>) -> tensor<8x64xf32> {
  %0 = mesh.shard %x to <@mesh, []> annotate_for_users : tensor<8x64xf32>
  %1 = mesh.shard %w1 to <@mesh, [[], [0]]> annotate_for_users : tensor<64x256xf32>
  %2 = mesh.shard %b1 to <@mesh, [[0]]> annotate_for_users : tensor<256xf32>
  %h = xf.linear %0, %1, %2 : (tensor<8x64xf32>, tensor<64x256xf32>, tensor<256xf32>) -> tensor<8x256xf32>
  %3 = mesh.shard %h to <@mesh, [[], [0]]> : tensor<8x256xf32>
  %g = xf.gelu %3 : (tensor<8x256xf32>) -> tensor<8x256xf32>
  %4 = mesh.shard %g to <@mesh, [[], [0]]> : tensor<8x256xf32>
  %5 = mesh.shard %w2 to <@mesh, [[0]]> annotate_for_users : tensor<256x64xf32>
  %6 = mesh.shard %b2 to <@mesh, []> annotate_for_users : tensor<64xf32>
  %y = xf.linear %4, %5, %6 : (tensor<8x256xf32>, tensor<256x64xf32>, tensor<64xf32>) -> tensor<8x64xf32>
  %7 = mesh.shard %y to <@mesh, [], partial = sum[0]> : tensor<8x64xf32>
  %8 = mesh.shard %7 to <@mesh, []> annotate_for_users : tensor<8x64xf32>
  return %8 : tensor<8x64xf32>
}

// -----

// Replicated -> split: each device slices its rows at index x block; split
// -> replicated: all-gather.
// CHECK-LABEL: func.func @slice_then_gather
// CHECK-SAME: %[[X:[^:]*]]: tensor<8x16xf32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK:      %[[WHOLE:.*]] = xf.gelu %[[X]] : (tensor<8x16xf32>) -> tensor<8x16xf32>
// CHECK:      %[[I:.*]] = mesh.process_index on @mesh mesh_axes = [0] : index
// CHECK:      %[[B:.*]] = arith.constant 2 : index
// CHECK:      %[[OFF:.*]] = arith.muli %[[I]], %[[B]] : index
// CHECK:      %[[S:.*]] = tensor.extract_slice %[[WHOLE]][%[[OFF]], 0] [2, 16] [1, 1] : tensor<8x16xf32> to tensor<2x16xf32>
// CHECK:      %[[G:.*]] = xf.gelu %[[S]] : (tensor<2x16xf32>) -> tensor<2x16xf32>
// CHECK:      %[[W:.*]] = mesh.all_gather %[[G]] on @mesh mesh_axes = [0] gather_axis = 0 : tensor<2x16xf32> -> tensor<8x16xf32>
// CHECK:      return %[[W]]
mesh.mesh @mesh(shape = 4)
func.func @slice_then_gather(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %0 = mesh.shard %x to <@mesh, []> : tensor<8x16xf32>
  %1 = xf.gelu %0 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %2 = mesh.shard %1 to <@mesh, []> : tensor<8x16xf32>
  %3 = mesh.shard %2 to <@mesh, [[0]]> annotate_for_users : tensor<8x16xf32>
  %4 = xf.gelu %3 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %5 = mesh.shard %4 to <@mesh, [[0]]> : tensor<8x16xf32>
  %6 = mesh.shard %5 to <@mesh, []> annotate_for_users : tensor<8x16xf32>
  return %6 : tensor<8x16xf32>
}

// -----

// A split moving from the sequence to the heads (attention after a
// sequence-parallel projection): all_to_all. Grouped-query keys/values (2
// heads) cannot follow a 4-way head split: every device holds them whole
// and takes the head its query heads share.
// CHECK-LABEL: func.func @sequence_to_heads
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x8x16xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}], [0]]>}
// CHECK-SAME: %[[K:[^:]*]]: tensor<1x16x2x16xf32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK-SAME: %[[V:[^:]*]]: tensor<1x16x2x16xf32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK:      %[[T:.*]] = mesh.all_to_all %[[Q]] on @mesh mesh_axes = [0] split_axis = 2 concat_axis = 1 : tensor<1x4x8x16xf32> -> tensor<1x16x2x16xf32>
// Devices 0, 1 hold query heads 0-3 (key/value head 0), devices 2, 3 heads
// 4-7 (key/value head 1).
// CHECK:      %[[I:.*]] = mesh.process_index on @mesh mesh_axes = [0] : index
// CHECK:      %[[TWO:.*]] = arith.constant 2 : index
// CHECK:      %[[HEAD:.*]] = arith.divui %[[I]], %[[TWO]] : index
// CHECK:      %[[KH:.*]] = tensor.extract_slice %[[K]][0, 0, %[[HEAD]], 0] [1, 16, 1, 16] [1, 1, 1, 1] : tensor<1x16x2x16xf32> to tensor<1x16x1x16xf32>
// CHECK:      %[[VH:.*]] = tensor.extract_slice %[[V]][0, 0, %[[HEAD]], 0] [1, 16, 1, 16] [1, 1, 1, 1] : tensor<1x16x2x16xf32> to tensor<1x16x1x16xf32>
// CHECK:      %[[O:.*]] = xf.attention %[[T]], %[[KH]], %[[VH]] causal : (tensor<1x16x2x16xf32>, tensor<1x16x1x16xf32>, tensor<1x16x1x16xf32>) -> tensor<1x16x2x16xf32>
// CHECK:      mesh.all_gather %[[O]] on @mesh mesh_axes = [0] gather_axis = 2 : tensor<1x16x2x16xf32> -> tensor<1x16x8x16xf32>
mesh.mesh @mesh(shape = 4)
func.func @sequence_to_heads(%q: tensor<1x16x8x16xf32>, %k: tensor<1x16x2x16xf32>,
                             %v: tensor<1x16x2x16xf32>) -> tensor<1x16x8x16xf32> {
  %0 = mesh.shard %q to <@mesh, [[], [0]]> : tensor<1x16x8x16xf32>
  %1 = mesh.shard %0 to <@mesh, [[], [], [0]]> annotate_for_users : tensor<1x16x8x16xf32>
  %o = xf.attention %1, %k, %v causal
      : (tensor<1x16x8x16xf32>, tensor<1x16x2x16xf32>, tensor<1x16x2x16xf32>) -> tensor<1x16x8x16xf32>
  %2 = mesh.shard %o to <@mesh, [[], [], [0]]> : tensor<1x16x8x16xf32>
  %3 = mesh.shard %2 to <@mesh, []> annotate_for_users : tensor<1x16x8x16xf32>
  return %3 : tensor<1x16x8x16xf32>
}

// -----

// A partial sum the next op wants split: reduce_scatter.
// CHECK-LABEL: func.func @reduce_scatter
// CHECK:      %[[Y:.*]] = xf.linear %{{.*}}, %{{.*}} : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
// CHECK:      %[[S:.*]] = mesh.reduce_scatter %[[Y]] on @mesh mesh_axes = [0] scatter_axis = 0 : tensor<8x32xf32> -> tensor<4x32xf32>
// CHECK:      xf.gelu %[[S]] : (tensor<4x32xf32>) -> tensor<4x32xf32>
mesh.mesh @mesh(shape = 2)
func.func @reduce_scatter(%x: tensor<8x32xf32>, %w: tensor<32x32xf32>) -> tensor<8x32xf32> {
  %0 = mesh.shard %x to <@mesh, [[], [0]]> annotate_for_users : tensor<8x32xf32>
  %1 = mesh.shard %w to <@mesh, [[0]]> annotate_for_users : tensor<32x32xf32>
  %y = xf.linear %0, %1 : (tensor<8x32xf32>, tensor<32x32xf32>) -> tensor<8x32xf32>
  %2 = mesh.shard %y to <@mesh, [], partial = sum[0]> : tensor<8x32xf32>
  %3 = mesh.shard %2 to <@mesh, [[0]]> annotate_for_users : tensor<8x32xf32>
  %g = xf.gelu %3 : (tensor<8x32xf32>) -> tensor<8x32xf32>
  %4 = mesh.shard %g to <@mesh, [[0]]> : tensor<8x32xf32>
  %5 = mesh.shard %4 to <@mesh, []> annotate_for_users : tensor<8x32xf32>
  return %5 : tensor<8x32xf32>
}

// -----

// A 2-D mesh: data parallel over axis 0, Megatron over axis 1; gathering
// a dimension split over both axes takes the inner axis first.
// CHECK-LABEL: func.func @two_dimensional
// CHECK-SAME: tensor<4x16xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}0]]>}
// CHECK-SAME: tensor<16x16xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}], [1]]>}
// CHECK:      %[[H:.*]] = xf.linear %{{.*}} : (tensor<4x16xf32>, tensor<16x16xf32>) -> tensor<4x16xf32>
// CHECK:      %[[A:.*]] = mesh.all_gather %[[H]] on @mesh mesh_axes = [1] gather_axis = 1 : tensor<4x16xf32> -> tensor<4x32xf32>
// CHECK:      %[[B:.*]] = mesh.all_gather %[[A]] on @mesh mesh_axes = [0] gather_axis = 0 : tensor<4x32xf32> -> tensor<8x32xf32>
// CHECK:      return %[[B]]
mesh.mesh @mesh(shape = 2x2)
func.func @two_dimensional(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>) -> tensor<8x32xf32> {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<8x16xf32>
  %1 = mesh.shard %w to <@mesh, [[], [1]]> annotate_for_users : tensor<16x32xf32>
  %h = xf.linear %0, %1 : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
  %2 = mesh.shard %h to <@mesh, [[0], [1]]> : tensor<8x32xf32>
  %3 = mesh.shard %2 to <@mesh, []> annotate_for_users : tensor<8x32xf32>
  return %3 : tensor<8x32xf32>
}

// -----

// An argument two uses want split differently is read in the layout they
// share (whole here), and each use slices its own.
// CHECK-LABEL: func.func @two_uses
// CHECK-SAME: tensor<8x8xf32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK:      tensor.extract_slice %{{.*}} : tensor<8x8xf32> to tensor<4x8xf32>
// CHECK:      tensor.extract_slice %{{.*}} : tensor<8x8xf32> to tensor<8x4xf32>
mesh.mesh @mesh(shape = 2)
func.func @two_uses(%x: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<8x8xf32>
  %a = xf.gelu %0 : (tensor<8x8xf32>) -> tensor<8x8xf32>
  %1 = mesh.shard %a to <@mesh, [[0]]> : tensor<8x8xf32>
  %2 = mesh.shard %1 to <@mesh, []> annotate_for_users : tensor<8x8xf32>
  %3 = mesh.shard %x to <@mesh, [[], [0]]> annotate_for_users : tensor<8x8xf32>
  %b = xf.silu %3 : (tensor<8x8xf32>) -> tensor<8x8xf32>
  %4 = mesh.shard %b to <@mesh, [[], [0]]> : tensor<8x8xf32>
  %5 = mesh.shard %4 to <@mesh, []> annotate_for_users : tensor<8x8xf32>
  return %2, %5 : tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

// Causal attention split over queries: each device's diagonal moves by its
// block's start (index x 8) plus Skv - Sq = 0; keys and values stay whole.
// CHECK-LABEL: func.func @causal_queries
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x8x2x4xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}], [0]]>}
// CHECK-SAME: %[[K:[^:]*]]: tensor<1x16x2x4xf32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK:      %[[I:.*]] = mesh.process_index on @mesh mesh_axes = [0] : index
// CHECK:      %[[EIGHT:.*]] = arith.constant 8 : index
// CHECK:      %[[START:.*]] = arith.muli %[[I]], %[[EIGHT]] : index
// CHECK:      %[[ZERO:.*]] = arith.constant 0 : index
// CHECK:      %[[DIAG:.*]] = arith.addi %[[START]], %[[ZERO]] : index
// CHECK:      %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[K]] causal causal_offset(%[[DIAG]]) : (tensor<1x8x2x4xf32>, tensor<1x16x2x4xf32>, tensor<1x16x2x4xf32>, index) -> tensor<1x8x2x4xf32>
// CHECK:      mesh.all_gather %[[O]] on @mesh mesh_axes = [0] gather_axis = 1 : tensor<1x8x2x4xf32> -> tensor<1x16x2x4xf32>
mesh.mesh @mesh(shape = 2)
func.func @causal_queries(%q: tensor<1x16x2x4xf32>, %k: tensor<1x16x2x4xf32>) -> tensor<1x16x2x4xf32> {
  %0 = mesh.shard %q to <@mesh, [[], [0]]> annotate_for_users : tensor<1x16x2x4xf32>
  %1 = xf.attention %0, %k, %k causal : (tensor<1x16x2x4xf32>, tensor<1x16x2x4xf32>, tensor<1x16x2x4xf32>) -> tensor<1x16x2x4xf32>
  %2 = mesh.shard %1 to <@mesh, [[], [0]]> : tensor<1x16x2x4xf32>
  %3 = mesh.shard %2 to <@mesh, []> annotate_for_users : tensor<1x16x2x4xf32>
  return %3 : tensor<1x16x2x4xf32>
}

// -----

// Vocabulary-parallel lookup: rows [32 r, 32 r + 32) of the table on device
// r; ids shifted by 32 r, looked up where they are this device's (row 0
// otherwise) and zeroed where not; the partial sums all-reduce.
// CHECK-LABEL: func.func @vocab
// CHECK-SAME: %[[TABLE:[^:]*]]: tensor<32x8xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}0]]>}
// CHECK-SAME: %[[IDS:[^:]*]]: tensor<1x4xi32> {mesh.sharding = #mesh.sharding<@mesh, []>}
// CHECK:      %[[I:.*]] = mesh.process_index on @mesh mesh_axes = [0] : index
// CHECK:      %[[FIRST:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK:      %[[START:.*]] = arith.index_cast %[[FIRST]] : index to i32
// CHECK:      %[[LOCAL:.*]] = linalg.generic {{.*}} ins(%[[IDS]] : tensor<1x4xi32>)
// CHECK:        arith.subi %{{.*}}, %[[START]] : i32
// CHECK:        arith.select
// CHECK:      %[[ROWS:.*]] = xf.embedding %[[TABLE]][%[[LOCAL]]] : (tensor<32x8xf32>, tensor<1x4xi32>) -> tensor<1x4x8xf32>
// CHECK:      %[[MINE:.*]] = linalg.generic {{.*}} ins(%[[ROWS]], %[[IDS]] : tensor<1x4x8xf32>, tensor<1x4xi32>) outs(%{{.*}} : tensor<1x4x8xf32>)
// CHECK:        arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK:      %[[SUM:.*]] = mesh.all_reduce %[[MINE]] on @mesh mesh_axes = [0]
// CHECK:      return %[[SUM]]
mesh.mesh @mesh(shape = 2)
func.func @vocab(%table: tensor<64x8xf32>, %ids: tensor<1x4xi32>) -> tensor<1x4x8xf32> {
  %0 = mesh.shard %table to <@mesh, [[0]]> annotate_for_users : tensor<64x8xf32>
  %1 = mesh.shard %ids to <@mesh, []> annotate_for_users : tensor<1x4xi32>
  %2 = xf.embedding %0[%1] : (tensor<64x8xf32>, tensor<1x4xi32>) -> tensor<1x4x8xf32>
  %3 = mesh.shard %2 to <@mesh, [], partial = sum[0]> : tensor<1x4x8xf32>
  %4 = mesh.shard %3 to <@mesh, []> annotate_for_users : tensor<1x4x8xf32>
  return %4 : tensor<1x4x8xf32>
}

// -----

// RoPE over a block of the sequence: positions start at the block's start.
// CHECK-LABEL: func.func @rope_sequence
// CHECK:      %[[I:.*]] = mesh.process_index on @mesh mesh_axes = [0] : index
// CHECK:      %[[START:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK:      %[[POS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4xi64>)
// CHECK:        %[[J:.*]] = linalg.index 1 : index
// CHECK:        arith.addi %[[START]], %[[J]] : index
// CHECK:      xf.rope %{{.*}} positions(%[[POS]]) theta = 1.000000e+04 : (tensor<1x4x2x4xf32>, tensor<1x4xi64>) -> tensor<1x4x2x4xf32>
mesh.mesh @mesh(shape = 2)
func.func @rope_sequence(%x: tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  %0 = mesh.shard %x to <@mesh, [[], [0]]> annotate_for_users : tensor<1x8x2x4xf32>
  %1 = xf.rope %0 theta = 1.0e+04 : (tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32>
  %2 = mesh.shard %1 to <@mesh, [[], [0]]> : tensor<1x8x2x4xf32>
  %3 = mesh.shard %2 to <@mesh, []> annotate_for_users : tensor<1x8x2x4xf32>
  return %3 : tensor<1x8x2x4xf32>
}

// -----

// Layer norm over a split width: each device sums its half of every row;
// the sums all-reduce for the mean (over all 8 features), then again for
// the centred variance; each device normalizes its half.
// CHECK-LABEL: func.func @norm_width
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x4xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}], [0]]>}
// CHECK:      %[[WIDTH:.*]] = arith.constant 8.000000e+00 : f32
// CHECK:      %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x4xf32>)
// CHECK:      %[[ROWSUM:.*]] = mesh.all_reduce %[[SUM]] on @mesh mesh_axes = [0] : tensor<4xf32> -> tensor<4xf32>
// CHECK:      %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[ROWSUM]] : tensor<4xf32>)
// CHECK:        arith.divf %{{.*}}, %[[WIDTH]] : f32
// CHECK:      %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] : tensor<4x4xf32>, tensor<4xf32>)
// CHECK:      %[[ROWSQ:.*]] = mesh.all_reduce %[[SQ]] on @mesh mesh_axes = [0] : tensor<4xf32> -> tensor<4xf32>
// CHECK:      %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]], %[[ROWSQ]], %{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:      mesh.all_gather %[[Y]] on @mesh mesh_axes = [0] gather_axis = 1 : tensor<4x4xf32> -> tensor<4x8xf32>
mesh.mesh @mesh(shape = 2)
func.func @norm_width(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = mesh.shard %x to <@mesh, [[], [0]]> annotate_for_users : tensor<4x8xf32>
  %1 = mesh.shard %g to <@mesh, [[0]]> annotate_for_users : tensor<8xf32>
  %2 = mesh.shard %b to <@mesh, [[0]]> annotate_for_users : tensor<8xf32>
  %3 = xf.layer_norm %0, %1, %2 epsilon = 1.0e-05 : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %4 = mesh.shard %3 to <@mesh, [[], [0]]> : tensor<4x8xf32>
  %5 = mesh.shard %4 to <@mesh, []> annotate_for_users : tensor<4x8xf32>
  return %5 : tensor<4x8xf32>
}

// -----

// Keeping the inner axis of a dimension split over both while the outer
// one goes: no single collective joins those blocks, so the dimension is
// gathered whole (inner axis first) and cut again over axis 1.
// CHECK-LABEL: func.func @outer_axis_leaves
// CHECK:      %[[G:.*]] = xf.gelu %{{.*}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK:      %[[A:.*]] = mesh.all_gather %[[G]] on @mesh mesh_axes = [1] gather_axis = 0 : tensor<2x8xf32> -> tensor<4x8xf32>
// CHECK:      %[[B:.*]] = mesh.all_gather %[[A]] on @mesh mesh_axes = [0] gather_axis = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
// CHECK:      %[[I:.*]] = mesh.process_index on @mesh mesh_axes = [1] : index
// CHECK:      %[[OFF:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK:      tensor.extract_slice %[[B]][%[[OFF]], 0] [4, 8] [1, 1] : tensor<8x8xf32> to tensor<4x8xf32>
mesh.mesh @mesh(shape = 2x2)
func.func @outer_axis_leaves(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %0 = mesh.shard %x to <@mesh, [[0, 1]]> annotate_for_users : tensor<8x8xf32>
  %1 = xf.gelu %0 : (tensor<8x8xf32>) -> tensor<8x8xf32>
  %2 = mesh.shard %1 to <@mesh, [[0, 1]]> : tensor<8x8xf32>
  %3 = mesh.shard %2 to <@mesh, [[1]]> annotate_for_users : tensor<8x8xf32>
  %4 = xf.silu %3 : (tensor<8x8xf32>) -> tensor<8x8xf32>
  %5 = mesh.shard %4 to <@mesh, [[1]]> : tensor<8x8xf32>
  %6 = mesh.shard %5 to <@mesh, []> annotate_for_users : tensor<8x8xf32>
  return %6 : tensor<8x8xf32>
}

// -----

// An argument read as rows over axis 0 for one use and as rows over both
// axes for another: the second use cuts its quarter out of the argument's
// half (a slice of 2 of the 4 local rows).
// CHECK-LABEL: func.func @nested_uses
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x16xf32> {mesh.sharding = #mesh.sharding<@mesh, {{\[\[}}0]]>}
// CHECK:      %[[I:.*]] = mesh.process_index on @mesh mesh_axes = [1] : index
// CHECK:      %[[TWO:.*]] = arith.constant 2 : index
// CHECK:      %[[OFF:.*]] = arith.muli %[[I]], %[[TWO]] : index
// CHECK:      tensor.extract_slice %[[X]][%[[OFF]], 0] [2, 16] [1, 1] : tensor<4x16xf32> to tensor<2x16xf32>
mesh.mesh @mesh(shape = 2x2)
func.func @nested_uses(%x: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<8x16xf32>
  %1 = xf.gelu %0 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %2 = mesh.shard %1 to <@mesh, [[0]]> : tensor<8x16xf32>
  %3 = mesh.shard %2 to <@mesh, []> annotate_for_users : tensor<8x16xf32>
  %4 = mesh.shard %x to <@mesh, [[0, 1]]> annotate_for_users : tensor<8x16xf32>
  %5 = xf.gelu %4 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %6 = mesh.shard %5 to <@mesh, [[0, 1]]> : tensor<8x16xf32>
  %7 = mesh.shard %6 to <@mesh, []> annotate_for_users : tensor<8x16xf32>
  return %3, %7 : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// A region using a split value from outside sees it whole.
// CHECK-LABEL: func.func @captured
// CHECK:      %[[G:.*]] = xf.gelu %{{.*}} : (tensor<4x16xf32>) -> tensor<4x16xf32>
// CHECK:      %[[W:.*]] = mesh.all_gather %[[G]] on @mesh mesh_axes = [0] gather_axis = 0 : tensor<4x16xf32> -> tensor<8x16xf32>
// CHECK:      scf.if
// CHECK-NEXT:   scf.yield %[[W]] : tensor<8x16xf32>
mesh.mesh @mesh(shape = 2)
func.func @captured(%x: tensor<8x16xf32>, %c: i1) -> tensor<8x16xf32> {
  %0 = mesh.shard %x to <@mesh, [[0]]> annotate_for_users : tensor<8x16xf32>
  %1 = xf.gelu %0 : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %2 = mesh.shard %1 to <@mesh, [[0]]> : tensor<8x16xf32>
  %r = scf.if %c -> tensor<8x16xf32> {
    scf.yield %2 : tensor<8x16xf32>
  } else {
    scf.yield %x : tensor<8x16xf32>
  }
  return %r : tensor<8x16xf32>
}
