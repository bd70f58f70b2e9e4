//===- CollectivesTest.cpp - Communicators without a second process -------===//
//
// The single-rank back end; every argument check of the C API; back-end
// choice, timeouts and plugin loading failures; the function table; and the
// communicator's layouts (gather interleave, scatter and all-to-all packing,
// axis permutations) over a fake back end that plays rank r of a larger
// mesh in process, each peer's data derived from this rank's. The real
// multi-process runs are weft-collectives-test under mpirun.
//
//===----------------------------------------------------------------------===//

#include "weft/collectives.h"
#include "Communicator.h"
#include "FakeCollectiveBackend.h"
#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>

using namespace weft::test;
using testing::HasSubstr;
using testing::StartsWith;

extern "C" int weftCollectivesHeaderCompilesAsC(void);

namespace {

/// Clears what would make AUTO pick MPI or override the choice.
struct CleanEnvironment {
  ScopedEnv ompi{"OMPI_COMM_WORLD_SIZE", nullptr};
  ScopedEnv pmix{"PMIX_RANK", nullptr};
  ScopedEnv pmiRank{"PMI_RANK", nullptr};
  ScopedEnv pmiSize{"PMI_SIZE", nullptr};
  ScopedEnv backend{"WEFT_COLLECTIVE_BACKEND", nullptr};
  ScopedEnv timeout{"WEFT_COLLECTIVE_TIMEOUT_S", nullptr};
};

struct CommunicatorDeleter {
  void operator()(weft_communicator_t *c) const {
    weft_communicator_release(c);
  }
};
using CommunicatorPtr =
    std::unique_ptr<weft_communicator_t, CommunicatorDeleter>;

weft_communicator_options_t meshOptions(const std::vector<int64_t> &shape) {
  weft_communicator_options_t options;
  weft_communicator_options_initialize(&options);
  options.mesh_rank = static_cast<int64_t>(shape.size());
  options.mesh_shape = shape.data();
  return options;
}

/// The message of creating a communicator over `shape` with `backend`, or
/// "" on success.
std::string createMessage(const std::vector<int64_t> &shape,
                          weft_collective_backend_t backend,
                          double timeout = 0) {
  weft_communicator_options_t options = meshOptions(shape);
  options.backend = backend;
  options.timeout_s = timeout;
  weft_communicator_t *comm = nullptr;
  std::string message = takeMessage(weft_communicator_create(&options, &comm));
  weft_communicator_release(comm);
  return message;
}

std::vector<float> randomFloats(size_t count, uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> values(-1, 1);
  std::vector<float> out(count);
  for (float &v : out)
    v = values(random);
  return out;
}

class CollectivesTest : public testing::Test {
protected:
  void SetUp() override {
    weft_communicator_options_t options = meshOptions(mesh);
    options.backend = WEFT_COLLECTIVE_BACKEND_SINGLE;
    weft_communicator_t *c = nullptr;
    ASSERT_EQ(takeMessage(weft_communicator_create(&options, &c)), "");
    comm.reset(c);
  }

  CleanEnvironment environment;
  std::vector<int64_t> mesh = {1, 1};
  CommunicatorPtr comm;
  const int64_t axis0[1] = {0};
  const int64_t axes10[2] = {1, 0};
};

//===----------------------------------------------------------------------===//
// The single-rank back end
//===----------------------------------------------------------------------===//

TEST_F(CollectivesTest, SingleRankDescribesItself) {
  EXPECT_EQ(weft_communicator_backend(comm.get()),
            WEFT_COLLECTIVE_BACKEND_SINGLE);
  EXPECT_EQ(weft_communicator_rank(comm.get()), 0);
  EXPECT_EQ(weft_communicator_size(comm.get()), 1);
  ASSERT_EQ(weft_communicator_mesh_rank(comm.get()), 2);
  EXPECT_EQ(weft_communicator_mesh_shape(comm.get())[1], 1);
  EXPECT_EQ(weft_communicator_coordinates(comm.get())[0], 0);
  EXPECT_EQ(weft_communicator_timeout(comm.get()), 300);
  weft_communicator_retain(comm.get());
  weft_communicator_release(comm.get()); // Still one reference left.
  EXPECT_EQ(weft_communicator_size(comm.get()), 1);
}

TEST_F(CollectivesTest, SingleRankCollectivesCopy) {
  std::vector<float> send = randomFloats(24, 1), recv(24, 7);
  const int64_t shape[3] = {2, 3, 4};
  ASSERT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axes10, 2, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 24,
                send.data(), recv.data())),
            "");
  EXPECT_EQ(recv, send);
  std::fill(recv.begin(), recv.end(), 7);
  ASSERT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), axis0, 1, WEFT_DTYPE_F32, 3, shape, 1, send.data(),
                recv.data())),
            "");
  EXPECT_EQ(recv, send);
  std::fill(recv.begin(), recv.end(), 7);
  ASSERT_EQ(takeMessage(weft_communicator_reduce_scatter(
                comm.get(), axes10, 2, WEFT_REDUCTION_MAX, WEFT_DTYPE_F32, 3,
                shape, 2, send.data(), recv.data())),
            "");
  EXPECT_EQ(recv, send);
  std::fill(recv.begin(), recv.end(), 7);
  ASSERT_EQ(takeMessage(weft_communicator_all_to_all(
                comm.get(), nullptr, 0, WEFT_DTYPE_F32, 3, shape, 0, 2,
                send.data(), recv.data())),
            "");
  EXPECT_EQ(recv, send);
  std::fill(recv.begin(), recv.end(), 7);
  const int64_t root[1] = {0};
  ASSERT_EQ(takeMessage(weft_communicator_broadcast(comm.get(), axis0, 1, root,
                                                    WEFT_DTYPE_F32, 24,
                                                    send.data(), recv.data())),
            "");
  EXPECT_EQ(recv, send);
}

TEST_F(CollectivesTest, SingleRankInPlaceAllReduceKeepsTheData) {
  std::vector<float> data = randomFloats(16, 2), before = data;
  ASSERT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axis0, 1, WEFT_REDUCTION_PROD, WEFT_DTYPE_F32, 16,
                data.data(), data.data())),
            "");
  EXPECT_EQ(data, before);
}

TEST_F(CollectivesTest, SingleRankHasNoPeer) {
  float x = 1;
  const int64_t destination[1] = {0};
  EXPECT_EQ(takeMessage(weft_communicator_send(
                comm.get(), axis0, 1, destination, WEFT_DTYPE_F32, 1, &x)),
            "send: destination [0] is this device (rank 0)");
  EXPECT_EQ(takeMessage(weft_communicator_recv(comm.get(), nullptr, 0, nullptr,
                                               WEFT_DTYPE_F32, 1, &x)),
            "recv: source [] is this device (rank 0)");
}

TEST_F(CollectivesTest, EmptyBuffersNeedNoPointers) {
  const int64_t shape[2] = {0, 3};
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axis0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F16, 0,
                nullptr, nullptr)),
            "");
  EXPECT_EQ(takeMessage(weft_communicator_all_gather(comm.get(), axis0, 1,
                                                     WEFT_DTYPE_BF16, 2, shape,
                                                     1, nullptr, nullptr)),
            "");
}

TEST_F(CollectivesTest, AbortPrintsTheRankAndExits) {
  EXPECT_EXIT(
      weft_communicator_abort(
          comm.get(), weft::runtime::error("all_reduce: boom").release()),
      testing::ExitedWithCode(1), "weft: rank 0 of 1: all_reduce: boom");
}

//===----------------------------------------------------------------------===//
// Argument checks
//===----------------------------------------------------------------------===//

TEST_F(CollectivesTest, NullPointersAreNamed) {
  float x = 0;
  const int64_t shape[1] = {1};
  EXPECT_EQ(
      takeMessage(weft_communicator_all_reduce(
          nullptr, axis0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 1, &x, &x)),
      "weft_communicator_all_reduce: 'communicator' is null");
  EXPECT_EQ(takeMessage(weft_communicator_all_gather(
                nullptr, axis0, 1, WEFT_DTYPE_F32, 1, shape, 0, &x, &x)),
            "weft_communicator_all_gather: 'communicator' is null");
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axis0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 4,
                nullptr, &x)),
            "all_reduce: 'send' is null but holds 16 bytes");
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), nullptr, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 1,
                &x, &x)),
            "all_reduce: 'mesh_axes' is null");
  EXPECT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), axis0, 1, WEFT_DTYPE_F32, 1, nullptr, 0, &x, &x)),
            "all_gather: shape of rank 1 is null");
  EXPECT_EQ(takeMessage(weft_communicator_broadcast(
                comm.get(), axis0, 1, nullptr, WEFT_DTYPE_F32, 1, &x, &x)),
            "broadcast: 'root' is null");
  weft_communicator_t *out = nullptr;
  EXPECT_EQ(takeMessage(weft_communicator_create(nullptr, &out)),
            "weft_communicator_create: 'options' is null");
  weft_collective_table_t table;
  EXPECT_EQ(takeMessage(weft_collective_table_initialize(nullptr, &table)),
            "weft_collective_table_initialize: 'communicator' is null");
  // Releasing and retaining NULL are no-ops.
  weft_communicator_retain(nullptr);
  weft_communicator_release(nullptr);
}

TEST_F(CollectivesTest, BadAxesAreNamed) {
  float x = 0;
  const int64_t axis2[1] = {2};
  const int64_t twice[2] = {1, 1};
  EXPECT_EQ(
      takeMessage(weft_communicator_all_reduce(
          comm.get(), axis2, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 1, &x, &x)),
      "all_reduce: mesh axis 2 is outside [0, 2) for mesh [1, 1]");
  EXPECT_EQ(
      takeMessage(weft_communicator_all_reduce(
          comm.get(), twice, 2, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 1, &x, &x)),
      "all_reduce: mesh axis 1 is listed twice in mesh_axes [1, 1]");
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axis0, -1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 1,
                &x, &x)),
            "all_reduce: num_mesh_axes -1 is outside [0, 2] for mesh [1, 1]");
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axes10, 3, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 1,
                &x, &x)),
            "all_reduce: num_mesh_axes 3 is outside [0, 2] for mesh [1, 1]");
  const int64_t root[1] = {1};
  EXPECT_EQ(takeMessage(weft_communicator_broadcast(comm.get(), axis0, 1, root,
                                                    WEFT_DTYPE_F32, 1, &x, &x)),
            "broadcast: root coordinate 1 along mesh axis 0 is outside [0, 1)");
}

TEST_F(CollectivesTest, BadSizesAreNamed) {
  std::vector<float> send(24), recv(24);
  const int64_t shape[3] = {2, 3, 4};
  const int64_t negative[2] = {2, -3};
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axis0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, -1,
                send.data(), recv.data())),
            "all_reduce: count -1 is negative");
  EXPECT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), axis0, 1, WEFT_DTYPE_F32, 3, shape, 3, send.data(),
                recv.data())),
            "all_gather: gather_dim 3 is outside [0, 3) for shape [2, 3, 4]");
  EXPECT_EQ(takeMessage(weft_communicator_reduce_scatter(
                comm.get(), axis0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 3,
                shape, -1, send.data(), recv.data())),
            "reduce_scatter: scatter_dim -1 is outside [0, 3) for shape "
            "[2, 3, 4]");
  EXPECT_EQ(takeMessage(weft_communicator_all_to_all(
                comm.get(), axis0, 1, WEFT_DTYPE_F32, 3, shape, 0, 5,
                send.data(), recv.data())),
            "all_to_all: concat_dim 5 is outside [0, 3) for shape [2, 3, 4]");
  EXPECT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), axis0, 1, WEFT_DTYPE_F32, 2, negative, 0,
                send.data(), recv.data())),
            "all_gather: shape [2, -3] has negative size -3");
  EXPECT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), axis0, 1, WEFT_DTYPE_F32, 17, shape, 0, send.data(),
                recv.data())),
            "all_gather: rank 17 is outside [0, 16]");
}

TEST_F(CollectivesTest, BadTypesAndOverlapsAreNamed) {
  std::vector<float> buffer(32);
  const int64_t shape[1] = {8};
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), axis0, 1, static_cast<weft_reduction_t>(9),
                WEFT_DTYPE_F32, 1, buffer.data(), buffer.data())),
            "all_reduce: invalid reduction 9: expected sum (0), max (1), min "
            "(2) or prod (3)");
  EXPECT_EQ(
      takeMessage(weft_communicator_all_reduce(
          comm.get(), axis0, 1, WEFT_REDUCTION_SUM,
          static_cast<weft_dtype_t>(42), 1, buffer.data(), buffer.data())),
      "all_reduce: invalid dtype 42: expected f16, bf16, f32, f64, i32 "
      "or i64");
  EXPECT_THAT(
      takeMessage(weft_communicator_all_reduce(
          comm.get(), axis0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 8,
          buffer.data(), buffer.data() + 4)),
      testing::MatchesRegex("all_reduce: 'send' \\[0x[0-9a-f]+, \\+32\\) "
                            "and 'recv' \\[0x[0-9a-f]+, \\+32\\) "
                            "overlap without being the same buffer"));
  EXPECT_THAT(takeMessage(weft_communicator_all_gather(
                  comm.get(), axis0, 1, WEFT_DTYPE_F32, 1, shape, 0,
                  buffer.data(), buffer.data())),
              HasSubstr("overlap"));
}

//===----------------------------------------------------------------------===//
// Creation: meshes, back ends, timeouts, plugins
//===----------------------------------------------------------------------===//

TEST(CollectivesCreateTest, BadMeshesAreNamed) {
  CleanEnvironment environment;
  EXPECT_EQ(createMessage({}, WEFT_COLLECTIVE_BACKEND_SINGLE),
            "mesh_rank 0 is outside [1, 16]: a communicator needs a mesh of "
            "at least one axis");
  EXPECT_EQ(createMessage({2, 0}, WEFT_COLLECTIVE_BACKEND_SINGLE),
            "mesh [2, 0] has size 0 along axis 1: every axis needs at least "
            "one device");
  EXPECT_EQ(createMessage({65536, 65536}, WEFT_COLLECTIVE_BACKEND_SINGLE),
            "mesh [65536, 65536] has more than 2^31 - 1 devices");
  weft_communicator_options_t options = meshOptions({2});
  options.mesh_shape = nullptr;
  weft_communicator_t *comm = nullptr;
  EXPECT_EQ(takeMessage(weft_communicator_create(&options, &comm)),
            "mesh_shape is null");
}

TEST(CollectivesCreateTest, MoreThanOneDeviceNeedsMpirun) {
  CleanEnvironment environment;
  EXPECT_EQ(createMessage({2, 2}, WEFT_COLLECTIVE_BACKEND_SINGLE),
            "mesh [2, 2] has 4 devices but the single-rank back end runs "
            "one: launch with mpirun -np 4 to use the MPI back end");
  // AUTO outside mpirun is the single back end, which says the same.
  EXPECT_THAT(createMessage({2}, WEFT_COLLECTIVE_BACKEND_AUTO),
              HasSubstr("launch with mpirun -np 2"));
}

TEST(CollectivesCreateTest, UnknownBackendsAreNamed) {
  CleanEnvironment environment;
  EXPECT_EQ(createMessage({1}, static_cast<weft_collective_backend_t>(7)),
            "unknown collective back end 7 in the options: expected "
            "WEFT_COLLECTIVE_BACKEND_AUTO (0), _SINGLE (1), _MPI (2) or "
            "_NCCL (3)");
  {
    ScopedEnv bogus("WEFT_COLLECTIVE_BACKEND", "gloo");
    EXPECT_EQ(createMessage({1}, WEFT_COLLECTIVE_BACKEND_AUTO),
              "WEFT_COLLECTIVE_BACKEND: unknown collective back end 'gloo': "
              "expected auto, single, mpi or nccl");
    // An explicit option wins over the environment.
    EXPECT_EQ(createMessage({1}, WEFT_COLLECTIVE_BACKEND_SINGLE), "");
  }
  weft_collective_backend_t backend;
  EXPECT_EQ(takeMessage(weft_collective_backend_parse("nccl", &backend)), "");
  EXPECT_EQ(backend, WEFT_COLLECTIVE_BACKEND_NCCL);
  EXPECT_STREQ(weft_collective_backend_name(WEFT_COLLECTIVE_BACKEND_MPI),
               "mpi");
  EXPECT_STREQ(weft_reduction_name(WEFT_REDUCTION_PROD), "prod");
  EXPECT_STREQ(weft_reduction_name(static_cast<weft_reduction_t>(8)),
               "unknown");
}

TEST(CollectivesCreateTest, TimeoutComesFromOptionsThenEnvironment) {
  CleanEnvironment environment;
  auto timeoutOf = [](double option) {
    std::vector<int64_t> shape = {1};
    weft_communicator_options_t options = meshOptions(shape);
    options.timeout_s = option;
    weft_communicator_t *comm = nullptr;
    EXPECT_EQ(takeMessage(weft_communicator_create(&options, &comm)), "");
    double timeout = weft_communicator_timeout(comm);
    weft_communicator_release(comm);
    return timeout;
  };
  EXPECT_EQ(timeoutOf(0), 300);
  EXPECT_EQ(timeoutOf(7.5), 7.5);
  ScopedEnv env("WEFT_COLLECTIVE_TIMEOUT_S", "2.5");
  EXPECT_EQ(timeoutOf(0), 2.5);
  EXPECT_EQ(timeoutOf(7.5), 7.5);
  EXPECT_EQ(createMessage({1}, WEFT_COLLECTIVE_BACKEND_SINGLE, -1),
            "timeout_s -1 in the options: expected a positive number of "
            "seconds, or 0 for the default");
  ScopedEnv bad("WEFT_COLLECTIVE_TIMEOUT_S", "3 s");
  EXPECT_EQ(createMessage({1}, WEFT_COLLECTIVE_BACKEND_SINGLE),
            "WEFT_COLLECTIVE_TIMEOUT_S: expected a positive number of "
            "seconds, found '3 s'");
}

TEST(CollectivesCreateTest, MissingPluginsSaySo) {
  CleanEnvironment environment;
  ScratchDirectory empty;
  ScopedEnv dir("WEFT_COLLECTIVES_PLUGIN_DIR", empty.path().c_str());
  const std::string missing = ": cannot open shared object file: No such "
                              "file or directory";
  EXPECT_EQ(createMessage({1}, WEFT_COLLECTIVE_BACKEND_MPI),
            "MPI back end not available: libweft_runtime_mpi.so: " +
                empty.file("libweft_runtime_mpi.so") + missing);
  EXPECT_EQ(createMessage({1}, WEFT_COLLECTIVE_BACKEND_NCCL),
            "NCCL back end not available: libweft_runtime_nccl.so: " +
                empty.file("libweft_runtime_nccl.so") + missing);
  // Under mpirun, AUTO means MPI, and a missing plugin is an error rather
  // than N independent single-rank runs.
  ScopedEnv mpirun("OMPI_COMM_WORLD_SIZE", "2");
  EXPECT_THAT(createMessage({2}, WEFT_COLLECTIVE_BACKEND_AUTO),
              StartsWith("MPI back end not available: "
                         "libweft_runtime_mpi.so: "));
  ScopedEnv choice("WEFT_COLLECTIVE_BACKEND", "single");
  EXPECT_THAT(createMessage({1}, WEFT_COLLECTIVE_BACKEND_AUTO), "");
}

TEST(CollectivesCreateTest, ForeignLibrariesAreNotPlugins) {
  CleanEnvironment environment;
  ScratchDirectory dir;
  writeFile(dir.file("libweft_runtime_mpi.so"), readFile(WEFT_TEST_HOSTLIB));
  ScopedEnv env("WEFT_COLLECTIVES_PLUGIN_DIR", dir.path().c_str());
  EXPECT_EQ(
      createMessage({1}, WEFT_COLLECTIVE_BACKEND_MPI),
      "MPI back end not available: " + dir.file("libweft_runtime_mpi.so") +
          " is not a Weft collectives plugin (it lacks "
          "weft_collective_plugin_abi_version or "
          "weft_collective_plugin_create)");
}

//===----------------------------------------------------------------------===//
// The function table
//===----------------------------------------------------------------------===//

TEST_F(CollectivesTest, TableCallsRecordTheFirstFailure) {
  weft_collective_table_t table;
  ASSERT_EQ(takeMessage(weft_collective_table_initialize(comm.get(), &table)),
            "");
  EXPECT_EQ(table.version, WEFT_COLLECTIVE_TABLE_VERSION);
  EXPECT_EQ(table.struct_size, sizeof(table));
  EXPECT_EQ(table.mesh_rank, 2);
  EXPECT_EQ(table.size, 1);
  std::vector<double> send = {1.5, -2}, recv(2);
  EXPECT_EQ(table.all_reduce(table.communicator, axis0, 1, WEFT_REDUCTION_SUM,
                             WEFT_DTYPE_F64, 2, send.data(), recv.data()),
            0);
  EXPECT_EQ(recv, send);
  EXPECT_EQ(weft_collective_table_take_status(comm.get()), nullptr);
  const int64_t shape[1] = {2};
  EXPECT_EQ(table.all_gather(table.communicator, axis0, 1, WEFT_DTYPE_F64, 1,
                             shape, 4, send.data(), recv.data()),
            1);
  EXPECT_EQ(table.send(table.communicator, axis0, 1, axis0, WEFT_DTYPE_F64, 2,
                       send.data()),
            1);
  EXPECT_EQ(takeMessage(weft_collective_table_take_status(comm.get())),
            "all_gather: gather_dim 4 is outside [0, 1) for shape [2]");
  // Enum arguments are plain int32_t in the table, checked as such.
  EXPECT_EQ(table.reduce_scatter(table.communicator, axis0, 1, 7,
                                 WEFT_DTYPE_F64, 1, shape, 0, send.data(),
                                 recv.data()),
            1);
  EXPECT_EQ(takeMessage(weft_collective_table_take_status(comm.get())),
            "reduce_scatter: invalid reduction 7: expected sum (0), max (1), "
            "min (2) or prod (3)");
  EXPECT_EQ(weft_collective_table_take_status(comm.get()), nullptr);
  // Argument errors leave the communicator usable.
  EXPECT_EQ(table.broadcast(table.communicator, axis0, 1, axis0, WEFT_DTYPE_F64,
                            2, send.data(), recv.data()),
            0);
}

TEST(CollectivesHeaderTest, CompilesAsC) {
  EXPECT_EQ(weftCollectivesHeaderCompilesAsC(), 1);
}

//===----------------------------------------------------------------------===//
// Layouts over a fake back end
//===----------------------------------------------------------------------===//

class CollectivesLayoutTest : public testing::Test {
protected:
  /// World rank `rank` of a 2x3 mesh (rank 4 = coordinates [1, 1]).
  void SetUp() override { create(4); }

  void create(int rank) {
    comm.reset(createFakeCommunicator({2, 3}, rank, &fake));
    ASSERT_NE(comm, nullptr);
  }

  /// What the fake's group rank `g` sends for element `value`.
  static float from(float value, int g) { return value + 1000.0f * g; }

  CommunicatorPtr comm;
  FakeBackend *fake = nullptr;
};

TEST_F(CollectivesLayoutTest, GroupsAreFormedOncePerSetOfAxes) {
  fake->groupSizes = {3, 6};
  std::vector<float> x(4, 1), y(4);
  const int64_t a1[1] = {1}, a01[2] = {0, 1}, a10[2] = {1, 0};
  for (int repeat = 0; repeat < 2; ++repeat)
    ASSERT_EQ(takeMessage(weft_communicator_all_reduce(
                  comm.get(), a1, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 4,
                  x.data(), y.data())),
              "");
  ASSERT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), a01, 2, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 4,
                x.data(), y.data())),
            "");
  ASSERT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), a10, 2, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 4,
                x.data(), y.data())),
            "");
  // Rank 4 is [1, 1]: axis 1's group is row 1 (color 1), where it is index
  // 1; the whole mesh is one group (color 0) where it is rank 4.
  EXPECT_EQ(fake->splits, (std::vector<std::pair<int, int>>{{1, 1}, {0, 4}}));
  EXPECT_EQ(y[0], 6 * 1.0f + 1000.0f * 15);
}

TEST_F(CollectivesLayoutTest, AllGatherInterleavesAlongAnyDimension) {
  fake->groupSizes = {3};
  const int64_t a1[1] = {1};
  const int64_t shape[3] = {2, 2, 3};
  std::vector<float> send(12);
  std::iota(send.begin(), send.end(), 0.0f);
  std::vector<float> recv(36);
  ASSERT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), a1, 1, WEFT_DTYPE_F32, 3, shape, 1, send.data(),
                recv.data())),
            "");
  // Result [2, 6, 3]: rows 2g and 2g+1 of each outer block come from g.
  for (int o = 0; o < 2; ++o)
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(recv[(o * 6 + r) * 3 + c],
                  from(send[(o * 2 + r % 2) * 3 + c], r / 2))
            << o << " " << r << " " << c;
}

TEST_F(CollectivesLayoutTest, AxisOrderPermutesTheGroup) {
  fake->groupSizes = {6};
  const int64_t a10[2] = {1, 0};
  const int64_t shape[1] = {1};
  std::vector<float> send = {5}, recv(6);
  ASSERT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), a10, 2, WEFT_DTYPE_F32, 1, shape, 0, send.data(),
                recv.data())),
            "");
  // Listed index i = (c1, c0) row-major over [3, 2]; the group rank is
  // row-major over [2, 3]: c0 * 3 + c1.
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(recv[i], from(5, (i % 2) * 3 + i / 2)) << i;
}

TEST_F(CollectivesLayoutTest, ReduceScatterKeepsThisDevicesSlice) {
  fake->groupSizes = {3};
  const int64_t a1[1] = {1};
  const int64_t shape[2] = {2, 6};
  std::vector<float> send(12), recv(4);
  std::iota(send.begin(), send.end(), 0.0f);
  ASSERT_EQ(takeMessage(weft_communicator_reduce_scatter(
                comm.get(), a1, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 2, shape,
                1, send.data(), recv.data())),
            "");
  // Index 1 of the group keeps columns 2 and 3 of the sum over 3 devices.
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c)
      EXPECT_EQ(recv[r * 2 + c], 3 * send[r * 6 + 2 + c] + 3000.0f);
}

TEST_F(CollectivesLayoutTest, AllToAllMovesTheSplit) {
  fake->groupSizes = {3};
  const int64_t a1[1] = {1};
  const int64_t shape[2] = {2, 6}; // split dim 1, concat dim 0 -> [6, 2]
  std::vector<float> send(12), recv(12);
  std::iota(send.begin(), send.end(), 0.0f);
  ASSERT_EQ(takeMessage(weft_communicator_all_to_all(
                comm.get(), a1, 1, WEFT_DTYPE_F32, 2, shape, 1, 0, send.data(),
                recv.data())),
            "");
  // Rows 2j, 2j+1 come from device j: its columns 2 and 3 (our index 1).
  for (int j = 0; j < 3; ++j)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c)
        EXPECT_EQ(recv[(2 * j + r) * 2 + c], from(send[r * 6 + 2 + c], j));
}

TEST_F(CollectivesLayoutTest, DivisibilityIsChecked) {
  const int64_t a1[1] = {1};
  const int64_t shape[2] = {2, 4};
  std::vector<float> send(8), recv(8);
  EXPECT_EQ(takeMessage(weft_communicator_reduce_scatter(
                comm.get(), a1, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 2, shape,
                1, send.data(), recv.data())),
            "reduce_scatter: scatter_dim 1 of shape [2, 4] has size 4, which "
            "the group size 3 does not divide");
  EXPECT_EQ(takeMessage(weft_communicator_all_to_all(
                comm.get(), a1, 1, WEFT_DTYPE_F32, 2, shape, 0, 1, send.data(),
                recv.data())),
            "all_to_all: split_dim 0 of shape [2, 4] has size 2, which the "
            "group size 3 does not divide");
  EXPECT_TRUE(fake->splits.empty()); // Nothing was sent.
}

TEST_F(CollectivesLayoutTest, PointToPointFindsTheWorldRank) {
  float x = 0;
  const int64_t a0[1] = {0}, up[1] = {0};
  ASSERT_EQ(takeMessage(weft_communicator_send(comm.get(), a0, 1, up,
                                               WEFT_DTYPE_F32, 1, &x)),
            "");
  EXPECT_EQ(fake->lastPeer, 1);      // [0, 1]
  EXPECT_TRUE(fake->splits.empty()); // Point to point forms no group.
}

TEST_F(CollectivesLayoutTest, BackEndFailuresNameTheGroupAndStick) {
  fake->groupSizes = {2};
  fake->failNext = true;
  const int64_t a0[1] = {0};
  std::vector<float> x(4), y(4);
  EXPECT_EQ(takeMessage(weft_communicator_all_reduce(
                comm.get(), a0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 4,
                x.data(), y.data())),
            "all_reduce over mesh axes [0] (ranks {1, 4} of mesh [2, 3]): "
            "MPI_Iallreduce failed: injected");
  EXPECT_EQ(takeMessage(weft_communicator_broadcast(
                comm.get(), a0, 1, a0, WEFT_DTYPE_F32, 4, x.data(), y.data())),
            "broadcast: the communicator failed earlier and cannot be used: "
            "all_reduce over mesh axes [0] (ranks {1, 4} of mesh [2, 3]): "
            "MPI_Iallreduce failed: injected");
  // Released with the failure: the back end is deliberately not torn down.
  fake = nullptr;
}

TEST_F(CollectivesLayoutTest, FailedCollectivesKeepTheirScratch) {
  fake->groupSizes = {3};
  const int64_t a1[1] = {1};
  const int64_t shape[2] = {2, 2};
  std::vector<float> send(4), recv(12);
  // Gathering along dimension 1 goes through scratch memory, freed once
  // the gather is over.
  ASSERT_EQ(takeMessage(weft_communicator_all_gather(
                comm.get(), a1, 1, WEFT_DTYPE_F32, 2, shape, 1, send.data(),
                recv.data())),
            "");
  EXPECT_EQ(fake->allocations, 1);
  EXPECT_EQ(fake->deallocations, 1);
  // After a failure the library may still write into it: it stays.
  fake->failNext = true;
  EXPECT_THAT(takeMessage(weft_communicator_all_gather(
                  comm.get(), a1, 1, WEFT_DTYPE_F32, 2, shape, 1, send.data(),
                  recv.data())),
              HasSubstr("MPI_Iallgather failed: injected"));
  EXPECT_EQ(fake->allocations, 2);
  EXPECT_EQ(fake->deallocations, 1);
  // Released with the failure: the back end is deliberately not torn down.
  fake = nullptr;
}

} // namespace
