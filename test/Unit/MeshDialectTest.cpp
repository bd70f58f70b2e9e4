//===- MeshDialectTest.cpp - Unit tests of the mesh dialect -----------------===//
//
// Presets carry the hardware numbers the cost model reads; real numbers print
// in a form that parses back exactly; shardings check themselves against a
// mesh and a tensor.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Mesh/IR/MeshPresets.h"
#include "WeftTestSupport.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Builders.h"

#include <random>

using namespace mlir;
using namespace weft;
using namespace weft::mesh;

namespace {

using MeshDialectTest = weft::test::WeftTest;
using weft::test::DiagnosticCollector;

TEST_F(MeshDialectTest, TwoNodePresetPutsInfiniBandOnTheNodeAxis) {
  FailureOr<MeshDescription> mesh =
      getMeshPreset(&context, "2x8xH100-IB", [&] { return emit(); });
  ASSERT_TRUE(succeeded(mesh));
  EXPECT_EQ(mesh->shape, (SmallVector<int64_t>{2, 8}));
  EXPECT_EQ(mesh->axisNames[0], "node");
  EXPECT_EQ(mesh->axisNames[1], "gpu");
  // InfiniBand NDR: 400 Gb/s = 50 GB/s per GPU; NVLink 4: 450 GB/s per
  // direction. The node axis must be the slow one.
  EXPECT_DOUBLE_EQ(mesh->links[0].getBandwidth().convertToDouble(), 5.0e10);
  EXPECT_DOUBLE_EQ(mesh->links[1].getBandwidth().convertToDouble(), 4.5e11);
  EXPECT_GT(mesh->links[0].getLatency().convertToDouble(),
            mesh->links[1].getLatency().convertToDouble());
  // H100 SXM: 989 TFLOP/s dense bf16, 3.35 TB/s HBM3, 80 GiB.
  EXPECT_DOUBLE_EQ(*mesh->device.getPeakFlops(BFloat16Type::get(&context)),
                   9.89e14);
  EXPECT_DOUBLE_EQ(mesh->device.getMemoryBandwidth().convertToDouble(),
                   3.35e12);
  EXPECT_DOUBLE_EQ(mesh->device.getMemoryCapacity().convertToDouble(),
                   80.0 * (1 << 30));
}

TEST_F(MeshDialectTest, CpuPresetTakesAnyShape) {
  FailureOr<MeshDescription> mesh =
      getMeshPreset(&context, "2x2xCPU", [&] { return emit(); });
  ASSERT_TRUE(succeeded(mesh));
  EXPECT_EQ(mesh->shape, (SmallVector<int64_t>{2, 2}));
  EXPECT_EQ(mesh->axisNames[1], "rank1");
  EXPECT_FALSE(mesh->device.getPeakFlops(Float16Type::get(&context)));
}

TEST_F(MeshDialectTest, NVLinkPresetRejectsMoreThanOneNode) {
  DiagnosticCollector diagnostics(context);
  EXPECT_TRUE(failed(
      getMeshPreset(&context, "16xH100-NVLink", [&] { return emit(); })));
  ASSERT_EQ(diagnostics.messages.size(), 1u);
  EXPECT_NE(diagnostics.messages[0].find("has 16 devices but NVLink connects at "
                                   "most 8"),
            std::string::npos)
      << diagnostics.messages[0];
}

TEST_F(MeshDialectTest, UnknownPresetListsFamilies) {
  DiagnosticCollector diagnostics(context);
  EXPECT_TRUE(
      failed(getMeshPreset(&context, "8xA100", [&] { return emit(); })));
  ASSERT_EQ(diagnostics.messages.size(), 1u);
  for (StringRef family : getMeshPresetFamilies())
    EXPECT_NE(diagnostics.messages[0].find(family.str()), std::string::npos);
}

TEST_F(MeshDialectTest, DoublesPrintShortAndParseBackExactly) {
  // Seeded per case so a failure reproduces; values span the magnitudes of
  // latencies (1e-7 s) to peak FLOP/s (1e16).
  std::mt19937_64 rng(20261122);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  std::uniform_int_distribution<int> exponent(-7, 16);
  for (int i = 0; i < 2000; ++i) {
    double value = mantissa(rng) * std::pow(10.0, exponent(rng));
    std::string text;
    llvm::raw_string_ostream os(text);
    printDouble(os, value);
    Attribute parsed = parseAttribute(text + " : f64", &context);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(cast<FloatAttr>(parsed).getValueAsDouble(), value) << text;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  printDouble(os, 3.0e-6);
  EXPECT_EQ(text, "3.0e-06");
}

TEST_F(MeshDialectTest, ShardingChecksAxesAgainstMeshAndTensor) {
  auto mesh = FlatSymbolRefAttr::get(&context, "m");
  auto sharding = ShardingAttr::get(&context, mesh, {{0}, {}, {1}});
  EXPECT_FALSE(sharding.isFullyReplicated());
  EXPECT_TRUE(ShardingAttr::get(&context, mesh, {{}, {}}).isFullyReplicated());

  DiagnosticCollector diagnostics(context);
  EXPECT_TRUE(succeeded(sharding.verifyFor([&] { return emit(); }, 2, 3)));
  EXPECT_TRUE(failed(sharding.verifyFor([&] { return emit(); }, 1, 3)));
  EXPECT_TRUE(failed(sharding.verifyFor([&] { return emit(); }, 2, 2)));
  ASSERT_EQ(diagnostics.messages.size(), 2u);
  EXPECT_EQ(diagnostics.messages[0], "expected mesh axes in [0, 1) for @m, got 1");
  EXPECT_EQ(diagnostics.messages[1],
            "expected at most 2 split dims (the tensor's rank), got 3");

  // An axis may appear once across split and partial axes.
  EXPECT_FALSE(ShardingAttr::getChecked([&] { return emit(); }, &context, mesh,
                                        ArrayRef<DenseI64ArrayAttr>{
                                            DenseI64ArrayAttr::get(&context, {0})},
                                        ArrayRef<int64_t>{0},
                                        ReductionKind::Sum));
}

TEST_F(MeshDialectTest, CollectiveResultShapesFollowGroupSize) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    mesh.mesh @m(preset = "2x4xCPU")
    func.func @f(%x: tensor<8x6xf32>) -> tensor<8x6xf32> {
      %g = mesh.all_gather %x on @m mesh_axes = [0, 1] gather_axis = 1 : tensor<8x6xf32> -> tensor<8x48xf32>
      %s = mesh.reduce_scatter %x on @m mesh_axes = [1] scatter_axis = 0 : tensor<8x6xf32> -> tensor<2x6xf32>
      %a = mesh.all_to_all %x on @m mesh_axes = [0] split_axis = 0 concat_axis = 1 : tensor<8x6xf32> -> tensor<4x12xf32>
      return %x : tensor<8x6xf32>
    })mlir");
  ASSERT_TRUE(module);
  auto meshOp = cast<MeshOp>(&module->getBody()->front());
  EXPECT_EQ(meshOp.getNumDevices(), 8);
  EXPECT_EQ(meshOp.getGroupSize({1}), 4);
  EXPECT_EQ(meshOp.getAxisName(0), "rank0");
}

} // namespace
