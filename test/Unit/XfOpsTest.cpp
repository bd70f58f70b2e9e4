//===- XfOpsTest.cpp - Unit tests of the xf dialect -------------------------===//
//
// Result-type inference through builders, and folds run by the canonicalizer
// on IR parsed from inline strings.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/IR/XfOps.h"
#include "WeftTestSupport.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace weft;

namespace {

class XfOpsTest : public weft::test::WeftTest {
protected:
  XfOpsTest() { builder.setInsertionPointToStart(&block); }

  /// A block argument of the given shape, to build ops on.
  Value argument(ArrayRef<int64_t> shape, Type elementType) {
    return block.addArgument(RankedTensorType::get(shape, elementType),
                             UnknownLoc::get(&context));
  }

  /// Parses `source`, runs the canonicalizer and prints the result.
  std::string canonicalize(StringRef source) {
    OwningOpRef<ModuleOp> module = parse(source);
    EXPECT_TRUE(module);
    if (!module)
      return "";
    PassManager pm(&context);
    pm.addPass(createCanonicalizerPass());
    EXPECT_TRUE(succeeded(pm.run(*module)));
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return text;
  }

  Block block;
  Location loc = UnknownLoc::get(&context);
  OpBuilder builder{&context};
  Type f32 = Float32Type::get(&context);
  Type bf16 = BFloat16Type::get(&context);
};

TEST_F(XfOpsTest, LinearInfersOutFeaturesAndKeepsLeadingDims) {
  Value x = argument({2, 16, 768}, f32);
  Value w = argument({768, 3072}, f32);
  Value b = argument({3072}, f32);
  auto linear = xf::LinearOp::create(builder, loc, x, w, b);
  EXPECT_EQ(linear.getType(), RankedTensorType::get({2, 16, 3072}, f32));
  EXPECT_TRUE(succeeded(mlir::verify(linear)));
}

TEST_F(XfOpsTest, GroupedQueryAttentionTakesValueHeadDim) {
  Value q = argument({1, 128, 32, 128}, bf16);
  Value k = argument({1, 256, 8, 128}, bf16);
  Value v = argument({1, 256, 8, 64}, bf16);
  auto attention = xf::AttentionOp::create(builder, loc, q, k, v,
                                           /*causal=*/true, /*causal_offset=*/Value(),
                                           FloatAttr());
  EXPECT_EQ(attention.getType(), RankedTensorType::get({1, 128, 32, 64}, bf16));
  EXPECT_DOUBLE_EQ(attention.getEffectiveScale(), 1.0 / std::sqrt(128.0));
  EXPECT_TRUE(succeeded(mlir::verify(attention)));
}

TEST_F(XfOpsTest, BroadcastAddAlignsTrailingDims) {
  Value x = argument({2, 16, 768}, f32);
  Value pos = argument({16, 1}, f32);
  auto add = xf::AddOp::create(builder, loc, x, pos);
  EXPECT_EQ(add.getType(), RankedTensorType::get({2, 16, 768}, f32));
}

TEST_F(XfOpsTest, InferenceWithoutLocationFailsSilently) {
  // A query with no location (an optimistic builder asking "what would the
  // type be?") must answer failure without reporting anything.
  Value x = argument({2, 16, 768}, f32);
  Value w = argument({512, 3072}, f32);
  weft::test::DiagnosticCollector diagnostics(context);
  // Built with an explicit result type, which skips inference.
  auto linear = xf::LinearOp::create(
      builder, loc, RankedTensorType::get({2, 16, 3072}, f32), x, w, Value());
  xf::LinearOp::Adaptor adaptor(linear);
  SmallVector<Type> types;
  EXPECT_TRUE(failed(xf::LinearOp::inferReturnTypes(&context, std::nullopt,
                                                    adaptor, types)));
  EXPECT_TRUE(diagnostics.messages.empty());
  // With a location the same query explains itself.
  EXPECT_TRUE(
      failed(xf::LinearOp::inferReturnTypes(&context, loc, adaptor, types)));
  ASSERT_EQ(diagnostics.messages.size(), 1u);
  EXPECT_EQ(diagnostics.messages[0],
            "'xf.linear' op expected weight dim 0 (in features) to be 768 "
            "(the input's last dim), got 512");
}

TEST_F(XfOpsTest, VerifierNamesOperandAndBothSizes) {
  weft::test::DiagnosticCollector diagnostics(context);
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    func.func @f(%x: tensor<4x64xf32>, %w: tensor<32x8xf32>) -> tensor<4x8xf32> {
      %y = xf.linear %x, %w : (tensor<4x64xf32>, tensor<32x8xf32>) -> tensor<4x8xf32>
      return %y : tensor<4x8xf32>
    })mlir");
  EXPECT_FALSE(module);
  ASSERT_EQ(diagnostics.messages.size(), 1u);
  EXPECT_EQ(diagnostics.messages[0],
            "'xf.linear' op expected weight dim 0 (in features) to be 64 "
            "(the input's last dim), got 32");
}

TEST_F(XfOpsTest, TransposeOfTransposeComposes) {
  std::string out = canonicalize(R"mlir(
    func.func @f(%x: tensor<2x3x4x5xf32>) -> tensor<5x3x2x4xf32> {
      %a = xf.transpose %x permutation = [0, 2, 1, 3] : (tensor<2x3x4x5xf32>) -> tensor<2x4x3x5xf32>
      %b = xf.transpose %a permutation = [3, 2, 0, 1] : (tensor<2x4x3x5xf32>) -> tensor<5x3x2x4xf32>
      return %b : tensor<5x3x2x4xf32>
    })mlir");
  // b[i] = a[perm_b[i]] = x[perm_a[perm_b[i]]]: [3, 1, 0, 2].
  EXPECT_NE(out.find("xf.transpose %arg0 permutation = [3, 1, 0, 2]"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("permutation = [0, 2, 1, 3]"), std::string::npos) << out;
}

TEST_F(XfOpsTest, InverseTransposesCancel) {
  std::string out = canonicalize(R"mlir(
    func.func @f(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
      %a = xf.transpose %x permutation = [1, 2, 0] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
      %b = xf.transpose %a permutation = [2, 0, 1] : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
      return %b : tensor<2x3x4xf32>
    })mlir");
  EXPECT_EQ(out.find("xf.transpose"), std::string::npos) << out;
  EXPECT_NE(out.find("return %arg0"), std::string::npos) << out;
}

TEST_F(XfOpsTest, ReshapeChainBecomesOneReshape) {
  std::string out = canonicalize(R"mlir(
    func.func @f(%x: tensor<2x16x768xf32>) -> tensor<32x768xf32> {
      %a = xf.reshape %x : tensor<2x16x768xf32> -> tensor<2x16x12x64xf32>
      %b = xf.reshape %a : tensor<2x16x12x64xf32> -> tensor<32x768xf32>
      return %b : tensor<32x768xf32>
    })mlir");
  EXPECT_NE(out.find("xf.reshape %arg0 : tensor<2x16x768xf32> -> "
                     "tensor<32x768xf32>"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("12x64"), std::string::npos) << out;
}

} // namespace
