// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s --mlir-print-op-generic | weft-opt | FileCheck %s

// Round trip of every form of the mesh dialect: mesh declarations (spelled
// out and presets), the hardware attributes, shardings and collectives.

//===----------------------------------------------------------------------===//
// mesh.mesh: shape only, axes, device, links, all together
//===----------------------------------------------------------------------===//

// CHECK:      mesh.mesh @mesh_1d(shape = 8){{$}}
// CHECK-NEXT: mesh.mesh @mesh_2d(shape = 2x4){{$}}
// CHECK-NEXT: mesh.mesh @mesh_3d(shape = 2x2x2){{$}}
// CHECK-NEXT: mesh.mesh @with_axes(shape = 2x4, axes = ["x", "y"]){{$}}
// CHECK-NEXT: mesh.mesh @with_device(shape = 4, device = #mesh.device<"Accel", peak_flops = {bf16 = 2.0e+12, f32 = 1.0e+12}, memory_bandwidth = 1.0e+12, memory_capacity = 8.0e+09>){{$}}
// CHECK-NEXT: mesh.mesh @with_bare_device(shape = 4, device = #mesh.device<"Accel", peak_flops = {}, memory_bandwidth = 1.5e+12, memory_capacity = 1.6e+10>){{$}}
// CHECK-NEXT: mesh.mesh @with_links(shape = 2x4, links = [#mesh.link<bandwidth = 5.0e+10, latency = 5.0e-06>, #mesh.link<bandwidth = 4.5e+11, latency = 3.0e-06>]){{$}}
// CHECK-NEXT: mesh.mesh @all_together(shape = 2x4, axes = ["node", "gpu"], device = #mesh.device<"Accel", peak_flops = {f16 = 1.0e-01, f8E4M3FN = 1.23456789e+08, tf32 = 1.2345678901234567e+00}, memory_bandwidth = 1.0e+300, memory_capacity = 1.0e+00>, links = [#mesh.link<bandwidth = 2.5e+00, latency = 1.0e-09>, #mesh.link<bandwidth = 1.0e+00, latency = 3.0e+00>]){{$}}
// CHECK-NEXT: mesh.mesh @with_attr_dict(shape = 2) {weft.tag = "t"}{{$}}
mesh.mesh @mesh_1d(shape = 8)
mesh.mesh @mesh_2d(shape = 2x4)
mesh.mesh @mesh_3d(shape = 2x2x2)
mesh.mesh @with_axes(shape = 2x4, axes = ["x", "y"])
mesh.mesh @with_device(shape = 4, device = #mesh.device<"Accel", peak_flops = {f32 = 1.0e12, bf16 = 2.0e12}, memory_bandwidth = 1.0e12, memory_capacity = 8.0e9>)
// The device may also be written without its `#mesh.device` prefix.
mesh.mesh @with_bare_device(shape = 4, device = <"Accel", peak_flops = {}, memory_bandwidth = 1.5e12, memory_capacity = 1.6e10>)
mesh.mesh @with_links(shape = 2x4, links = [#mesh.link<bandwidth = 5.0e10, latency = 5.0e-6>, #mesh.link<bandwidth = 4.5e11, latency = 3.0e-6>])
// Fields of a link in any order; peak_flops keys as strings; numbers printed
// in their shortest exact form.
mesh.mesh @all_together(shape = 2x4, axes = ["node", "gpu"],
    device = #mesh.device<"Accel", peak_flops = {"tf32" = 1.2345678901234567, f16 = 0.1, f8E4M3FN = 123456789.0}, memory_bandwidth = 1.0e300, memory_capacity = 1.0>,
    links = [#mesh.link<bandwidth = 2.5, latency = 1.0e-9>, #mesh.link<latency = 3.0, bandwidth = 1.0>])
mesh.mesh @with_attr_dict(shape = 2) {weft.tag = "t"}

//===----------------------------------------------------------------------===//
// Presets: every family prints back in the preset form
//===----------------------------------------------------------------------===//

// CHECK-NEXT: mesh.mesh @h100_nvlink_1d(preset = "8xH100-NVLink"){{$}}
// CHECK-NEXT: mesh.mesh @h100_nvlink_2d(preset = "2x4xH100-NVLink"){{$}}
// CHECK-NEXT: mesh.mesh @h100_ib(preset = "2x8xH100-IB"){{$}}
// CHECK-NEXT: mesh.mesh @h200_nvlink(preset = "4xH200-NVLink"){{$}}
// CHECK-NEXT: mesh.mesh @h200_ib(preset = "4x8xH200-IB"){{$}}
// CHECK-NEXT: mesh.mesh @cpu_1d(preset = "8xCPU"){{$}}
// CHECK-NEXT: mesh.mesh @cpu_3d(preset = "2x3x4xCPU"){{$}}
// CHECK-NEXT: mesh.mesh @preset_attr_dict(preset = "1xH100-NVLink") {weft.tag = "t"}{{$}}
mesh.mesh @h100_nvlink_1d(preset = "8xH100-NVLink")
mesh.mesh @h100_nvlink_2d(preset = "2x4xH100-NVLink")
mesh.mesh @h100_ib(preset = "2x8xH100-IB")
mesh.mesh @h200_nvlink(preset = "4xH200-NVLink")
mesh.mesh @h200_ib(preset = "4x8xH200-IB")
mesh.mesh @cpu_1d(preset = "8xCPU")
mesh.mesh @cpu_3d(preset = "2x3x4xCPU")
mesh.mesh @preset_attr_dict(preset = "1xH100-NVLink") {weft.tag = "t"}

// A mesh spelled out in full that equals a preset prints as the preset.
// CHECK-NEXT: mesh.mesh @spelled_h100_ib(preset = "2x8xH100-IB"){{$}}
// CHECK-NEXT: mesh.mesh @spelled_cpu(preset = "4xCPU"){{$}}
mesh.mesh @spelled_h100_ib(shape = 2x8, axes = ["node", "gpu"],
    device = #mesh.device<"H100-SXM5-80GB", peak_flops = {bf16 = 9.89e+14, f16 = 9.89e+14, f32 = 6.7e+13, f64 = 6.7e+13, f8E4M3FN = 1.979e+15, tf32 = 4.95e+14}, memory_bandwidth = 3.35e+12, memory_capacity = 8.589934592e+10>,
    links = [#mesh.link<bandwidth = 5.0e+10, latency = 5.0e-06>, #mesh.link<bandwidth = 4.5e+11, latency = 3.0e-06>])
mesh.mesh @spelled_cpu(shape = 4, axes = ["rank"],
    device = #mesh.device<"CPU", peak_flops = {f64 = 5.0e+10, f32 = 1.0e+11}, memory_bandwidth = 2.0e+10, memory_capacity = 1.7179869184e+10>,
    links = [#mesh.link<bandwidth = 2.6e+09, latency = 3.6e-06>])

// Close to a preset but not equal (other axis names; no axis names): printed
// in full.
// CHECK-NEXT: mesh.mesh @near_cpu(shape = 4, axes = ["r"], device = #mesh.device<"CPU", peak_flops = {f32 = 1.0e+11, f64 = 5.0e+10}, memory_bandwidth = 2.0e+10, memory_capacity = 1.7179869184e+10>, links = [#mesh.link<bandwidth = 2.6e+09, latency = 3.6e-06>]){{$}}
// CHECK-NEXT: mesh.mesh @near_cpu_no_axes(shape = 4, device = #mesh.device<"CPU", peak_flops = {f32 = 1.0e+11, f64 = 5.0e+10}, memory_bandwidth = 2.0e+10, memory_capacity = 1.7179869184e+10>, links = [#mesh.link<bandwidth = 2.6e+09, latency = 3.6e-06>]){{$}}
mesh.mesh @near_cpu(shape = 4, axes = ["r"],
    device = #mesh.device<"CPU", peak_flops = {f64 = 5.0e+10, f32 = 1.0e+11}, memory_bandwidth = 2.0e+10, memory_capacity = 1.7179869184e+10>,
    links = [#mesh.link<bandwidth = 2.6e+09, latency = 3.6e-06>])
mesh.mesh @near_cpu_no_axes(shape = 4,
    device = #mesh.device<"CPU", peak_flops = {f64 = 5.0e+10, f32 = 1.0e+11}, memory_bandwidth = 2.0e+10, memory_capacity = 1.7179869184e+10>,
    links = [#mesh.link<bandwidth = 2.6e+09, latency = 3.6e-06>])

//===----------------------------------------------------------------------===//
// Attributes on their own
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @attributes()
// CHECK-SAME: attributes {device = #mesh.device<"H100-SXM5-80GB", peak_flops = {bf16 = 9.89e+14, f16 = 9.89e+14, f32 = 6.7e+13}, memory_bandwidth = 3.35e+12, memory_capacity = 8.589934592e+10>, link = #mesh.link<bandwidth = 4.5e+11, latency = 3.0e-06>, reduction = #mesh<reduction prod>, sharding = #mesh.sharding<@mesh_3d, {{\[\[}}0, 1]], partial = min[2]>} {
func.func @attributes() attributes {
    device = #mesh.device<"H100-SXM5-80GB", peak_flops = {bf16 = 9.89e+14, f16 = 9.89e+14, f32 = 6.7e+13}, memory_bandwidth = 3.35e+12, memory_capacity = 8.589934592e+10>,
    link = #mesh.link<bandwidth = 4.5e+11, latency = 3.0e-06>,
    sharding = #mesh.sharding<@mesh_3d, [[0, 1], []], partial = min[2]>,
    reduction = #mesh<reduction prod>} {
  return
}

//===----------------------------------------------------------------------===//
// mesh.shard
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @shard(
// CHECK-SAME: %[[A:[^:]+]]: tensor<8x16xf32>, %[[B:[^:]+]]: tensor<4x6x8xf32>, %[[D:[^:]+]]: tensor<?x16xf32>)
func.func @shard(%a: tensor<8x16xf32>, %b: tensor<4x6x8xf32>, %d: tensor<?x16xf32>) -> tensor<8x16xf32> {
  // CHECK-NEXT: %[[S0:.*]] = mesh.shard %[[A]] to <@mesh_2d, {{\[\[}}0], [1]]> : tensor<8x16xf32>
  %0 = mesh.shard %a to <@mesh_2d, [[0], [1]]> : tensor<8x16xf32>
  // CHECK-NEXT: %[[S1:.*]] = mesh.shard %[[S0]] to <@mesh_2d, {{\[\[}}0], [1]]> annotate_for_users : tensor<8x16xf32>
  %1 = mesh.shard %0 to <@mesh_2d, [[0], [1]]> annotate_for_users : tensor<8x16xf32>
  // Dimension 0 split over both axes jointly.
  // CHECK-NEXT: %[[S2:.*]] = mesh.shard %[[A]] to <@mesh_2d, {{\[\[}}0, 1]]> : tensor<8x16xf32>
  %2 = mesh.shard %a to <@mesh_2d, [[0, 1]]> : tensor<8x16xf32>
  // CHECK-NEXT: %[[S3:.*]] = mesh.shard %[[A]] to <@mesh_2d, {{\[\[}}1, 0]]> annotate_for_users : tensor<8x16xf32>
  %3 = mesh.shard %a to <@mesh_2d, [[1, 0]]> annotate_for_users : tensor<8x16xf32>
  // Fully replicated.
  // CHECK-NEXT: %[[S4:.*]] = mesh.shard %[[A]] to <@mesh_2d, []> : tensor<8x16xf32>
  %4 = mesh.shard %a to <@mesh_2d, []> : tensor<8x16xf32>
  // Trailing unsplit dimensions are dropped: this is the replicated sharding.
  // CHECK-NEXT: %[[S5:.*]] = mesh.shard %[[A]] to <@mesh_1d, []> annotate_for_users : tensor<8x16xf32>
  %5 = mesh.shard %a to <@mesh_1d, [[], []]> annotate_for_users : tensor<8x16xf32>
  // Partial values of every reduction kind.
  // CHECK-NEXT: %[[S6:.*]] = mesh.shard %[[A]] to <@mesh_2d, {{\[\[}}0]], partial = sum[1]> : tensor<8x16xf32>
  %6 = mesh.shard %a to <@mesh_2d, [[0]], partial = sum[1]> : tensor<8x16xf32>
  // CHECK-NEXT: %[[S7:.*]] = mesh.shard %[[A]] to <@mesh_2d, {{\[\[}}], [0]], partial = max[1]> annotate_for_users : tensor<8x16xf32>
  %7 = mesh.shard %a to <@mesh_2d, [[], [0]], partial = max[1]> annotate_for_users : tensor<8x16xf32>
  // CHECK-NEXT: %[[S8:.*]] = mesh.shard %[[A]] to <@mesh_2d, [], partial = min[0, 1]> : tensor<8x16xf32>
  %8 = mesh.shard %a to <@mesh_2d, [], partial = min[0, 1]> : tensor<8x16xf32>
  // CHECK-NEXT: %[[S9:.*]] = mesh.shard %[[A]] to <@mesh_2d, {{\[\[}}1]], partial = prod[0]> : tensor<8x16xf32>
  %9 = mesh.shard %a to <@mesh_2d, [[1]], partial = prod[0]> : tensor<8x16xf32>
  // The kind may be a string.
  // CHECK-NEXT: %[[S10:.*]] = mesh.shard %[[A]] to <@mesh_2d, {{\[\[}}1]], partial = max[0]> : tensor<8x16xf32>
  %10 = mesh.shard %a to <@mesh_2d, [[1]], partial = "max"[0]> : tensor<8x16xf32>
  // Three mesh axes over a rank-3 tensor.
  // CHECK-NEXT: %[[S11:.*]] = mesh.shard %[[B]] to <@mesh_3d, {{\[\[}}0], [], [2]], partial = sum[1]> annotate_for_users : tensor<4x6x8xf32>
  %11 = mesh.shard %b to <@mesh_3d, [[0], [], [2]], partial = sum[1]> annotate_for_users : tensor<4x6x8xf32>
  // A dynamic dimension may be split.
  // CHECK-NEXT: %[[S12:.*]] = mesh.shard %[[D]] to <@h100_ib, {{\[\[}}0, 1]]> : tensor<?x16xf32>
  %12 = mesh.shard %d to <@h100_ib, [[0, 1]]> : tensor<?x16xf32>
  // CHECK-NEXT: return %[[S1]] : tensor<8x16xf32>
  return %1 : tensor<8x16xf32>
}

//===----------------------------------------------------------------------===//
// mesh.all_reduce
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @all_reduce(
// CHECK-SAME: %[[A:[^:]+]]: tensor<8x16xf32>)
func.func @all_reduce(%a: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // The default reduction (sum) is not printed, whether or not it is written.
  // CHECK-NEXT: %[[R0:.*]] = mesh.all_reduce %[[A]] on @mesh_1d mesh_axes = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  %0 = mesh.all_reduce %a on @mesh_1d mesh_axes = [0] : tensor<8x16xf32> -> tensor<8x16xf32>
  // CHECK-NEXT: %[[R1:.*]] = mesh.all_reduce %[[R0]] on @mesh_2d mesh_axes = [1] : tensor<8x16xf32> -> tensor<8x16xf32>
  %1 = mesh.all_reduce %0 on @mesh_2d mesh_axes = [1] reduction = sum : tensor<8x16xf32> -> tensor<8x16xf32>
  // CHECK-NEXT: %[[R2:.*]] = mesh.all_reduce %[[R1]] on @mesh_2d mesh_axes = [0, 1] reduction = max : tensor<8x16xf32> -> tensor<8x16xf32>
  %2 = mesh.all_reduce %1 on @mesh_2d mesh_axes = [0, 1] reduction = max : tensor<8x16xf32> -> tensor<8x16xf32>
  // CHECK-NEXT: %[[R3:.*]] = mesh.all_reduce %[[R2]] on @mesh_2d mesh_axes = [1, 0] reduction = min : tensor<8x16xf32> -> tensor<8x16xf32>
  %3 = mesh.all_reduce %2 on @mesh_2d mesh_axes = [1, 0] reduction = min : tensor<8x16xf32> -> tensor<8x16xf32>
  // CHECK-NEXT: %[[R4:.*]] = mesh.all_reduce %[[R3]] on @mesh_3d mesh_axes = [0, 2] reduction = prod : tensor<8x16xf32> -> tensor<8x16xf32>
  %4 = mesh.all_reduce %3 on @mesh_3d mesh_axes = [0, 2] reduction = prod : tensor<8x16xf32> -> tensor<8x16xf32>
  // An empty group: every device alone.
  // CHECK-NEXT: %[[R5:.*]] = mesh.all_reduce %[[R4]] on @mesh_2d mesh_axes = [] : tensor<8x16xf32> -> tensor<8x16xf32>
  %5 = mesh.all_reduce %4 on @mesh_2d mesh_axes = [] : tensor<8x16xf32> -> tensor<8x16xf32>
  // CHECK-NEXT: %[[R6:.*]] = mesh.all_reduce %[[R5]] on @h100_ib mesh_axes = [0] {weft.tag = "t"} : tensor<8x16xf32> -> tensor<8x16xf32>
  %6 = mesh.all_reduce %5 on @h100_ib mesh_axes = [0] {weft.tag = "t"} : tensor<8x16xf32> -> tensor<8x16xf32>
  // CHECK-NEXT: return %[[R6]] : tensor<8x16xf32>
  return %6 : tensor<8x16xf32>
}

//===----------------------------------------------------------------------===//
// mesh.all_gather
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @all_gather(
// CHECK-SAME: %[[A:[^:]+]]: tensor<8x16xf32>, %[[D:[^:]+]]: tensor<?x16xbf16>)
func.func @all_gather(%a: tensor<8x16xf32>, %d: tensor<?x16xbf16>) {
  // CHECK-NEXT: %{{.*}} = mesh.all_gather %[[A]] on @mesh_1d mesh_axes = [0] gather_axis = 0 : tensor<8x16xf32> -> tensor<64x16xf32>
  %0 = mesh.all_gather %a on @mesh_1d mesh_axes = [0] gather_axis = 0 : tensor<8x16xf32> -> tensor<64x16xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_gather %[[A]] on @mesh_2d mesh_axes = [1] gather_axis = 1 : tensor<8x16xf32> -> tensor<8x64xf32>
  %1 = mesh.all_gather %a on @mesh_2d mesh_axes = [1] gather_axis = 1 : tensor<8x16xf32> -> tensor<8x64xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_gather %[[A]] on @mesh_2d mesh_axes = [0, 1] gather_axis = 0 : tensor<8x16xf32> -> tensor<64x16xf32>
  %2 = mesh.all_gather %a on @mesh_2d mesh_axes = [0, 1] gather_axis = 0 : tensor<8x16xf32> -> tensor<64x16xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_gather %[[A]] on @mesh_3d mesh_axes = [2, 0] gather_axis = 1 : tensor<8x16xf32> -> tensor<8x64xf32>
  %3 = mesh.all_gather %a on @mesh_3d mesh_axes = [2, 0] gather_axis = 1 : tensor<8x16xf32> -> tensor<8x64xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_gather %[[D]] on @mesh_2d mesh_axes = [0] gather_axis = 0 : tensor<?x16xbf16> -> tensor<?x16xbf16>
  %4 = mesh.all_gather %d on @mesh_2d mesh_axes = [0] gather_axis = 0 : tensor<?x16xbf16> -> tensor<?x16xbf16>
  // CHECK-NEXT: %{{.*}} = mesh.all_gather %[[D]] on @mesh_2d mesh_axes = [] gather_axis = 1 : tensor<?x16xbf16> -> tensor<?x16xbf16>
  %5 = mesh.all_gather %d on @mesh_2d mesh_axes = [] gather_axis = 1 : tensor<?x16xbf16> -> tensor<?x16xbf16>
  // CHECK-NEXT: return
  return
}

//===----------------------------------------------------------------------===//
// mesh.reduce_scatter
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reduce_scatter(
// CHECK-SAME: %[[A:[^:]+]]: tensor<8x16xf32>, %[[D:[^:]+]]: tensor<8x?xf16>)
func.func @reduce_scatter(%a: tensor<8x16xf32>, %d: tensor<8x?xf16>) {
  // CHECK-NEXT: %{{.*}} = mesh.reduce_scatter %[[A]] on @mesh_1d mesh_axes = [0] scatter_axis = 0 : tensor<8x16xf32> -> tensor<1x16xf32>
  %0 = mesh.reduce_scatter %a on @mesh_1d mesh_axes = [0] scatter_axis = 0 : tensor<8x16xf32> -> tensor<1x16xf32>
  // CHECK-NEXT: %{{.*}} = mesh.reduce_scatter %[[A]] on @mesh_2d mesh_axes = [1] scatter_axis = 1 : tensor<8x16xf32> -> tensor<8x4xf32>
  %1 = mesh.reduce_scatter %a on @mesh_2d mesh_axes = [1] scatter_axis = 1 reduction = sum : tensor<8x16xf32> -> tensor<8x4xf32>
  // CHECK-NEXT: %{{.*}} = mesh.reduce_scatter %[[A]] on @mesh_2d mesh_axes = [0, 1] scatter_axis = 1 reduction = max : tensor<8x16xf32> -> tensor<8x2xf32>
  %2 = mesh.reduce_scatter %a on @mesh_2d mesh_axes = [0, 1] scatter_axis = 1 reduction = max : tensor<8x16xf32> -> tensor<8x2xf32>
  // CHECK-NEXT: %{{.*}} = mesh.reduce_scatter %[[A]] on @mesh_2d mesh_axes = [1, 0] scatter_axis = 0 reduction = min : tensor<8x16xf32> -> tensor<1x16xf32>
  %3 = mesh.reduce_scatter %a on @mesh_2d mesh_axes = [1, 0] scatter_axis = 0 reduction = min : tensor<8x16xf32> -> tensor<1x16xf32>
  // CHECK-NEXT: %{{.*}} = mesh.reduce_scatter %[[A]] on @mesh_3d mesh_axes = [1] scatter_axis = 0 reduction = prod : tensor<8x16xf32> -> tensor<4x16xf32>
  %4 = mesh.reduce_scatter %a on @mesh_3d mesh_axes = [1] scatter_axis = 0 reduction = prod : tensor<8x16xf32> -> tensor<4x16xf32>
  // A dynamic scattered dimension stays dynamic.
  // CHECK-NEXT: %{{.*}} = mesh.reduce_scatter %[[D]] on @mesh_2d mesh_axes = [0, 1] scatter_axis = 1 : tensor<8x?xf16> -> tensor<8x?xf16>
  %5 = mesh.reduce_scatter %d on @mesh_2d mesh_axes = [0, 1] scatter_axis = 1 : tensor<8x?xf16> -> tensor<8x?xf16>
  // CHECK-NEXT: return
  return
}

//===----------------------------------------------------------------------===//
// mesh.all_to_all
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @all_to_all(
// CHECK-SAME: %[[A:[^:]+]]: tensor<1x32x12x64xf32>, %[[D:[^:]+]]: tensor<?x16xf32>)
func.func @all_to_all(%a: tensor<1x32x12x64xf32>, %d: tensor<?x16xf32>) {
  // CHECK-NEXT: %{{.*}} = mesh.all_to_all %[[A]] on @mesh_1d mesh_axes = [0] split_axis = 3 concat_axis = 1 : tensor<1x32x12x64xf32> -> tensor<1x256x12x8xf32>
  %0 = mesh.all_to_all %a on @mesh_1d mesh_axes = [0] split_axis = 3 concat_axis = 1 : tensor<1x32x12x64xf32> -> tensor<1x256x12x8xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_to_all %[[A]] on @mesh_2d mesh_axes = [1] split_axis = 2 concat_axis = 1 : tensor<1x32x12x64xf32> -> tensor<1x128x3x64xf32>
  %1 = mesh.all_to_all %a on @mesh_2d mesh_axes = [1] split_axis = 2 concat_axis = 1 : tensor<1x32x12x64xf32> -> tensor<1x128x3x64xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_to_all %[[A]] on @mesh_2d mesh_axes = [0, 1] split_axis = 1 concat_axis = 0 : tensor<1x32x12x64xf32> -> tensor<8x4x12x64xf32>
  %2 = mesh.all_to_all %a on @mesh_2d mesh_axes = [0, 1] split_axis = 1 concat_axis = 0 : tensor<1x32x12x64xf32> -> tensor<8x4x12x64xf32>
  // Split and concatenation along the same dimension keep the shape.
  // CHECK-NEXT: %{{.*}} = mesh.all_to_all %[[A]] on @mesh_2d mesh_axes = [0, 1] split_axis = 3 concat_axis = 3 : tensor<1x32x12x64xf32> -> tensor<1x32x12x64xf32>
  %3 = mesh.all_to_all %a on @mesh_2d mesh_axes = [0, 1] split_axis = 3 concat_axis = 3 : tensor<1x32x12x64xf32> -> tensor<1x32x12x64xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_to_all %[[D]] on @mesh_2d mesh_axes = [0] split_axis = 1 concat_axis = 0 : tensor<?x16xf32> -> tensor<?x8xf32>
  %4 = mesh.all_to_all %d on @mesh_2d mesh_axes = [0] split_axis = 1 concat_axis = 0 : tensor<?x16xf32> -> tensor<?x8xf32>
  // CHECK-NEXT: %{{.*}} = mesh.all_to_all %[[D]] on @mesh_2d mesh_axes = [1] split_axis = 0 concat_axis = 1 : tensor<?x16xf32> -> tensor<?x64xf32>
  %5 = mesh.all_to_all %d on @mesh_2d mesh_axes = [1] split_axis = 0 concat_axis = 1 : tensor<?x16xf32> -> tensor<?x64xf32>
  // CHECK-NEXT: return
  return
}

//===----------------------------------------------------------------------===//
// mesh.broadcast
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @broadcast(
// CHECK-SAME: %[[A:[^:]+]]: tensor<16x768xf32>)
func.func @broadcast(%a: tensor<16x768xf32>) -> tensor<16x768xf32> {
  // CHECK-NEXT: %[[B0:.*]] = mesh.broadcast %[[A]] on @mesh_1d mesh_axes = [0] root = [7] : tensor<16x768xf32> -> tensor<16x768xf32>
  %0 = mesh.broadcast %a on @mesh_1d mesh_axes = [0] root = [7] : tensor<16x768xf32> -> tensor<16x768xf32>
  // CHECK-NEXT: %[[B1:.*]] = mesh.broadcast %[[B0]] on @mesh_2d mesh_axes = [1] root = [0] : tensor<16x768xf32> -> tensor<16x768xf32>
  %1 = mesh.broadcast %0 on @mesh_2d mesh_axes = [1] root = [0] : tensor<16x768xf32> -> tensor<16x768xf32>
  // CHECK-NEXT: %[[B2:.*]] = mesh.broadcast %[[B1]] on @mesh_2d mesh_axes = [0, 1] root = [1, 3] : tensor<16x768xf32> -> tensor<16x768xf32>
  %2 = mesh.broadcast %1 on @mesh_2d mesh_axes = [0, 1] root = [1, 3] : tensor<16x768xf32> -> tensor<16x768xf32>
  // CHECK-NEXT: %[[B3:.*]] = mesh.broadcast %[[B2]] on @mesh_2d mesh_axes = [1, 0] root = [3, 1] : tensor<16x768xf32> -> tensor<16x768xf32>
  %3 = mesh.broadcast %2 on @mesh_2d mesh_axes = [1, 0] root = [3, 1] : tensor<16x768xf32> -> tensor<16x768xf32>
  // CHECK-NEXT: %[[B4:.*]] = mesh.broadcast %[[B3]] on @mesh_2d mesh_axes = [] root = [] : tensor<16x768xf32> -> tensor<16x768xf32>
  %4 = mesh.broadcast %3 on @mesh_2d mesh_axes = [] root = [] : tensor<16x768xf32> -> tensor<16x768xf32>
  // CHECK-NEXT: return %[[B4]] : tensor<16x768xf32>
  return %4 : tensor<16x768xf32>
}

//===----------------------------------------------------------------------===//
// mesh.send, mesh.recv
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @send_recv(
// CHECK-SAME: %[[A:[^:]+]]: tensor<16x768xf32>)
func.func @send_recv(%a: tensor<16x768xf32>) -> tensor<16x768xf32> {
  // CHECK-NEXT: mesh.send %[[A]] on @mesh_1d mesh_axes = [0] destination = [7] : tensor<16x768xf32>
  mesh.send %a on @mesh_1d mesh_axes = [0] destination = [7] : tensor<16x768xf32>
  // CHECK-NEXT: mesh.send %[[A]] on @mesh_2d mesh_axes = [1] destination = [3] : tensor<16x768xf32>
  mesh.send %a on @mesh_2d mesh_axes = [1] destination = [3] : tensor<16x768xf32>
  // CHECK-NEXT: mesh.send %[[A]] on @mesh_2d mesh_axes = [0, 1] destination = [1, 2] : tensor<16x768xf32>
  mesh.send %a on @mesh_2d mesh_axes = [0, 1] destination = [1, 2] : tensor<16x768xf32>
  // CHECK-NEXT: %[[V0:.*]] = mesh.recv on @mesh_1d mesh_axes = [0] source = [0] : tensor<16x768xf32>
  %0 = mesh.recv on @mesh_1d mesh_axes = [0] source = [0] : tensor<16x768xf32>
  // CHECK-NEXT: %[[V1:.*]] = mesh.recv on @mesh_2d mesh_axes = [0] source = [1] : tensor<16x768xbf16>
  %1 = mesh.recv on @mesh_2d mesh_axes = [0] source = [1] : tensor<16x768xbf16>
  // CHECK-NEXT: %[[V2:.*]] = mesh.recv on @mesh_2d mesh_axes = [1, 0] source = [3, 0] : tensor<16x768xf32>
  %2 = mesh.recv on @mesh_2d mesh_axes = [1, 0] source = [3, 0] : tensor<16x768xf32>
  // CHECK-NEXT: return %[[V2]] : tensor<16x768xf32>
  return %2 : tensor<16x768xf32>
}

// Names that are not identifiers print quoted and escaped, and read back.
// CHECK-LABEL: mesh.mesh @escaped
// CHECK-SAME: #mesh.device<"a\22b", peak_flops = {"f 32" = 1.0e+00}
mesh.mesh @escaped(shape = 2, device = #mesh.device<"a\"b", peak_flops = {"f 32" = 1.0}, memory_bandwidth = 1.0, memory_capacity = 1.0>)

// CHECK-LABEL: func.func @process_index
// CHECK: mesh.process_index on @pi mesh_axes = [1] : index
// CHECK: mesh.process_index on @pi mesh_axes = [0, 1] : index
mesh.mesh @pi(shape = 2x4)
func.func @process_index() -> (index, index) {
  %0 = mesh.process_index on @pi mesh_axes = [1] : index
  %1 = mesh.process_index on @pi mesh_axes = [0, 1] : index
  return %0, %1 : index, index
}
