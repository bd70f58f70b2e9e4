//===- ShardedModuleTest.cpp - Partitioned modules on a mesh --------------===//
//
// Modules compiled for a mesh: the manifest's mesh and each argument's
// local shape, the slice every device holds (checked to tile each value),
// and real invokes of TestHostLib.c's partitioned functions, whose
// collectives run through the table: on a one-device mesh over the single
// back end, and as one device of a 2x3 mesh over the fake back end.
//
//===----------------------------------------------------------------------===//

#include "Communicator.h"
#include "FakeCollectiveBackend.h"
#include "RuntimeTestSupport.h"
#include "weft/collectives.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstddef>
#include <cstring>
#include <map>
#include <memory>

using namespace weft::test;
using testing::HasSubstr;

namespace {

// python/weft/runner.py mirrors weft_value_info_t with ctypes; a field
// moved here must move there.
static_assert(offsetof(weft_value_info_t, index_bound) == 32 &&
                  offsetof(weft_value_info_t, local_shape) == 40 &&
                  sizeof(weft_value_info_t) == 48,
              "weft_value_info_t's layout is mirrored in runner.py");

struct TensorDeleter {
  void operator()(weft_tensor_t *t) const { weft_tensor_free(t); }
};
using Tensor = std::unique_ptr<weft_tensor_t, TensorDeleter>;
struct CommunicatorDeleter {
  void operator()(weft_communicator_t *c) const {
    weft_communicator_release(c);
  }
};
using Communicator = std::unique_ptr<weft_communicator_t, CommunicatorDeleter>;

Tensor tensor(weft_dtype_t dtype, std::vector<int64_t> shape) {
  weft_tensor_t *t = nullptr;
  EXPECT_EQ(takeMessage(weft_tensor_create(
                dtype, static_cast<int64_t>(shape.size()), shape.data(), &t)),
            "");
  return Tensor(t);
}

Tensor floats(std::vector<int64_t> shape, const std::vector<float> &values) {
  Tensor t = tensor(WEFT_DTYPE_F32, std::move(shape));
  EXPECT_EQ(weft_tensor_num_bytes(t.get()), values.size() * sizeof(float));
  std::memcpy(weft_tensor_data(t.get()), values.data(),
              weft_tensor_num_bytes(t.get()));
  return t;
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> out;
  for (int64_t i = 0; i < weft_tensor_num_elements(t.get()); ++i)
    out.push_back(weft_tensor_element_f64(t.get(), i));
  return out;
}

/// A single-rank communicator over `mesh`.
Communicator single(const std::vector<int64_t> &mesh) {
  weft_communicator_options_t options;
  weft_communicator_options_initialize(&options);
  options.backend = WEFT_COLLECTIVE_BACKEND_SINGLE;
  options.mesh_rank = static_cast<int64_t>(mesh.size());
  options.mesh_shape = mesh.data();
  weft_communicator_t *c = nullptr;
  EXPECT_EQ(takeMessage(weft_communicator_create(&options, &c)), "");
  return Communicator(c);
}

class ShardedModuleTest : public testing::Test {
protected:
  void TearDown() override {
    for (weft_module_t *m : modules)
      weft_module_close(m);
  }

  weft_module_t *open(const std::string &manifest) {
    std::string path = dir.file("m" + std::to_string(modules.size()) + ".weft");
    writeTestArtifact(path, manifest);
    weft_module_t *module = nullptr;
    EXPECT_EQ(takeMessage(weft_module_open(path.c_str(), &module)), "");
    if (module)
      modules.push_back(module);
    return module;
  }

  static size_t function(weft_module_t *module, const char *name) {
    size_t fn = 0;
    EXPECT_EQ(takeMessage(weft_module_lookup(module, name, &fn)), "");
    return fn;
  }

  /// invoke_on (or invoke, with no communicator) of `name`; its message.
  static std::string run(weft_module_t *module, const char *name,
                         weft_communicator_t *communicator,
                         std::vector<weft_tensor_t *> args,
                         std::vector<weft_tensor_t *> results) {
    size_t fn = function(module, name);
    weft_status_t s =
        communicator
            ? weft_module_invoke_on(module, fn, communicator, args.data(),
                                    args.size(), results.data(), results.size())
            : weft_module_invoke(module, fn, args.data(), args.size(),
                                 results.data(), results.size());
    return takeMessage(s);
  }

  /// The slice of argument `i` of `fn` at `coordinates`.
  static std::vector<int64_t> offsets(weft_module_t *module, size_t fn,
                                      size_t i,
                                      const std::vector<int64_t> &coordinates) {
    weft_value_info_t info;
    weft_function_argument(module, fn, i, &info);
    std::vector<int64_t> out(info.rank, -1);
    EXPECT_EQ(takeMessage(weft_function_argument_slice(
                  module, fn, i, coordinates.data(), out.data())),
              "");
    return out;
  }

  /// This device's slice of regather's weight, read as weft-run does.
  Tensor weightSlice(weft_module_t *module, const std::vector<int64_t> &mesh,
                     const std::vector<int64_t> &coordinates) {
    writeFile(dir.file("w.safetensors"), testShardedWeights(mesh));
    weft_safetensors_t *file = nullptr;
    EXPECT_EQ(takeMessage(weft_safetensors_open(
                  dir.file("w.safetensors").c_str(), &file)),
              "");
    size_t fn = function(module, "regather");
    weft_value_info_t info;
    weft_function_argument(module, fn, 0, &info);
    Tensor w = tensor(info.dtype, {info.local_shape[0], info.local_shape[1]});
    std::vector<int64_t> at = offsets(module, fn, 0, coordinates);
    EXPECT_EQ(
        takeMessage(weft_safetensors_read_slice(file, "w", at.data(), w.get())),
        "");
    weft_safetensors_close(file);
    return w;
  }

  ScratchDirectory dir;
  std::vector<weft_module_t *> modules;
};

TEST_F(ShardedModuleTest, DescribesTheMeshAndLocalShapes) {
  weft_module_t *module = open(testShardedManifest({2, 3}));
  ASSERT_NE(module, nullptr);
  ASSERT_EQ(weft_module_mesh_rank(module), 2);
  EXPECT_EQ(weft_module_mesh_shape(module)[0], 2);
  EXPECT_EQ(weft_module_mesh_shape(module)[1], 3);
  EXPECT_STREQ(weft_module_mesh_axis_name(module, 0), "x");
  EXPECT_STREQ(weft_module_mesh_axis_name(module, 1), "y");
  EXPECT_EQ(weft_module_mesh_axis_name(module, 2), nullptr);
  EXPECT_EQ(weft_module_mesh_axis_name(module, -1), nullptr);

  weft_value_info_t info;
  weft_function_argument(module, function(module, "regather"), 0, &info);
  EXPECT_STREQ(info.name, "w");
  ASSERT_EQ(info.rank, 2);
  EXPECT_EQ(std::vector<int64_t>(info.shape, info.shape + 2),
            (std::vector<int64_t>{4, 9}));
  EXPECT_EQ(std::vector<int64_t>(info.local_shape, info.local_shape + 2),
            (std::vector<int64_t>{2, 3}));
  // Split over axis 0 only: axis 1's devices hold the same slice.
  weft_function_argument(module, function(module, "where"), 0, &info);
  EXPECT_EQ(std::vector<int64_t>(info.local_shape, info.local_shape + 2),
            (std::vector<int64_t>{1, 4}));
  // Results are whole.
  weft_function_result(module, function(module, "regather"), 0, &info);
  EXPECT_EQ(std::vector<int64_t>(info.local_shape, info.local_shape + 2),
            (std::vector<int64_t>{4, 9}));
  weft_function_argument(module, 99, 0, &info);
  EXPECT_EQ(info.name, nullptr);
  EXPECT_EQ(info.local_shape, nullptr);

  weft_module_t *plain = open(testManifest());
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(weft_module_mesh_rank(plain), 0);
  EXPECT_EQ(weft_module_mesh_shape(plain), nullptr);
  EXPECT_EQ(weft_module_mesh_axis_name(plain, 0), nullptr);
  weft_function_argument(plain, 0, 1, &info);
  EXPECT_EQ(std::vector<int64_t>(info.local_shape, info.local_shape + 2),
            (std::vector<int64_t>{2, 3}));
}

/// A module on `mesh` whose function "f" (never run) has one argument per
/// (shape, sharding) pair.
std::string
slicesManifest(const std::string &mesh,
               const std::vector<std::pair<std::string, std::string>> &args) {
  std::string list;
  for (size_t i = 0; i < args.size(); ++i)
    list +=
        std::string(i ? ", " : "") + "{\"name\": \"a" + std::to_string(i) +
        "\", \"role\": \"weight\", \"dtype\": \"f32\", \"shape\": " +
        args[i].first +
        (args[i].second.empty() ? "" : ", \"sharding\": " + args[i].second) +
        "}";
  return R"({"format": "weft-artifact", "version": 1, "target": "cpu",
  "mesh": )" +
         mesh + R"(,
  "functions": [{"name": "f", "symbol": "weft_entry_add", "arguments": [)" +
         list + R"(], "results": []}]})";
}

TEST_F(ShardedModuleTest, SliceOffsetsOnA2DMesh) {
  weft_module_t *module = open(slicesManifest(
      R"({"name": "m", "shape": [2, 3], "axes": ["x", "y"]})",
      {{"[4, 9]", "[[0], [1]]"},    // a0: rows by x, columns by y
       {"[12, 5]", "[[0, 1]]"},     // a1: rows by (x, y), x outermost
       {"[12]", "[[1, 0]]"},        // a2: by (y, x), y outermost
       {"[3, 6]", "[[], [1]]"},     // a3: columns by y only
       {"[5, 2]", ""},              // a4: whole
       {"[]", ""},                  // a5: a scalar
       {"[0, 6]", "[[0], [1]]"}})); // a6: empty
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(offsets(module, 0, 0, {1, 2}), (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(offsets(module, 0, 1, {1, 2}), (std::vector<int64_t>{10, 0}));
  EXPECT_EQ(offsets(module, 0, 1, {0, 1}), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(offsets(module, 0, 2, {1, 2}), (std::vector<int64_t>{10}));
  EXPECT_EQ(offsets(module, 0, 2, {1, 0}), (std::vector<int64_t>{2}));
  EXPECT_EQ(offsets(module, 0, 2, {0, 1}), (std::vector<int64_t>{4}));
  EXPECT_EQ(offsets(module, 0, 3, {1, 2}), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(offsets(module, 0, 4, {1, 2}), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(offsets(module, 0, 5, {1, 2}), std::vector<int64_t>{});
  EXPECT_EQ(offsets(module, 0, 6, {1, 2}), (std::vector<int64_t>{0, 4}));

  // Over the six devices, the slices of each argument cover every element
  // of it equally often: once per device that holds the same slice.
  const int64_t replicas[] = {1, 1, 1, 2, 6, 6};
  for (size_t i = 0; i < 6; ++i) {
    weft_value_info_t info;
    weft_function_argument(module, 0, i, &info);
    std::map<std::vector<int64_t>, int> covered;
    for (int64_t x = 0; x < 2; ++x)
      for (int64_t y = 0; y < 3; ++y) {
        std::vector<int64_t> at = offsets(module, 0, i, {x, y});
        // Every element of the box [at, at + local_shape).
        std::vector<int64_t> index(info.rank, 0);
        while (true) {
          std::vector<int64_t> element(info.rank);
          for (int64_t d = 0; d < info.rank; ++d)
            element[d] = at[d] + index[d];
          ++covered[element];
          int64_t d = info.rank - 1;
          while (d >= 0 && ++index[d] == info.local_shape[d])
            index[d--] = 0;
          if (d < 0)
            break;
        }
      }
    int64_t elements = 1;
    for (int64_t d = 0; d < info.rank; ++d)
      elements *= info.shape[d];
    EXPECT_EQ(static_cast<int64_t>(covered.size()), elements) << "a" << i;
    for (const auto &[element, count] : covered) {
      EXPECT_EQ(count, replicas[i]) << "a" << i;
      for (int64_t d = 0; d < info.rank; ++d)
        EXPECT_LT(element[d], info.shape[d]) << "a" << i;
    }
  }
}

TEST_F(ShardedModuleTest, SliceOffsetsOnA1DMeshAndWithoutAMesh) {
  weft_module_t *module =
      open(slicesManifest(R"({"name": "m", "shape": [4], "axes": ["x"]})",
                          {{"[8, 2]", "[[0]]"}, {"[2, 8]", "[[], [0]]"}}));
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(offsets(module, 0, 0, {3}), (std::vector<int64_t>{6, 0}));
  EXPECT_EQ(offsets(module, 0, 1, {3}), (std::vector<int64_t>{0, 6}));
  EXPECT_EQ(offsets(module, 0, 1, {0}), (std::vector<int64_t>{0, 0}));

  weft_module_t *plain = open(testManifest());
  ASSERT_NE(plain, nullptr);
  int64_t at[2] = {-1, -1};
  EXPECT_EQ(takeMessage(weft_function_argument_slice(plain, 0, 1, nullptr, at)),
            "");
  EXPECT_EQ(at[0], 0);
  EXPECT_EQ(at[1], 0);
}

TEST_F(ShardedModuleTest, SliceChecksItsArguments) {
  weft_module_t *module = open(testShardedManifest({2, 3}));
  ASSERT_NE(module, nullptr);
  int64_t at[2];
  const int64_t outside[] = {1, 3}, negative[] = {-1, 0};
  EXPECT_EQ(
      takeMessage(weft_function_argument_slice(module, 0, 0, outside, at)),
      "coordinates [1, 3] are outside mesh 'mesh' [2, 3] along axis 1");
  EXPECT_EQ(
      takeMessage(weft_function_argument_slice(module, 0, 0, negative, at)),
      "coordinates [-1, 0] are outside mesh 'mesh' [2, 3] along axis 0");
  EXPECT_EQ(
      takeMessage(weft_function_argument_slice(module, 0, 0, nullptr, at)),
      "weft_function_argument_slice: 'coordinates' is null");
  const int64_t origin[] = {0, 0};
  EXPECT_EQ(
      takeMessage(weft_function_argument_slice(module, 0, 0, origin, nullptr)),
      "weft_function_argument_slice: 'offsets' is null");
  EXPECT_EQ(takeMessage(weft_function_argument_slice(module, 0, 1, origin, at)),
            "function 'regather' has no argument 1 (it has 1)");
  EXPECT_THAT(
      takeMessage(weft_function_argument_slice(module, 7, 0, origin, at)),
      HasSubstr("function index 7 is out of range (it has 4 functions)"));
}

TEST_F(ShardedModuleTest, OneDeviceMeshRunsThroughTheTable) {
  for (const std::vector<int64_t> &mesh :
       {std::vector<int64_t>{1}, std::vector<int64_t>{1, 1}}) {
    SCOPED_TRACE(mesh.size());
    weft_module_t *module = open(testShardedManifest(mesh));
    ASSERT_NE(module, nullptr);
    Communicator comm = single(mesh);
    for (weft_communicator_t *c :
         {static_cast<weft_communicator_t *>(nullptr), comm.get()}) {
      // A device's slice is the whole value on a mesh of one.
      Tensor w = weightSlice(module, mesh, std::vector<int64_t>(mesh.size()));
      Tensor whole = tensor(WEFT_DTYPE_F32, {2, 3});
      ASSERT_EQ(run(module, "regather", c, {w.get()}, {whole.get()}), "");
      EXPECT_EQ(values(whole), (std::vector<double>{0, 1, 2, 100, 101, 102}));

      Tensor x = floats({2, 3}, {1, -2, 3, 4.5, 5, 6});
      Tensor sum = tensor(WEFT_DTYPE_F32, {2, 3});
      ASSERT_EQ(run(module, "allsum", c, {x.get()}, {sum.get()}), "");
      EXPECT_EQ(values(sum), values(x));

      Tensor ids = tensor(WEFT_DTYPE_I32, {1, 4});
      const int32_t id[] = {3, 0, 7, 1};
      std::memcpy(weft_tensor_data(ids.get()), id, sizeof(id));
      Tensor coords =
          tensor(WEFT_DTYPE_I64, {1, static_cast<int64_t>(mesh.size())});
      Tensor idsWhole = tensor(WEFT_DTYPE_I32, {1, 4});
      std::memset(weft_tensor_data(coords.get()), 0x55,
                  weft_tensor_num_bytes(coords.get()));
      ASSERT_EQ(
          run(module, "where", c, {ids.get()}, {coords.get(), idsWhole.get()}),
          "");
      EXPECT_EQ(values(coords), std::vector<double>(mesh.size(), 0));
      EXPECT_EQ(values(idsWhole), (std::vector<double>{3, 0, 7, 1}));
    }
  }
}

TEST_F(ShardedModuleTest, InvokeRefusesAMeshOfSeveralDevices) {
  weft_module_t *module = open(testShardedManifest({2, 2}));
  ASSERT_NE(module, nullptr);
  Tensor w = tensor(WEFT_DTYPE_F32, {2, 3});
  Tensor whole = tensor(WEFT_DTYPE_F32, {4, 6});
  EXPECT_EQ(run(module, "regather", nullptr, {w.get()}, {whole.get()}),
            "function 'regather' was compiled for a mesh of 2x2 devices; run "
            "it on a communicator of that mesh (weft_module_invoke_on; "
            "weft-run under mpirun -np 4)");
  weft_module_t *line = open(testShardedManifest({3}));
  ASSERT_NE(line, nullptr);
  Tensor x = tensor(WEFT_DTYPE_F32, {2, 3});
  Tensor sum = tensor(WEFT_DTYPE_F32, {2, 3});
  EXPECT_EQ(run(line, "allsum", nullptr, {x.get()}, {sum.get()}),
            "function 'allsum' was compiled for a mesh of 3 devices; run it "
            "on a communicator of that mesh (weft_module_invoke_on; weft-run "
            "under mpirun -np 3)");
}

TEST_F(ShardedModuleTest, TheCommunicatorMustMatchTheMesh) {
  weft_module_t *module = open(testShardedManifest({1, 1}));
  ASSERT_NE(module, nullptr);
  Tensor x = tensor(WEFT_DTYPE_F32, {2, 3});
  Tensor sum = tensor(WEFT_DTYPE_F32, {2, 3});
  Communicator line = single({1});
  EXPECT_EQ(run(module, "allsum", line.get(), {x.get()}, {sum.get()}),
            "function 'allsum' was compiled for mesh 'mesh' [1, 1], but the "
            "communicator's mesh is [1]");
  Communicator cube = single({1, 1, 1});
  EXPECT_EQ(run(module, "allsum", cube.get(), {x.get()}, {sum.get()}),
            "function 'allsum' was compiled for mesh 'mesh' [1, 1], but the "
            "communicator's mesh is [1, 1, 1]");

  // A module without a mesh takes no communicator.
  weft_module_t *plain = open(testManifest());
  ASSERT_NE(plain, nullptr);
  Tensor a = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor out = tensor(WEFT_DTYPE_F32, {2, 3});
  EXPECT_EQ(run(plain, "add", line.get(), {a.get(), a.get()}, {out.get()}),
            "function 'add' has no mesh: it runs on one device and takes no "
            "communicator (pass NULL)");
  size_t add = function(plain, "add");
  weft_tensor_t *args[] = {a.get(), a.get()};
  weft_tensor_t *results[] = {out.get()};
  ASSERT_EQ(takeMessage(weft_module_invoke_on(plain, add, nullptr, args, 2,
                                              results, 1)),
            "");
  EXPECT_EQ(values(out), (std::vector<double>{2, 4, 6, 8, 10, 12}));
}

TEST_F(ShardedModuleTest, CollectiveFailuresBecomeTheCallsStatus) {
  weft_module_t *module = open(testShardedManifest({1, 1}));
  ASSERT_NE(module, nullptr);
  Communicator comm = single({1, 1});
  Tensor x = floats({2}, {1.5, -2});
  Tensor y = tensor(WEFT_DTYPE_F32, {2});
  EXPECT_EQ(run(module, "bad", comm.get(), {x.get()}, {y.get()}),
            "function 'bad': all_reduce: mesh axis 2 is outside [0, 2) for "
            "mesh [1, 1]");
  // The function carried on, and the status was taken: the next call is
  // clean.
  EXPECT_EQ(values(y), (std::vector<double>{1.5, -2}));
  Tensor sum = tensor(WEFT_DTYPE_F32, {2, 3});
  Tensor x6 = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(run(module, "allsum", comm.get(), {x6.get()}, {sum.get()}), "");

  // A failure someone else left in the table is not this call's: refused.
  weft_collective_table_t table;
  ASSERT_EQ(takeMessage(weft_collective_table_initialize(comm.get(), &table)),
            "");
  const int64_t axis7[] = {7};
  float scratch[1];
  EXPECT_EQ(table.all_reduce(table.communicator, axis7, 1, WEFT_REDUCTION_SUM,
                             WEFT_DTYPE_F32, 1, scratch, scratch),
            1);
  std::memset(weft_tensor_data(sum.get()), 0, weft_tensor_num_bytes(sum.get()));
  EXPECT_EQ(run(module, "allsum", comm.get(), {x6.get()}, {sum.get()}),
            "function 'allsum': not run: the communicator holds an unreported "
            "failure of an earlier call through its collective table: "
            "all_reduce: mesh axis 7 is outside [0, 2) for mesh [1, 1]");
  EXPECT_EQ(values(sum), std::vector<double>(6, 0));
  EXPECT_EQ(run(module, "allsum", comm.get(), {x6.get()}, {sum.get()}), "");
}

/// Device [1, 1] (rank 4) of a 2x3 mesh, over the fake back end: a peer at
/// group index g contributes this device's data plus 1000 g.
class FakeMeshTest : public ShardedModuleTest {
protected:
  void SetUp() override {
    comm.reset(createFakeCommunicator({2, 3}, 4, &fake));
    ASSERT_NE(comm, nullptr);
    module = open(testShardedManifest({2, 3}));
    ASSERT_NE(module, nullptr);
  }

  Communicator comm;
  FakeBackend *fake = nullptr;
  weft_module_t *module = nullptr;
};

TEST_F(FakeMeshTest, RegathersTheWeightFromEveryDevicesSlice) {
  const std::vector<int64_t> here = {1, 1};
  Tensor w = weightSlice(module, {2, 3}, here);
  // Rows 2-3, columns 3-5 of [100 r + c].
  EXPECT_EQ(values(w), (std::vector<double>{203, 204, 205, 303, 304, 305}));
  fake->groupSizes = {3, 2}; // Axis 1, then axis 0.
  Tensor whole = tensor(WEFT_DTYPE_F32, {4, 9});
  ASSERT_EQ(run(module, "regather", comm.get(), {w.get()}, {whole.get()}), "");
  // Columns gathered over axis 1 (block g from index g), then rows over
  // axis 0, each peer's copy offset by 1000 per group index.
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 9; ++c)
      EXPECT_EQ(weft_tensor_element_f64(whole.get(), r * 9 + c),
                values(w)[(r % 2) * 3 + c % 3] + 1000 * (c / 3) +
                    1000 * (r / 2))
          << r << ", " << c;
  EXPECT_EQ(fake->splits, (std::vector<std::pair<int, int>>{{1, 1}, {1, 1}}));
}

TEST_F(FakeMeshTest, ArgumentsAreCheckedAgainstTheirSlices) {
  Tensor wholeWeight = tensor(WEFT_DTYPE_F32, {4, 9});
  Tensor whole = tensor(WEFT_DTYPE_F32, {4, 9});
  EXPECT_EQ(
      run(module, "regather", comm.get(), {wholeWeight.get()}, {whole.get()}),
      "function 'regather': weight 'w' (argument 0): expected f32 [2, 3], "
      "found f32 [4, 9] (this device's slice of f32 [4, 9])");
  // Results are whole.
  Tensor w = tensor(WEFT_DTYPE_F32, {2, 3});
  Tensor slice = tensor(WEFT_DTYPE_F32, {2, 3});
  EXPECT_EQ(run(module, "regather", comm.get(), {w.get()}, {slice.get()}),
            "function 'regather': result 'whole' (result 0): expected f32 "
            "[4, 9], found f32 [2, 3]");
  // An index out of bounds is named at its place in the whole input: this
  // device holds columns 4-7 of ids.
  Tensor ids = tensor(WEFT_DTYPE_I32, {1, 4});
  const int32_t id[] = {3, 0, 9, 1};
  std::memcpy(weft_tensor_data(ids.get()), id, sizeof(id));
  Tensor coords = tensor(WEFT_DTYPE_I64, {6, 2});
  Tensor idsWhole = tensor(WEFT_DTYPE_I32, {1, 8});
  EXPECT_EQ(run(module, "where", comm.get(), {ids.get()},
                {coords.get(), idsWhole.get()}),
            "function 'where': input 'ids' element [0, 6] = 9 is outside "
            "[0, 8)");
  EXPECT_TRUE(fake->splits.empty()); // Nothing ran.
}

TEST_F(FakeMeshTest, BackEndFailuresComeBackNamingTheFunction) {
  fake->groupSizes = {6};
  Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor sum = tensor(WEFT_DTYPE_F32, {2, 3});
  ASSERT_EQ(run(module, "allsum", comm.get(), {x.get()}, {sum.get()}), "");
  // Six devices' x + 1000 g, g = 0..5.
  EXPECT_EQ(values(sum),
            (std::vector<double>{15006, 15012, 15018, 15024, 15030, 15036}));
  fake->failNext = true;
  EXPECT_EQ(run(module, "allsum", comm.get(), {x.get()}, {sum.get()}),
            "function 'allsum': all_reduce over mesh axes [0, 1] (ranks {0, 1, "
            "2, 3, 4, 5} of mesh [2, 3]): MPI_Iallreduce failed: injected");
  // Released with the failure: the back end is deliberately not torn down.
  fake = nullptr;
}

} // namespace
