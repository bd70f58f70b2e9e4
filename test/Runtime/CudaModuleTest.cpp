//===- CudaModuleTest.cpp - cuda modules over the fake driver -------------===//
//
// weft_module_invoke_on_device against libweft_fake_cuda.so
// (FakeCudaDriver.h): the CUDA test module of TestHostLib.c, whose host
// code allocates a temporary and launches the fake driver's built-in
// kernels through the device table. Results on fresh random data, the
// device time from the fake's clock, every buffer and temporary freed, the
// cubin loaded when the chip is the device's and the PTX otherwise (once
// per module and device), failures of the driver and misuses of the table
// as the call's status, wrong targets refused both ways, sections missing
// at open, and meshes needing the NCCL back end. Nothing here runs on a
// real GPU.
//
//===----------------------------------------------------------------------===//

#include "Communicator.h"
#include "FakeCollectiveBackend.h"
#include "FakeCudaDriver.h"
#include "RuntimeTestSupport.h"
#include "weft/collectives.h"
#include "weft/cuda.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <random>
#include <thread>
#include <vector>

using namespace weft::test;
using testing::HasSubstr;
using testing::MatchesRegex;

namespace {

struct TensorDeleter {
  void operator()(weft_tensor_t *t) const { weft_tensor_free(t); }
};
using Tensor = std::unique_ptr<weft_tensor_t, TensorDeleter>;

/// An f32 tensor of `shape` holding `values`.
Tensor floats(std::vector<int64_t> shape, const std::vector<float> &values) {
  weft_tensor_t *t = nullptr;
  EXPECT_EQ(takeMessage(weft_tensor_create(WEFT_DTYPE_F32,
                                           static_cast<int64_t>(shape.size()),
                                           shape.data(), &t)),
            "");
  EXPECT_EQ(weft_tensor_num_bytes(t), values.size() * sizeof(float));
  std::memcpy(weft_tensor_data(t), values.data(), weft_tensor_num_bytes(t));
  return Tensor(t);
}

std::vector<float> valuesOf(const Tensor &t) {
  const float *data = static_cast<const float *>(weft_tensor_data(t.get()));
  return std::vector<float>(data, data + weft_tensor_num_elements(t.get()));
}

/// Fresh random floats; the seed is traced by the caller.
std::vector<float> randomFloats(size_t n, std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  std::vector<float> values(n);
  for (float &v : values)
    v = dist(rng);
  return values;
}

/// Inputs of scale_add and the result it must give, computed as the fake
/// kernels do (s * x rounded to f32, then + b).
struct ScaleAddCase {
  explicit ScaleAddCase(uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<float> xs = randomFloats(6, rng), bs = randomFloats(6, rng);
    float s = randomFloats(1, rng)[0];
    for (int i = 0; i < 6; ++i) {
      float scaled = s * xs[i];
      expected.push_back(scaled + bs[i]);
    }
    x = floats({2, 3}, xs);
    scale = floats({}, {s});
    b = floats({2, 3}, bs);
    // Never zeros: a result left unwritten must not pass.
    y = floats({2, 3}, std::vector<float>(6, -7.0f));
  }
  std::vector<weft_tensor_t *> args() const {
    return {x.get(), scale.get(), b.get()};
  }
  Tensor x, scale, b, y;
  std::vector<float> expected;
};

class CudaModuleTest : public testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(fakeDriver.open(WEFT_FAKE_CUDA_DRIVER)) << dlerror();
    ASSERT_EQ(takeMessage(weft_cuda_device_open(0, &device)), "");
    module = open(testCudaManifest());
  }

  void TearDown() override {
    fakeDriver.failNext(nullptr, 0);
    for (weft_module_t *m : modules)
      weft_module_close(m);
    weft_cuda_device_close(device);
    // Every buffer, temporary, stream, event and image of the calls was
    // released in the driver.
    EXPECT_EQ(fakeDriver.liveObjects(), 0);
    fakeDriver.close();
  }

  /// Opens the CUDA test module of `manifest`; closed by TearDown.
  weft_module_t *open(const std::string &manifest) {
    std::string path = dir.file("m" + std::to_string(modules.size()) + ".weft");
    writeTestCudaArtifact(path, manifest);
    weft_module_t *m = nullptr;
    EXPECT_EQ(takeMessage(weft_module_open(path.c_str(), &m)), "");
    if (m)
      modules.push_back(m);
    return m;
  }

  static size_t function(weft_module_t *m, const char *name) {
    size_t fn = 0;
    EXPECT_EQ(takeMessage(weft_module_lookup(m, name, &fn)), "");
    return fn;
  }

  /// invoke_on_device of `name` on `device`; its message.
  std::string run(weft_module_t *m, const char *name,
                  std::vector<weft_tensor_t *> args,
                  std::vector<weft_tensor_t *> results,
                  double *deviceMs = nullptr,
                  weft_communicator_t *communicator = nullptr) {
    return takeMessage(weft_module_invoke_on_device(
        m, function(m, name), device, communicator, args.data(), args.size(),
        results.data(), results.size(), deviceMs));
  }

  std::string runScaleAdd(weft_module_t *m, ScaleAddCase &c,
                          double *deviceMs = nullptr) {
    return run(m, "scale_add", c.args(), {c.y.get()}, deviceMs);
  }

  ScopedEnv driver{"WEFT_CUDA_DRIVER", WEFT_FAKE_CUDA_DRIVER};
  ScopedEnv devices{"WEFT_FAKE_CUDA_DEVICE_COUNT", nullptr};
  ScratchDirectory dir;
  WeftFakeCudaHooks fakeDriver;
  weft_cuda_device_t *device = nullptr;
  std::vector<weft_module_t *> modules;
  weft_module_t *module = nullptr; // The sm_90 module.
};

/// Failure codes the tests inject, as cuda.h numbers them.
constexpr int kInvalidValue = 1;
constexpr int kOutOfMemory = 2;
constexpr int kInvalidImage = 200;
constexpr int kLaunchFailed = 719;

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

TEST_F(CudaModuleTest, ScaleAddMatchesTheHostOnFreshData) {
  for (int round = 0; round < 3; ++round) {
    uint32_t seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    ScaleAddCase c(seed);
    std::vector<float> x = valuesOf(c.x), b = valuesOf(c.b);
    double ms = -1;
    ASSERT_EQ(runScaleAdd(module, c, &ms), "");
    EXPECT_EQ(valuesOf(c.y), c.expected);
    // The fake's clock advances 1 ms per launch: the two kernels, no copy.
    EXPECT_EQ(ms, 2.0);
    EXPECT_EQ(valuesOf(c.x), x);
    EXPECT_EQ(valuesOf(c.b), b);
  }
}

TEST_F(CudaModuleTest, EveryBufferAndTemporaryIsFreedAfterEachCall) {
  const int64_t before = fakeDriver.liveObjects(); // The device's context.
  ScaleAddCase c(1);
  ASSERT_EQ(runScaleAdd(module, c), "");
  // Only the kernels stay loaded, in the module.
  EXPECT_EQ(fakeDriver.liveObjects(), before + 1);
  ASSERT_EQ(runScaleAdd(module, c, nullptr), "");
  EXPECT_EQ(fakeDriver.liveObjects(), before + 1);
  // A temporary the host code never deallocates is freed too.
  Tensor x = floats({2}, {1, 2}), y = floats({2}, {-7, -7});
  EXPECT_THAT(run(module, "bad_free", {x.get()}, {y.get()}),
              HasSubstr("deallocate"));
  EXPECT_EQ(fakeDriver.liveObjects(), before + 1);
}

TEST_F(CudaModuleTest, CubinWhenTheChipIsTheDevices) {
  EXPECT_EQ(weft_module_device_image(module, device), nullptr);
  const int64_t cubins = fakeDriver.imagesLoaded(0), ptx = fakeDriver.imagesLoaded(1);
  ScaleAddCase c(2);
  ASSERT_EQ(runScaleAdd(module, c), "");
  EXPECT_EQ(valuesOf(c.y), c.expected);
  EXPECT_STREQ(weft_module_device_image(module, device), "cubin");
  EXPECT_EQ(fakeDriver.imagesLoaded(0), cubins + 1);
  EXPECT_EQ(fakeDriver.imagesLoaded(1), ptx);
  // Loaded once per module and device.
  ASSERT_EQ(runScaleAdd(module, c), "");
  EXPECT_EQ(fakeDriver.imagesLoaded(0), cubins + 1);
}

TEST_F(CudaModuleTest, PtxWhenTheChipIsAnother) {
  weft_module_t *sm80 = open(testCudaManifest("sm_80"));
  ASSERT_NE(sm80, nullptr);
  const int64_t cubins = fakeDriver.imagesLoaded(0), ptx = fakeDriver.imagesLoaded(1);
  ScaleAddCase c(3);
  ASSERT_EQ(runScaleAdd(sm80, c), "");
  EXPECT_EQ(valuesOf(c.y), c.expected);
  EXPECT_STREQ(weft_module_device_image(sm80, device), "ptx");
  EXPECT_EQ(fakeDriver.imagesLoaded(0), cubins);
  EXPECT_EQ(fakeDriver.imagesLoaded(1), ptx + 1);
  // An arch-specific chip (sm_90a) is still the device's own.
  weft_module_t *sm90a = open(testCudaManifest("sm_90a"));
  ASSERT_EQ(runScaleAdd(sm90a, c), "");
  EXPECT_STREQ(weft_module_device_image(sm90a, device), "cubin");
}

TEST_F(CudaModuleTest, ConcurrentFirstCallsLoadOnce) {
  const int64_t cubins = fakeDriver.imagesLoaded(0);
  std::vector<std::thread> threads;
  std::vector<std::string> messages(4);
  std::vector<std::unique_ptr<ScaleAddCase>> cases;
  for (int t = 0; t < 4; ++t)
    cases.push_back(std::make_unique<ScaleAddCase>(10 + t));
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10 && messages[t].empty(); ++i)
        messages[t] = runScaleAdd(module, *cases[t]);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(messages[t], "");
    EXPECT_EQ(valuesOf(cases[t]->y), cases[t]->expected);
  }
  EXPECT_EQ(fakeDriver.imagesLoaded(0), cubins + 1);
}

//===----------------------------------------------------------------------===//
// Failures
//===----------------------------------------------------------------------===//

TEST_F(CudaModuleTest, LaunchFailureIsTheCallsStatus) {
  ScaleAddCase c(4);
  ASSERT_EQ(runScaleAdd(module, c), ""); // Loads the kernels.
  const int64_t before = fakeDriver.liveObjects();
  fakeDriver.failNext("cuLaunchKernel", kInvalidValue);
  EXPECT_EQ(runScaleAdd(module, c),
            "function 'scale_add': cuLaunchKernel ('weft_test_scale', grid "
            "[2, 1, 1], block [4, 1, 1], 0 shared bytes): "
            "CUDA_ERROR_INVALID_VALUE (invalid argument)");
  EXPECT_EQ(fakeDriver.liveObjects(), before);
}

TEST_F(CudaModuleTest, DriverFailuresFailTheCallAndFreeEverything) {
  ScaleAddCase c(5);
  ASSERT_EQ(runScaleAdd(module, c), "");
  const int64_t before = fakeDriver.liveObjects();
  struct Case {
    const char *entryPoint;
    int result;
    const char *message;
  } cases[] = {
      {"cuMemAlloc_v2", kOutOfMemory,
       "function 'scale_add': cuMemAlloc (24 bytes on CUDA device 0): "
       "CUDA_ERROR_OUT_OF_MEMORY (out of memory)"},
      {"cuMemcpyHtoDAsync_v2", kInvalidValue,
       "function 'scale_add': cuMemcpyHtoDAsync (24 bytes): "
       "CUDA_ERROR_INVALID_VALUE (invalid argument)"},
      {"cuStreamSynchronize", kLaunchFailed,
       "function 'scale_add': cuStreamSynchronize: CUDA_ERROR_LAUNCH_FAILED "
       "(unspecified launch failure)"},
      {"cuEventRecord", kInvalidValue,
       "function 'scale_add': cuEventRecord: CUDA_ERROR_INVALID_VALUE "
       "(invalid argument)"},
  };
  for (const Case &k : cases) {
    SCOPED_TRACE(k.entryPoint);
    ScaleAddCase fresh(6);
    double ms = -1;
    fakeDriver.failNext(k.entryPoint, k.result);
    EXPECT_EQ(runScaleAdd(module, fresh, &ms), k.message);
    // Out-parameters are written only on success; the results are not
    // copied back.
    EXPECT_EQ(ms, -1);
    EXPECT_EQ(valuesOf(fresh.y), std::vector<float>(6, -7.0f));
    EXPECT_EQ(fakeDriver.liveObjects(), before);
  }
}

TEST_F(CudaModuleTest, DeviceTableMisuseNamesWhatWasWrong) {
  Tensor x = floats({2}, {1, 2}), y = floats({2}, {-7, -7});
  EXPECT_EQ(run(module, "bad_kernel", {x.get()}, {y.get()}),
            "function 'bad_kernel': launch: kernel 2 is outside the 2 "
            "kernels of the manifest's device");
  EXPECT_EQ(run(module, "bad_grid", {x.get()}, {y.get()}),
            "function 'bad_grid': launch of kernel 0 ('weft_test_scale'): "
            "grid [1, 4294967296, 1] and block [4, 1, 1] must be sizes in "
            "[1, 4294967295]");
  EXPECT_THAT(run(module, "bad_free", {x.get()}, {y.get()}),
              MatchesRegex("function 'bad_free': deallocate: 0x[0-9a-f]+ is "
                           "not a buffer that allocate returned in this "
                           "call, or was deallocated already"));
  // The launch after each misuse did not run, and nothing was copied back.
  EXPECT_EQ(valuesOf(y), (std::vector<float>{-7, -7}));
}

TEST_F(CudaModuleTest, ImageLoadFailureNamesTheImageAndIsRetried) {
  ScaleAddCase c(7);
  fakeDriver.failNext("cuModuleLoadDataEx", kInvalidImage);
  EXPECT_EQ(runScaleAdd(module, c),
            "function 'scale_add': loading the cubin for sm_90 on CUDA device "
            "0 (sm_90): cuModuleLoadDataEx (cubin): CUDA_ERROR_INVALID_IMAGE "
            "(device kernel image is invalid)");
  EXPECT_EQ(weft_module_device_image(module, device), nullptr);
  ASSERT_EQ(runScaleAdd(module, c), "");
  EXPECT_EQ(valuesOf(c.y), c.expected);

  weft_module_t *sm80 = open(testCudaManifest("sm_80"));
  fakeDriver.failNext("cuModuleLoadDataEx", kInvalidImage);
  EXPECT_THAT(runScaleAdd(sm80, c),
              HasSubstr("function 'scale_add': loading the PTX for sm_80, "
                        "JIT-compiled for CUDA device 0 (sm_90): "
                        "cuModuleLoadDataEx (PTX): "));
}

TEST_F(CudaModuleTest, CallsAreCheckedBeforeAnythingLoads) {
  ScaleAddCase c(8);
  Tensor wrong = floats({3, 2}, std::vector<float>(6, 1));
  EXPECT_EQ(run(module, "scale_add", {c.x.get(), c.scale.get(), wrong.get()},
                {c.y.get()}),
            "function 'scale_add': input 'b' (argument 2): expected f32 [2, "
            "3], found f32 [3, 2]");
  EXPECT_EQ(run(module, "scale_add", c.args(), {c.x.get()}),
            "function 'scale_add': result 'y' (result 0): the same tensor is "
            "passed as input 'x' (argument 0)");
  EXPECT_EQ(weft_module_device_image(module, device), nullptr);
  EXPECT_EQ(takeMessage(weft_module_invoke_on_device(
                module, 9, device, nullptr, nullptr, 0, nullptr, 0, nullptr)),
            "artifact '" + dir.file("m0.weft") +
                "': function index 9 is out of range (it has 5 functions)");
  EXPECT_EQ(takeMessage(weft_module_invoke_on_device(
                module, 0, nullptr, nullptr, nullptr, 0, nullptr, 0, nullptr)),
            "weft_module_invoke_on_device: 'device' is null");
}

TEST_F(CudaModuleTest, WrongTargetsAreRefusedBothWays) {
  ScaleAddCase c(9);
  std::vector<weft_tensor_t *> args = c.args(), results = {c.y.get()};
  EXPECT_EQ(takeMessage(weft_module_invoke(
                module, function(module, "scale_add"), args.data(), args.size(),
                results.data(), results.size())),
            "function 'scale_add' was compiled for target 'cuda'; run it on "
            "a CUDA device (weft_module_invoke_on_device; weft-run "
            "--device=cuda)");

  writeTestArtifact(dir.file("cpu.weft"));
  weft_module_t *cpu = nullptr;
  ASSERT_EQ(takeMessage(weft_module_open(dir.file("cpu.weft").c_str(), &cpu)),
            "");
  modules.push_back(cpu);
  Tensor a = floats({2, 3}, std::vector<float>(6, 1)),
         sum = floats({2, 3}, std::vector<float>(6, 0));
  EXPECT_EQ(run(cpu, "add", {a.get(), a.get()}, {sum.get()}),
            "function 'add' was compiled for target 'cpu'; call "
            "weft_module_invoke");
  EXPECT_EQ(weft_module_device_image(cpu, device), nullptr);
}

TEST_F(CudaModuleTest, MeshesNeedTheNcclBackEnd) {
  // No plugin directory: the NCCL back end cannot load here.
  ScopedEnv plugins("WEFT_COLLECTIVES_PLUGIN_DIR", "/nonexistent");
  const std::string oneDevice =
      R"("mesh": {"name": "mesh", "shape": [1], "axes": ["x"]})";
  std::string manifest = testCudaManifest();
  weft_module_t *meshed =
      open(manifest.replace(manifest.find("\"mesh\": null"), 12, oneDevice));
  ASSERT_NE(meshed, nullptr);
  ScaleAddCase c(10);

  weft_communicator_options_t options;
  weft_communicator_options_initialize(&options);
  options.backend = WEFT_COLLECTIVE_BACKEND_SINGLE;
  const int64_t shape[] = {1};
  options.mesh_rank = 1;
  options.mesh_shape = shape;
  weft_communicator_t *single = nullptr;
  ASSERT_EQ(takeMessage(weft_communicator_create(&options, &single)), "");
  EXPECT_EQ(run(meshed, "scale_add", c.args(), {c.y.get()}, nullptr, single),
            "function 'scale_add': the communicator's single back end takes "
            "host buffers, but target 'cuda' passes device buffers: use the "
            "nccl back end");
  weft_communicator_release(single);

  // Without a communicator, a one-device mesh gets an NCCL one of its own.
  EXPECT_THAT(runScaleAdd(meshed, c),
              HasSubstr("function 'scale_add': NCCL back end not available"));

  manifest = testCudaManifest();
  weft_module_t *twoDevices = open(manifest.replace(
      manifest.find("\"mesh\": null"), 12,
      R"("mesh": {"name": "mesh", "shape": [2], "axes": ["x"]})"));
  EXPECT_EQ(runScaleAdd(twoDevices, c),
            "function 'scale_add' was compiled for a mesh of 2 devices; run "
            "it on a communicator of that mesh "
            "(weft_module_invoke_on_device; weft-run --device=cuda under "
            "mpirun -np 2)");
  EXPECT_EQ(valuesOf(c.y), std::vector<float>(6, -7.0f));
}

TEST_F(CudaModuleTest, CollectivesWaitForTheKernelsBeforeThem) {
  std::string manifest = testCudaManifest();
  weft_module_t *meshed = open(manifest.replace(
      manifest.find("\"mesh\": null"), 12,
      R"("mesh": {"name": "mesh", "shape": [2], "axes": ["x"]})"));
  ASSERT_NE(meshed, nullptr);
  // Rank 1 of 2 over the fake back end, posing as NCCL (host memory is
  // the fake driver's device memory): the all_reduce of y over the two
  // devices gives 2 y + 1000.
  auto backend = std::make_unique<FakeBackend>(1, 2);
  FakeBackend *fake = backend.get();
  fake->groupSizes = {2};
  weft_communicator_t *communicator = nullptr;
  weft::runtime::Status created =
      weft::runtime::createCommunicator({2}, WEFT_COLLECTIVE_BACKEND_NCCL, 300,
                                        std::move(backend), &communicator);
  ASSERT_TRUE(created.ok()) << created.message();
  uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<float> xs = randomFloats(6, rng), expected;
  for (float x : xs)
    expected.push_back(2 * (x + x) + 1000);
  Tensor x = floats({2, 3}, xs),
         sum = floats({2, 3}, std::vector<float>(6, -7));

  // The first wait for the stream is the collective's, before it runs
  // (and forms its group): when it fails, the collective never starts.
  fakeDriver.failNext("cuStreamSynchronize", kLaunchFailed);
  EXPECT_EQ(run(meshed, "allsum_device", {x.get()}, {sum.get()}, nullptr,
                communicator),
            "function 'allsum_device': cuStreamSynchronize: "
            "CUDA_ERROR_LAUNCH_FAILED (unspecified launch failure)");
  EXPECT_TRUE(fake->splits.empty());

  EXPECT_EQ(run(meshed, "allsum_device", {x.get()}, {sum.get()}, nullptr,
                communicator),
            "");
  EXPECT_EQ(fake->splits.size(), 1u);
  EXPECT_EQ(valuesOf(sum), expected);
  weft_communicator_release(communicator);
}

//===----------------------------------------------------------------------===//
// Tensor maps
//===----------------------------------------------------------------------===//

TEST_F(CudaModuleTest, TensorMapCopyRunsThroughTheDeviceTable) {
  weft_module_t *tma = open(testCudaManifest("sm_90", true));
  ASSERT_NE(tma, nullptr);
  uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<float> xs = randomFloats(32, rng), expected;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      expected.push_back(xs[r * 8 + c]);
  Tensor x = floats({4, 8}, xs), y = floats({4, 4}, std::vector<float>(16, -7));
  const int64_t calls = fakeDriver.tensorMapCalls(nullptr);
  double ms = -1;
  ASSERT_EQ(run(tma, "tensor_map_copy", {x.get()}, {y.get()}, &ms), "");
  EXPECT_EQ(valuesOf(y), expected);
  EXPECT_EQ(ms, 1.0); // one launch; encoding is host work

  // The driver got the host code's map of x's device buffer.
  weft_fake_cuda_tensor_map_call_t call;
  ASSERT_EQ(fakeDriver.tensorMapCalls(&call), calls + 1);
  EXPECT_EQ(call.data_type, 7); // CU_TENSOR_MAP_DATA_TYPE_FLOAT32
  EXPECT_EQ(call.rank, 2u);
  EXPECT_NE(call.address, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(call.address) % 256, 0u);
  EXPECT_THAT(call.dims, testing::ElementsAre(4, 4, 0, 0, 0));
  EXPECT_THAT(call.strides, testing::ElementsAre(32, 0, 0, 0));
  EXPECT_THAT(call.box, testing::ElementsAre(4, 2, 0, 0, 0));
  EXPECT_EQ(call.swizzle, 1); // 32B
  EXPECT_EQ(call.result, 0);
  EXPECT_EQ(fakeDriver.liveObjects(), 2); // the device's context and the image
}

TEST_F(CudaModuleTest, TensorMapMisuseIsTheCallsStatus) {
  weft_module_t *tma = open(testCudaManifest("sm_90", true));
  ASSERT_NE(tma, nullptr);
  Tensor x = floats({2}, {1, 2}), y = floats({2}, {-7, -7});
  const int64_t calls = fakeDriver.tensorMapCalls(nullptr);
  EXPECT_EQ(run(tma, "bad_tensor_map", {x.get()}, {y.get()}),
            "function 'bad_tensor_map': weft_cuda_tensor_map_encode: rank is "
            "6, expected 1 to 5");
  // The refused map returned 1 without reaching the driver; the two valid
  // ones after it, which the host code makes only if it did, returned 0
  // (encoding does not fail fast) but the first failure stays the call's.
  EXPECT_EQ(fakeDriver.tensorMapCalls(nullptr), calls + 2);
  // The launch after them did not run, and nothing was copied back.
  EXPECT_EQ(valuesOf(y), (std::vector<float>{-7, -7}));
}

//===----------------------------------------------------------------------===//
// Opening
//===----------------------------------------------------------------------===//

TEST_F(CudaModuleTest, OpenNeedsTheKernelSections) {
  for (const char *section : {"ptx", "cubin"}) {
    std::string path = dir.file(std::string("no-") + section + ".weft");
    writeTestCudaArtifact(path, testCudaManifest(), section);
    weft_module_t *m = nullptr;
    EXPECT_EQ(takeMessage(weft_module_open(path.c_str(), &m)),
              "artifact '" + path + "': missing the section '" + section +
                  "', which holds the 2 kernels of the manifest's device");
    EXPECT_EQ(m, nullptr);
  }
  std::string manifest = testCudaManifest("gfx90a");
  std::string path = dir.file("amd.weft");
  writeTestCudaArtifact(path, manifest);
  weft_module_t *m = nullptr;
  EXPECT_EQ(takeMessage(weft_module_open(path.c_str(), &m)),
            "artifact '" + path +
                "': manifest: device.chip: expected sm_<compute capability> "
                "(e.g. sm_90), found 'gfx90a'");
  EXPECT_STREQ(weft_module_target(module), "cuda");
}

} // namespace
