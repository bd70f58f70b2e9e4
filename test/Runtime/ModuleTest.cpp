//===- ModuleTest.cpp - Unit tests of weft_module_invoke ------------------===//
//
// Real calls into the test host library (TestHostLib.c), whose entry
// functions check the memref descriptors they receive, and one case per
// check invoke makes before calling.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>
#include <memory>
#include <thread>

using namespace weft::test;
using testing::HasSubstr;

namespace {

struct TensorDeleter {
  void operator()(weft_tensor_t *t) const { weft_tensor_free(t); }
};
using Tensor = std::unique_ptr<weft_tensor_t, TensorDeleter>;

Tensor literal(const char *text) {
  weft_tensor_t *t = nullptr;
  EXPECT_EQ(takeMessage(weft_tensor_parse(text, &t)), "") << text;
  return Tensor(t);
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> out;
  for (int64_t i = 0; i < weft_tensor_num_elements(t.get()); ++i)
    out.push_back(weft_tensor_element_f64(t.get(), i));
  return out;
}

class ModuleTest : public testing::Test {
protected:
  void SetUp() override {
    writeTestArtifact(dir.file("test.weft"));
    ASSERT_EQ(takeMessage(weft_module_open(dir.file("test.weft").c_str(),
                                           &module)),
              "");
  }
  void TearDown() override { weft_module_close(module); }

  size_t function(const char *name) {
    size_t fn = 0;
    EXPECT_EQ(takeMessage(weft_module_lookup(module, name, &fn)), "");
    return fn;
  }

  std::string invoke(const char *fn, std::vector<weft_tensor_t *> args,
                     std::vector<weft_tensor_t *> results) {
    return takeMessage(weft_module_invoke(module, function(fn), args.data(),
                                          args.size(), results.data(),
                                          results.size()));
  }

  ScratchDirectory dir;
  weft_module_t *module = nullptr;
};

TEST_F(ModuleTest, AddsTwoMatrices) {
  Tensor a = literal("2x3xf32=[1 2 3][4 5 6]");
  Tensor b = literal("2x3xf32=[10 20 30][40 50 60.5]");
  Tensor sum = literal("2x3xf32=-1");
  ASSERT_EQ(invoke("add", {a.get(), b.get()}, {sum.get()}), "");
  EXPECT_EQ(values(sum), (std::vector<double>{11, 22, 33, 44, 55, 66.5}));
  // The inputs are untouched and a second call gives the same result.
  EXPECT_EQ(values(a), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(invoke("add", {b.get(), a.get()}, {sum.get()}), "");
  EXPECT_EQ(values(sum), (std::vector<double>{11, 22, 33, 44, 55, 66.5}));
}

TEST_F(ModuleTest, ScalesByAScalarWeightFromSafetensors) {
  writeFile(dir.file("w.safetensors"), testWeights());
  weft_safetensors_t *weights = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_open(
                dir.file("w.safetensors").c_str(), &weights)),
            "");
  Tensor scale = literal("f32=0");
  ASSERT_EQ(takeMessage(weft_safetensors_read(weights, "model.scale",
                                              scale.get())),
            "");
  weft_safetensors_close(weights); // The tensor owns a copy.
  Tensor x = literal("2x3xf32=[1 -2 3][0.25 5 6]");
  Tensor y = literal("2x3xf32=0");
  ASSERT_EQ(invoke("scale", {x.get(), scale.get()}, {y.get()}), "");
  EXPECT_EQ(values(y), (std::vector<double>{2, -4, 6, 0.5, 10, 12}));
}

TEST_F(ModuleTest, GathersEmbeddingRows) {
  writeFile(dir.file("w.safetensors"), testWeights());
  weft_safetensors_t *weights = nullptr;
  ASSERT_EQ(takeMessage(weft_safetensors_open(
                dir.file("w.safetensors").c_str(), &weights)),
            "");
  Tensor table = literal("8x2xf32=0");
  ASSERT_EQ(takeMessage(weft_safetensors_read(weights, "embed.table",
                                              table.get())),
            "");
  weft_safetensors_close(weights);
  Tensor ids = literal("1x4xi32=[[3 0 7 1]]");
  Tensor hidden = literal("1x4x2xf32=0");
  ASSERT_EQ(invoke("embed", {ids.get(), table.get()}, {hidden.get()}), "");
  EXPECT_EQ(values(hidden), (std::vector<double>{3, -3, 0, 0, 7, -7, 1, -1}));
}

TEST_F(ModuleTest, PassesEmptyTensorsAndScalarResults) {
  Tensor x = literal("0x3xf64=");
  Tensor n = literal("i64=99");
  ASSERT_EQ(invoke("count", {x.get()}, {n.get()}), "");
  int64_t count = -2;
  std::memcpy(&count, weft_tensor_data(n.get()), sizeof(count));
  EXPECT_EQ(count, 0);
}

TEST_F(ModuleTest, ChecksCounts) {
  Tensor a = literal("2x3xf32=1");
  Tensor sum = literal("2x3xf32=0");
  EXPECT_EQ(invoke("add", {a.get()}, {sum.get()}),
            "function 'add': expected 2 arguments, got 1");
  EXPECT_EQ(invoke("add", {a.get(), a.get()}, {}),
            "function 'add': expected 1 results, got 0");
  EXPECT_EQ(invoke("add", {a.get(), nullptr}, {sum.get()}),
            "function 'add': input 'b' (argument 1): tensor is null");
  weft_tensor_t *args[] = {a.get(), a.get()};
  EXPECT_THAT(takeMessage(weft_module_invoke(module, 9, args, 2, nullptr, 0)),
              HasSubstr("function index 9 is out of range (it has 4 functions)"));
}

TEST_F(ModuleTest, ChecksTypesAndNamesTheValue) {
  Tensor a = literal("2x3xf32=1");
  Tensor wrongDtype = literal("2x3xf64=1");
  Tensor wrongShape = literal("3x2xf32=1");
  Tensor sum = literal("2x3xf32=7");
  EXPECT_EQ(invoke("add", {a.get(), wrongDtype.get()}, {sum.get()}),
            "function 'add': input 'b' (argument 1): expected f32 [2, 3], "
            "found f64 [2, 3]");
  EXPECT_EQ(invoke("add", {a.get(), a.get()}, {wrongShape.get()}),
            "function 'add': result 'sum' (result 0): expected f32 [2, 3], "
            "found f32 [3, 2]");
  Tensor vector = literal("3xf32=1");
  EXPECT_EQ(invoke("scale", {a.get(), vector.get()}, {sum.get()}),
            "function 'scale': weight 'model.scale' (argument 1): expected "
            "f32 [], found f32 [3]");
  // Nothing ran: the result keeps its contents.
  EXPECT_EQ(values(sum), std::vector<double>(6, 7));
}

TEST_F(ModuleTest, ChecksIndexBounds) {
  Tensor table = literal("8x2xf32=1");
  Tensor hidden = literal("1x4x2xf32=5");
  Tensor ids = literal("1x4xi32=[[0 7 8 1]]");
  EXPECT_EQ(invoke("embed", {ids.get(), table.get()}, {hidden.get()}),
            "function 'embed': input 'ids' element [0, 2] = 8 is outside "
            "[0, 8)");
  Tensor negative = literal("1x4xi32=[[0 -1 2 3]]");
  EXPECT_EQ(invoke("embed", {negative.get(), table.get()}, {hidden.get()}),
            "function 'embed': input 'ids' element [0, 1] = -1 is outside "
            "[0, 8)");
  EXPECT_EQ(values(hidden), std::vector<double>(8, 5));
}

TEST_F(ModuleTest, RejectsAliasedResults) {
  Tensor a = literal("2x3xf32=1");
  Tensor b = literal("2x3xf32=2");
  EXPECT_EQ(invoke("add", {a.get(), b.get()}, {b.get()}),
            "function 'add': result 'sum' (result 0): the same tensor is "
            "passed as input 'b' (argument 1)");
}

TEST_F(ModuleTest, ConcurrentInvokesOnOneModule) {
  size_t fn = function("add");
  auto worker = [&](float offset, bool *ok) {
    std::string text = "2x3xf32=" + std::to_string(offset);
    Tensor a = literal(text.c_str());
    Tensor b = literal("2x3xf32=[1 2 3][4 5 6]");
    Tensor sum = literal("2x3xf32=0");
    weft_tensor_t *args[] = {a.get(), b.get()};
    weft_tensor_t *results[] = {sum.get()};
    *ok = true;
    for (int i = 0; i < 200; ++i) {
      weft_status_t s = weft_module_invoke(module, fn, args, 2, results, 1);
      *ok &= s == nullptr && weft_tensor_element_f64(sum.get(), 5) == 6 + offset;
      weft_status_free(s);
    }
  };
  bool ok[4];
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back(worker, 100.0f * t, &ok[t]);
  for (std::thread &t : threads)
    t.join();
  for (bool b : ok)
    EXPECT_TRUE(b);
}

} // namespace
