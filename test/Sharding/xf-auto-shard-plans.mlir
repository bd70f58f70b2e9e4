// xf-auto-shard: plans that follow the number of tokens, grouped-query heads and as-produced pins; annotations and summaries checked in full against hand-computed costs.
// RUN: weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink" | FileCheck %s
// RUN: weft-opt %s -split-input-file --xf-auto-shard="mesh=4xH100-NVLink plan-summary=-" -o /dev/null | FileCheck %s --check-prefix=SUMMARY

// Costs on 4xH100-NVLink (CostModel.h): compute max(FLOPs / peak, bytes /
// 3.35e12 B/s), peaks 6.7e13 (f32) and 9.89e14 (f16) FLOP/s; on the gpu
// axis (n = 4, 4.5e11 B/s, 3 us per step) an all-gather of B bytes costs
// 3/4·B/4.5e11 + 9 us and an all-reduce 2·3/4·B/4.5e11 + 18 us.

// Two-layer MLP, 8 tokens, no annotation: every plan that splits a weight
// pays at least one collective's latency (9 us), more than reading both
// 16 MiB weights whole takes. So everything is replicated:
//   each linear reads 32 KiB + 16 MiB + 128 KiB: 16941056 B / 3.35e12 =
//   5.057 us (its 67 MFLOP take 1 us); two of them 10.114 us; nothing moves.
// Parameters 32 KiB + 2 · 16 MiB = 32.03 MiB; peak adds h and y (160 KiB).
// The preset becomes mesh.mesh @mesh; every argument use, op result and the
// returned value is annotated (the result is whole already, so the return
// takes it as produced).
// CHECK: mesh.mesh @mesh(preset = "4xH100-NVLink")
// CHECK-LABEL: func.func @mlp_8(
// CHECK-SAME: %[[X:[^:]+]]: tensor<8x1024xf32>, %[[W1:[^:]+]]: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"}, %[[W2:[^:]+]]: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"}) -> tensor<8x1024xf32> {
// CHECK-NEXT: %[[XU:.+]] = mesh.shard %[[X]] to <@mesh, []> annotate_for_users : tensor<8x1024xf32>
// CHECK-NEXT: %[[W1U:.+]] = mesh.shard %[[W1]] to <@mesh, []> annotate_for_users : tensor<1024x4096xf32>
// CHECK-NEXT: %[[H:.+]] = xf.linear %[[XU]], %[[W1U]] : (tensor<8x1024xf32>, tensor<1024x4096xf32>) -> tensor<8x4096xf32>
// CHECK-NEXT: %[[HS:.+]] = mesh.shard %[[H]] to <@mesh, []> : tensor<8x4096xf32>
// CHECK-NEXT: %[[W2U:.+]] = mesh.shard %[[W2]] to <@mesh, []> annotate_for_users : tensor<4096x1024xf32>
// CHECK-NEXT: %[[Y:.+]] = xf.linear %[[HS]], %[[W2U]] : (tensor<8x4096xf32>, tensor<4096x1024xf32>) -> tensor<8x1024xf32>
// CHECK-NEXT: %[[YS:.+]] = mesh.shard %[[Y]] to <@mesh, []> : tensor<8x1024xf32>
// CHECK-NEXT: return %[[YS]] : tensor<8x1024xf32>
// SUMMARY:      sharding plan for @mlp_8 on mesh @mesh (gpu=4, H100-SXM5-80GB)
// SUMMARY-NEXT: solver: optimal, objective 0.010 ms, gap 0.00%, {{.*}}
// SUMMARY-NEXT: per device: peak memory 32.19 MiB of 80.00 GiB (parameters 32.03 MiB)
// SUMMARY-NEXT: layer          compute ms      comm ms     params MiB
// SUMMARY-NEXT: other              0.0101       0.0000          32.03
// SUMMARY-NEXT:     xf.linear replicated (x2)
// SUMMARY-NEXT: total              0.0101       0.0000          32.03
func.func @mlp_8(%x: tensor<8x1024xf32>,
                 %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
                 %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<8x1024xf32> {
  %h = xf.linear %x, %w1 : (tensor<8x1024xf32>, tensor<1024x4096xf32>) -> tensor<8x4096xf32>
  %y = xf.linear %h, %w2 : (tensor<8x4096xf32>, tensor<4096x1024xf32>) -> tensor<8x1024xf32>
  return %y : tensor<8x1024xf32>
}

// -----

// The same MLP at 2048 tokens: data parallel, each device a quarter of the
// rows with both weights whole, and one all-gather of the result:
//   each linear 2·512·1024·4096 FLOP / 6.7e13 = 64.103 us (its 26 MiB of
//   traffic take 8.1 us); 128.206 us for both;
//   all-gather of 2048x1024 f32 (8 MiB): 13.981 us + 9 us = 22.981 us;
//   total 151.187 us.
// Parameters: a quarter of x (2 MiB) and both weights (32 MiB), 34 MiB;
// peak adds a quarter of h (8 MiB) and of y (2 MiB): 44 MiB.
// CHECK-LABEL: func.func @mlp_2048(
// CHECK-SAME: %[[X:[^:]+]]: tensor<2048x1024xf32>, %[[W1:[^:]+]]: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"}, %[[W2:[^:]+]]: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"}) -> tensor<2048x1024xf32> {
// CHECK-NEXT: %[[XU:.+]] = mesh.shard %[[X]] to <@mesh, {{\[\[}}0]]> annotate_for_users : tensor<2048x1024xf32>
// CHECK-NEXT: %[[W1U:.+]] = mesh.shard %[[W1]] to <@mesh, []> annotate_for_users : tensor<1024x4096xf32>
// CHECK-NEXT: %[[H:.+]] = xf.linear %[[XU]], %[[W1U]] : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
// CHECK-NEXT: %[[HS:.+]] = mesh.shard %[[H]] to <@mesh, {{\[\[}}0]]> : tensor<2048x4096xf32>
// CHECK-NEXT: %[[W2U:.+]] = mesh.shard %[[W2]] to <@mesh, []> annotate_for_users : tensor<4096x1024xf32>
// CHECK-NEXT: %[[Y:.+]] = xf.linear %[[HS]], %[[W2U]] : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
// CHECK-NEXT: %[[YS:.+]] = mesh.shard %[[Y]] to <@mesh, {{\[\[}}0]]> : tensor<2048x1024xf32>
// CHECK-NEXT: %[[YR:.+]] = mesh.shard %[[YS]] to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
// CHECK-NEXT: return %[[YR]] : tensor<2048x1024xf32>
// SUMMARY:      sharding plan for @mlp_2048 on mesh @mesh (gpu=4, H100-SXM5-80GB)
// SUMMARY-NEXT: solver: optimal, objective 0.151 ms, gap 0.00%, {{.*}}
// SUMMARY-NEXT: per device: peak memory 44.00 MiB of 80.00 GiB (parameters 34.00 MiB)
// SUMMARY-NEXT: layer          compute ms      comm ms     params MiB
// SUMMARY-NEXT: other              0.1282       0.0230          34.00
// SUMMARY-NEXT:     xf.linear data-parallel(gpu) (x2)
// SUMMARY-NEXT: total              0.1282       0.0230          34.00
func.func @mlp_2048(%x: tensor<2048x1024xf32>,
                    %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
                    %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %h = xf.linear %x, %w1 : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %y = xf.linear %h, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  return %y : tensor<2048x1024xf32>
}

// -----

// Grouped-query attention whose 4 KV heads divide by the 4 devices: keys
// and values follow the query heads' split (compare @gqa in
// xf-auto-shard.mlir, where 2 KV heads stay whole).
//   4096 causal queries: 4096·4097/2 = 8390656 query-key pairs, 2·(128 +
//   128) FLOP each, 8 heads: 34.37 GFLOP, a quarter per device at 9.89e14:
//   8.688 us; the 8 MiB result gathered: 13.981 + 9 = 22.981 us.
// CHECK-LABEL: func.func @gqa_divides(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<1x4096x8x128xf16>, %[[K:[^:]+]]: tensor<1x4096x4x128xf16>, %[[V:[^:]+]]: tensor<1x4096x4x128xf16>)
// CHECK-NEXT: %[[QU:.+]] = mesh.shard %[[Q]] to <@mesh, {{\[\[}}], [], [0]]> annotate_for_users : tensor<1x4096x8x128xf16>
// CHECK-NEXT: %[[KU:.+]] = mesh.shard %[[K]] to <@mesh, {{\[\[}}], [], [0]]> annotate_for_users : tensor<1x4096x4x128xf16>
// CHECK-NEXT: %[[VU:.+]] = mesh.shard %[[V]] to <@mesh, {{\[\[}}], [], [0]]> annotate_for_users : tensor<1x4096x4x128xf16>
// CHECK-NEXT: %[[O:.+]] = xf.attention %[[QU]], %[[KU]], %[[VU]] causal
// CHECK-NEXT: %[[OS:.+]] = mesh.shard %[[O]] to <@mesh, {{\[\[}}], [], [0]]> : tensor<1x4096x8x128xf16>
// CHECK-NEXT: %[[OR:.+]] = mesh.shard %[[OS]] to <@mesh, []> annotate_for_users : tensor<1x4096x8x128xf16>
// CHECK-NEXT: return %[[OR]]
// SUMMARY:      sharding plan for @gqa_divides on mesh @mesh (gpu=4, H100-SXM5-80GB)
// SUMMARY-NEXT: solver: optimal, objective 0.032 ms, gap 0.00%, {{.*}}
// SUMMARY:      other              0.0087       0.0230
// SUMMARY-NEXT:     xf.attention head-parallel(gpu)
func.func @gqa_divides(%q: tensor<1x4096x8x128xf16>, %k: tensor<1x4096x4x128xf16>,
                       %v: tensor<1x4096x4x128xf16>) -> tensor<1x4096x8x128xf16> {
  %o = xf.attention %q, %k, %v causal
      : (tensor<1x4096x8x128xf16>, tensor<1x4096x4x128xf16>, tensor<1x4096x4x128xf16>)
        -> tensor<1x4096x8x128xf16>
  return %o : tensor<1x4096x8x128xf16>
}

// -----

// Grouped-query attention behind its projections: 32 query heads, 2 KV
// heads, 4 devices. The query projection is column-parallel and its heads
// split; the 2 KV heads cannot be split 4 ways, so the key and value
// projections, their reshapes and the attention's key and value operands
// are whole on every device.
// CHECK-LABEL: func.func @gqa_block(
// CHECK:      %[[WQU:.+]] = mesh.shard %arg1 to <@mesh, {{\[\[}}], [0]]> annotate_for_users : tensor<4096x4096xf16>
// CHECK-NEXT: %[[QP:.+]] = xf.linear %{{.+}}, %[[WQU]]
// CHECK-NEXT: %[[QS:.+]] = mesh.shard %[[QP]] to <@mesh, {{\[\[}}], [], [0]]> : tensor<1x4096x4096xf16>
// CHECK:      %[[WKU:.+]] = mesh.shard %arg2 to <@mesh, []> annotate_for_users : tensor<4096x256xf16>
// CHECK-NEXT: %[[KP:.+]] = xf.linear %{{.+}}, %[[WKU]]
// CHECK-NEXT: %[[KS:.+]] = mesh.shard %[[KP]] to <@mesh, []> : tensor<1x4096x256xf16>
// CHECK:      %[[WVU:.+]] = mesh.shard %arg3 to <@mesh, []> annotate_for_users : tensor<4096x256xf16>
// CHECK-NEXT: %[[VP:.+]] = xf.linear %{{.+}}, %[[WVU]]
// CHECK-NEXT: %[[VS:.+]] = mesh.shard %[[VP]] to <@mesh, []> : tensor<1x4096x256xf16>
// CHECK-NEXT: %[[QH:.+]] = xf.reshape %[[QS]]
// CHECK-NEXT: %[[QHS:.+]] = mesh.shard %[[QH]] to <@mesh, {{\[\[}}], [], [0]]> : tensor<1x4096x32x128xf16>
// CHECK-NEXT: %[[KH:.+]] = xf.reshape %[[KS]]
// CHECK-NEXT: %[[KHS:.+]] = mesh.shard %[[KH]] to <@mesh, []> : tensor<1x4096x2x128xf16>
// CHECK-NEXT: %[[VH:.+]] = xf.reshape %[[VS]]
// CHECK-NEXT: %[[VHS:.+]] = mesh.shard %[[VH]] to <@mesh, []> : tensor<1x4096x2x128xf16>
// CHECK-NEXT: %[[A:.+]] = xf.attention %[[QHS]], %[[KHS]], %[[VHS]] causal
// CHECK-NEXT: mesh.shard %[[A]] to <@mesh, {{\[\[}}], [], [0]]> : tensor<1x4096x32x128xf16>
// SUMMARY: sharding plan for @gqa_block
// SUMMARY: xf.attention head-parallel(gpu)
func.func @gqa_block(%x: tensor<1x4096x4096xf16>,
                     %wq: tensor<4096x4096xf16> {xf.name = "wq", xf.role = "weight"},
                     %wk: tensor<4096x256xf16> {xf.name = "wk", xf.role = "weight"},
                     %wv: tensor<4096x256xf16> {xf.name = "wv", xf.role = "weight"},
                     %wo: tensor<4096x4096xf16> {xf.name = "wo", xf.role = "weight"})
    -> tensor<1x4096x4096xf16> {
  %q = xf.linear %x, %wq : (tensor<1x4096x4096xf16>, tensor<4096x4096xf16>) -> tensor<1x4096x4096xf16>
  %k = xf.linear %x, %wk : (tensor<1x4096x4096xf16>, tensor<4096x256xf16>) -> tensor<1x4096x256xf16>
  %v = xf.linear %x, %wv : (tensor<1x4096x4096xf16>, tensor<4096x256xf16>) -> tensor<1x4096x256xf16>
  %qh = xf.reshape %q : tensor<1x4096x4096xf16> -> tensor<1x4096x32x128xf16>
  %kh = xf.reshape %k : tensor<1x4096x256xf16> -> tensor<1x4096x2x128xf16>
  %vh = xf.reshape %v : tensor<1x4096x256xf16> -> tensor<1x4096x2x128xf16>
  %a = xf.attention %qh, %kh, %vh causal
      : (tensor<1x4096x32x128xf16>, tensor<1x4096x2x128xf16>, tensor<1x4096x2x128xf16>)
        -> tensor<1x4096x32x128xf16>
  %m = xf.reshape %a : tensor<1x4096x32x128xf16> -> tensor<1x4096x4096xf16>
  %o = xf.linear %m, %wo : (tensor<1x4096x4096xf16>, tensor<4096x4096xf16>) -> tensor<1x4096x4096xf16>
  return %o : tensor<1x4096x4096xf16>
}

// -----

// A pin on a result as produced: h split by columns. Data parallelism (the
// unpinned optimum above) is ruled out; the first linear is column-parallel,
// and the second takes h as it comes, row-parallel, with one all-reduce:
//   compute as data parallel, 128.206 us; all-reduce of 8 MiB:
//   27.962 + 18 = 45.962 us; total 174.168 us.
// The pass replaces the user's annotation by its own, with the same
// sharding.
// CHECK-LABEL: func.func @pinned_result(
// CHECK-NEXT: %[[XU:.+]] = mesh.shard %arg0 to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
// CHECK-NEXT: %[[W1U:.+]] = mesh.shard %arg1 to <@mesh, {{\[\[}}], [0]]> annotate_for_users : tensor<1024x4096xf32>
// CHECK-NEXT: %[[H:.+]] = xf.linear %[[XU]], %[[W1U]]
// CHECK-NEXT: %[[HS:.+]] = mesh.shard %[[H]] to <@mesh, {{\[\[}}], [0]]> : tensor<2048x4096xf32>
// CHECK-NEXT: %[[W2U:.+]] = mesh.shard %arg2 to <@mesh, {{\[\[}}0]]> annotate_for_users : tensor<4096x1024xf32>
// CHECK-NEXT: %[[Y:.+]] = xf.linear %[[HS]], %[[W2U]]
// CHECK-NEXT: %[[YS:.+]] = mesh.shard %[[Y]] to <@mesh, [], partial = sum[0]> : tensor<2048x1024xf32>
// CHECK-NEXT: %[[YR:.+]] = mesh.shard %[[YS]] to <@mesh, []> annotate_for_users : tensor<2048x1024xf32>
// CHECK-NEXT: return %[[YR]]
// SUMMARY:      sharding plan for @pinned_result on mesh @mesh (gpu=4, H100-SXM5-80GB)
// SUMMARY-NEXT: solver: optimal, objective 0.174 ms, gap 0.00%, {{.*}}
// SUMMARY:      other              0.1282       0.0460          16.00
// SUMMARY-NEXT:     xf.linear column-parallel(gpu)
// SUMMARY-NEXT:     xf.linear row-parallel(gpu)
mesh.mesh @mesh(preset = "4xH100-NVLink")
func.func @pinned_result(%x: tensor<2048x1024xf32>,
                         %w1: tensor<1024x4096xf32> {xf.name = "w1", xf.role = "weight"},
                         %w2: tensor<4096x1024xf32> {xf.name = "w2", xf.role = "weight"})
    -> tensor<2048x1024xf32> {
  %h = xf.linear %x, %w1 : (tensor<2048x1024xf32>, tensor<1024x4096xf32>) -> tensor<2048x4096xf32>
  %hs = mesh.shard %h to <@mesh, [[], [0]]> : tensor<2048x4096xf32>
  %y = xf.linear %hs, %w2 : (tensor<2048x4096xf32>, tensor<4096x1024xf32>) -> tensor<2048x1024xf32>
  return %y : tensor<2048x1024xf32>
}
