//===- CudaTest.cpp - The CUDA device layer over a fake driver ------------===//
//
// weft/cuda.h against libweft_fake_cuda.so (FakeCudaDriver.h), loaded
// through $WEFT_CUDA_DRIVER, so every path runs without a GPU: loading
// failures, devices, memory round trips, streams, events, modules, launches
// of host "kernels", and each driver failure turned into a message naming
// the call and the error. Every test ends with nothing left alive in the
// driver. Nothing here runs on a real GPU.
//
//===----------------------------------------------------------------------===//

#include "weft/cuda.h"
#include "FakeCudaDriver.h"
#include "RuntimeTestSupport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

using namespace weft::test;
using testing::HasSubstr;
using testing::StartsWith;

extern "C" int32_t weftCudaHeaderCountDevices(const char **message);

namespace {

struct DeviceCloser {
  void operator()(weft_cuda_device_t *d) const { weft_cuda_device_close(d); }
};
struct StreamDestroyer {
  void operator()(weft_cuda_stream_t *s) const { weft_cuda_stream_destroy(s); }
};
struct EventDestroyer {
  void operator()(weft_cuda_event_t *e) const { weft_cuda_event_destroy(e); }
};
struct ModuleUnloader {
  void operator()(weft_cuda_module_t *m) const { weft_cuda_module_unload(m); }
};
using Device = std::unique_ptr<weft_cuda_device_t, DeviceCloser>;
using Stream = std::unique_ptr<weft_cuda_stream_t, StreamDestroyer>;
using Event = std::unique_ptr<weft_cuda_event_t, EventDestroyer>;
using Module = std::unique_ptr<weft_cuda_module_t, ModuleUnloader>;

//===----------------------------------------------------------------------===//
// Kernels: host functions the fake driver calls
//===----------------------------------------------------------------------===//

/// Each (block, thread) index of a launch along x, y and z, in order.
void forEachThread(const weft_fake_cuda_launch_t *launch,
                   const std::function<void(uint64_t)> &body) {
  uint64_t perBlock =
      uint64_t(launch->block[0]) * launch->block[1] * launch->block[2];
  uint64_t blocks =
      uint64_t(launch->grid[0]) * launch->grid[1] * launch->grid[2];
  for (uint64_t i = 0; i < blocks * perBlock; ++i)
    body(i);
}

/// add(const float *a, const float *b, float *c, int32_t n): c = a + b.
extern "C" void addKernel(const weft_fake_cuda_launch_t *launch,
                          void **params) {
  auto a = reinterpret_cast<const float *>(*static_cast<uint64_t *>(params[0]));
  auto b = reinterpret_cast<const float *>(*static_cast<uint64_t *>(params[1]));
  auto c = reinterpret_cast<float *>(*static_cast<uint64_t *>(params[2]));
  int32_t n = *static_cast<int32_t *>(params[3]);
  forEachThread(launch, [&](uint64_t i) {
    if (i < uint64_t(n))
      c[i] = a[i] + b[i];
  });
}

/// probe(uint32_t *seen): *seen = the launch's dynamic shared bytes, after
/// writing all of them.
extern "C" void probeKernel(const weft_fake_cuda_launch_t *launch,
                            void **params) {
  if (launch->shared)
    std::memset(launch->shared, 1, launch->shared_bytes);
  **static_cast<uint32_t **>(params[0]) = launch->shared_bytes;
}

/// A fake binary image of `kernels`.
std::string
fakeImage(const std::vector<std::pair<std::string, weft_fake_cuda_kernel_t>>
              &kernels) {
  weft_fake_cuda_image_header_t header = {};
  std::memcpy(header.magic, WEFT_FAKE_CUDA_IMAGE_MAGIC, 8);
  header.num_kernels = uint32_t(kernels.size());
  std::string image(reinterpret_cast<const char *>(&header), sizeof(header));
  for (const auto &[name, kernel] : kernels) {
    weft_fake_cuda_image_kernel_t entry = {};
    std::snprintf(entry.name, sizeof(entry.name), "%s", name.c_str());
    entry.kernel = kernel;
    image.append(reinterpret_cast<const char *>(&entry), sizeof(entry));
  }
  return image;
}

/// Fake PTX declaring `name` at `kernel`.
std::string fakePtx(const std::string &name, weft_fake_cuda_kernel_t kernel) {
  char line[128];
  std::snprintf(line, sizeof(line), ".entry %s %p\n", name.c_str(),
                reinterpret_cast<void *>(kernel));
  return "// fake PTX\n" + std::string(line);
}

/// Fresh random floats, the seed traced so that a failure can be replayed.
std::vector<float> randomFloats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  std::vector<float> values(n);
  for (float &v : values)
    v = dist(rng);
  return values;
}

/// Real kernels for the GPU tests, as PTX that any driver since CUDA 11
/// JITs for any device since compute capability 7.5 (nvcc -ptx
/// -arch=compute_75 with .version lowered to 7.0; ptxas accepts it for
/// sm_75 and sm_90):
///   weft_add(const float *a, const float *b, float *c, int n): c = a + b
///   weft_reverse_shared(const float *in, float *out, int n), one block,
///     n floats of dynamic shared memory: out[i] = in[n - 1 - i]
const char *const kGpuKernelsPtx = R"(.version 7.0
.target sm_75
.address_size 64

.extern .shared .align 16 .b8 s[];

.visible .entry weft_add(
	.param .u64 weft_add_param_0,
	.param .u64 weft_add_param_1,
	.param .u64 weft_add_param_2,
	.param .u32 weft_add_param_3
)
{
	.reg .pred 	%p<2>;
	.reg .f32 	%f<4>;
	.reg .b32 	%r<6>;
	.reg .b64 	%rd<11>;


	ld.param.u64 	%rd1, [weft_add_param_0];
	ld.param.u64 	%rd2, [weft_add_param_1];
	ld.param.u64 	%rd3, [weft_add_param_2];
	ld.param.u32 	%r2, [weft_add_param_3];
	mov.u32 	%r3, %ctaid.x;
	mov.u32 	%r4, %ntid.x;
	mov.u32 	%r5, %tid.x;
	mad.lo.s32 	%r1, %r3, %r4, %r5;
	setp.ge.s32 	%p1, %r1, %r2;
	@%p1 bra 	$L__BB0_2;

	cvta.to.global.u64 	%rd4, %rd1;
	mul.wide.s32 	%rd5, %r1, 4;
	add.s64 	%rd6, %rd4, %rd5;
	cvta.to.global.u64 	%rd7, %rd2;
	add.s64 	%rd8, %rd7, %rd5;
	ld.global.f32 	%f1, [%rd8];
	ld.global.f32 	%f2, [%rd6];
	add.f32 	%f3, %f2, %f1;
	cvta.to.global.u64 	%rd9, %rd3;
	add.s64 	%rd10, %rd9, %rd5;
	st.global.f32 	[%rd10], %f3;

$L__BB0_2:
	ret;

}
.visible .entry weft_reverse_shared(
	.param .u64 weft_reverse_shared_param_0,
	.param .u64 weft_reverse_shared_param_1,
	.param .u32 weft_reverse_shared_param_2
)
{
	.reg .pred 	%p<5>;
	.reg .f32 	%f<3>;
	.reg .b32 	%r<19>;
	.reg .b64 	%rd<9>;


	ld.param.u64 	%rd3, [weft_reverse_shared_param_0];
	ld.param.u64 	%rd4, [weft_reverse_shared_param_1];
	ld.param.u32 	%r8, [weft_reverse_shared_param_2];
	mov.u32 	%r18, %tid.x;
	setp.ge.s32 	%p1, %r18, %r8;
	@%p1 bra 	$L__BB1_3;

	mov.u32 	%r2, %ntid.x;
	cvta.to.global.u64 	%rd1, %rd3;
	mov.u32 	%r10, s;
	mov.u32 	%r17, %r18;

$L__BB1_2:
	mul.wide.s32 	%rd5, %r17, 4;
	add.s64 	%rd6, %rd1, %rd5;
	ld.global.f32 	%f1, [%rd6];
	shl.b32 	%r9, %r17, 2;
	add.s32 	%r11, %r10, %r9;
	st.shared.f32 	[%r11], %f1;
	add.s32 	%r17, %r17, %r2;
	setp.lt.s32 	%p2, %r17, %r8;
	@%p2 bra 	$L__BB1_2;

$L__BB1_3:
	bar.sync 	0;
	@%p1 bra 	$L__BB1_6;

	mov.u32 	%r5, %ntid.x;
	cvta.to.global.u64 	%rd2, %rd4;
	mov.u32 	%r15, s;

$L__BB1_5:
	not.b32 	%r12, %r18;
	add.s32 	%r13, %r12, %r8;
	shl.b32 	%r14, %r13, 2;
	add.s32 	%r16, %r15, %r14;
	ld.shared.f32 	%f2, [%r16];
	mul.wide.s32 	%rd7, %r18, 4;
	add.s64 	%rd8, %rd2, %rd7;
	st.global.f32 	[%rd8], %f2;
	add.s32 	%r18, %r18, %r5;
	setp.lt.s32 	%p4, %r18, %r8;
	@%p4 bra 	$L__BB1_5;

$L__BB1_6:
	ret;

}

)";

/// kGpuKernelsPtx assembled by the toolkit's ptxas for `arch` ("sm_90"):
/// a real cubin. Empty, with the reason in `why`, without a toolkit.
std::string assembleCubin(const std::string &arch, std::string &why) {
  if (!*WEFT_TEST_PTXAS) {
    why = "no ptxas was found at configure time";
    return "";
  }
  ScratchDirectory dir;
  writeFile(dir.file("kernels.ptx"), kGpuKernelsPtx);
  std::string command = std::string(WEFT_TEST_PTXAS) + " -arch=" + arch +
                        " -o " + dir.file("kernels.cubin") + " " +
                        dir.file("kernels.ptx") + " 2>&1";
  if (std::system(command.c_str()) != 0) {
    why = "'" + command + "' failed";
    return "";
  }
  return readFile(dir.file("kernels.cubin"));
}

//===----------------------------------------------------------------------===//
// Fixtures
//===----------------------------------------------------------------------===//

/// Calls through the C API, each expected to succeed.
class CudaFixture : public testing::Test {
protected:
  Device open(int32_t ordinal = 0) {
    weft_cuda_device_t *device = nullptr;
    std::string message = takeMessage(weft_cuda_device_open(ordinal, &device));
    EXPECT_EQ(message, "");
    return Device(device);
  }

  Stream createStream(weft_cuda_device_t *device) {
    weft_cuda_stream_t *stream = nullptr;
    EXPECT_EQ(takeMessage(weft_cuda_stream_create(device, &stream)), "");
    return Stream(stream);
  }

  Event createEvent(weft_cuda_device_t *device) {
    weft_cuda_event_t *event = nullptr;
    EXPECT_EQ(takeMessage(weft_cuda_event_create(device, &event)), "");
    return Event(event);
  }

  Module loadPtx(weft_cuda_device_t *device, const char *ptx) {
    weft_cuda_module_t *module = nullptr;
    EXPECT_EQ(takeMessage(weft_cuda_module_load_ptx(device, ptx, &module)), "");
    return Module(module);
  }

  Module loadImage(weft_cuda_device_t *device, const std::string &image) {
    weft_cuda_module_t *module = nullptr;
    EXPECT_EQ(takeMessage(weft_cuda_module_load_cubin(device, image.data(),
                                                      image.size(), &module)),
              "");
    return Module(module);
  }

  weft_cuda_function_t *function(weft_cuda_module_t *module, const char *name) {
    weft_cuda_function_t *f = nullptr;
    EXPECT_EQ(takeMessage(weft_cuda_module_function(module, name, &f)), "");
    return f;
  }

  uint64_t alloc(weft_cuda_device_t *device, size_t bytes) {
    uint64_t ptr = 0;
    EXPECT_EQ(takeMessage(weft_cuda_alloc(device, bytes, &ptr)), "");
    return ptr;
  }

  void freeBuffer(weft_cuda_device_t *device, uint64_t ptr) {
    EXPECT_EQ(takeMessage(weft_cuda_free(device, ptr)), "");
  }

  /// Launches add over `n` elements at a, b, c on `stream`.
  weft_status_t launchAdd(weft_cuda_function_t *add, weft_cuda_stream_t *stream,
                          uint64_t a, uint64_t b, uint64_t c, int32_t n,
                          uint32_t blockSize = 64) {
    uint32_t grid[3] = {uint32_t(n + blockSize - 1) / blockSize, 1, 1};
    uint32_t block[3] = {blockSize, 1, 1};
    void *params[] = {&a, &b, &c, &n};
    return weft_cuda_launch(add, grid, block, 0, stream, params);
  }
};

/// Over the fake driver, which must hold nothing when a test ends.
class CudaTest : public CudaFixture {
protected:
  void SetUp() override {
    ASSERT_TRUE(fake.open(WEFT_FAKE_CUDA_DRIVER)) << dlerror();
  }

  void TearDown() override {
    fake.failNext(nullptr, 0);
    // Every device, stream, event, module and allocation was released
    // through the runtime, which released it in the driver.
    EXPECT_EQ(fake.liveObjects(), 0);
    fake.close();
  }

  ScopedEnv driver{"WEFT_CUDA_DRIVER", WEFT_FAKE_CUDA_DRIVER};
  ScopedEnv devices{"WEFT_FAKE_CUDA_DEVICE_COUNT", nullptr};
  WeftFakeCudaHooks fake;
};

//===----------------------------------------------------------------------===//
// Loading the driver
//===----------------------------------------------------------------------===//

TEST_F(CudaTest, MissingDriverIsReportedWithItsPath) {
  ScratchDirectory dir;
  std::string path = dir.file("libcuda.so.1");
  ScopedEnv missing("WEFT_CUDA_DRIVER", path.c_str());
  int32_t count = -1;
  EXPECT_EQ(takeMessage(weft_cuda_device_count(&count)),
            "no CUDA driver found (" + path +
                " from $WEFT_CUDA_DRIVER: " + path +
                ": cannot open shared object file: No such file or "
                "directory)");
  EXPECT_EQ(count, -1);
  weft_cuda_device_t *device = nullptr;
  EXPECT_THAT(takeMessage(weft_cuda_device_open(0, &device)),
              StartsWith("no CUDA driver found (" + path));
  EXPECT_EQ(device, nullptr);
}

/// Whether dlopen("libcuda.so.1") finds a library: a driver, or the stub
/// once ToolkitStubIsNotADriver has loaded it (its soname is libcuda.so.1).
bool libcudaLoads() {
  void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (handle)
    dlclose(handle);
  return handle;
}

TEST_F(CudaTest, DefaultDriverIsLibcuda) {
  ScopedEnv unset("WEFT_CUDA_DRIVER", nullptr);
  if (libcudaLoads())
    GTEST_SKIP() << "libcuda.so.1 is there";
  int32_t count = 0;
  EXPECT_THAT(takeMessage(weft_cuda_device_count(&count)),
              StartsWith("no CUDA driver found (libcuda.so.1: libcuda.so.1: "
                         "cannot open shared object file"));
}

TEST_F(CudaTest, DriverLackingAnEntryPointIsNamed) {
  ScopedEnv old("WEFT_CUDA_DRIVER", WEFT_FAKE_CUDA_WITHOUT_LAUNCH_DRIVER);
  int32_t count = 0;
  EXPECT_EQ(takeMessage(weft_cuda_device_count(&count)),
            std::string("the CUDA driver ") +
                WEFT_FAKE_CUDA_WITHOUT_LAUNCH_DRIVER +
                " from $WEFT_CUDA_DRIVER lacks cuLaunchKernel: it is older "
                "than the runtime supports or not a CUDA driver");
}

TEST_F(CudaTest, ToolkitStubIsNotADriver) {
  if (!*WEFT_CUDA_STUB_DRIVER)
    GTEST_SKIP() << "no CUDA toolkit stub (libcuda.so) was found at configure "
                    "time";
  // Loaded, the stub answers to libcuda.so.1 for the rest of the process:
  // never where a real driver is.
  if (libcudaLoads())
    GTEST_SKIP() << "libcuda.so.1 is there";
  ScopedEnv stub("WEFT_CUDA_DRIVER", WEFT_CUDA_STUB_DRIVER);
  int32_t count = 0;
  EXPECT_EQ(takeMessage(weft_cuda_device_count(&count)),
            std::string("cuInit: CUDA_ERROR_STUB_LIBRARY (") +
                WEFT_CUDA_STUB_DRIVER +
                " is the CUDA toolkit's stub library: no CUDA driver is "
                "installed)");
}

TEST_F(CudaTest, HeaderWorksFromC) {
  const char *message = nullptr;
  EXPECT_EQ(weftCudaHeaderCountDevices(&message), 1);
  ScopedEnv missing("WEFT_CUDA_DRIVER", "/nonexistent/libcuda.so.1");
  EXPECT_EQ(weftCudaHeaderCountDevices(&message), -1);
  EXPECT_THAT(message, StartsWith("no CUDA driver found (/nonexistent/"));
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

TEST_F(CudaTest, DevicesAndTheirProperties) {
  ScopedEnv three("WEFT_FAKE_CUDA_DEVICE_COUNT", "3");
  int32_t count = 0;
  ASSERT_EQ(takeMessage(weft_cuda_device_count(&count)), "");
  EXPECT_EQ(count, 3);
  Device device = open(2);
  ASSERT_TRUE(device);
  EXPECT_EQ(weft_cuda_device_ordinal(device.get()), 2);
  EXPECT_STREQ(weft_cuda_device_name(device.get()), "Weft fake CUDA device 2");
  int32_t major = 0, minor = -1;
  weft_cuda_device_compute_capability(device.get(), &major, &minor);
  EXPECT_EQ(major, 9);
  EXPECT_EQ(minor, 0);
  EXPECT_EQ(weft_cuda_device_total_memory(device.get()), uint64_t(80) << 30);
  EXPECT_EQ(takeMessage(weft_cuda_device_synchronize(device.get())), "");
  // A second handle on the same device shares its context.
  Device again = open(2);
  EXPECT_NE(again.get(), device.get());
}

TEST_F(CudaTest, OrdinalOutsideTheDevices) {
  weft_cuda_device_t *device = nullptr;
  EXPECT_EQ(takeMessage(weft_cuda_device_open(3, &device)),
            "CUDA device 3 requested but the driver reports 1 device");
  EXPECT_EQ(takeMessage(weft_cuda_device_open(-1, &device)),
            "CUDA device -1 requested but the driver reports 1 device");
  ScopedEnv two("WEFT_FAKE_CUDA_DEVICE_COUNT", "2");
  EXPECT_EQ(takeMessage(weft_cuda_device_open(2, &device)),
            "CUDA device 2 requested but the driver reports 2 devices");
  EXPECT_EQ(device, nullptr);
}

TEST_F(CudaTest, DriverWithoutDevicesCountsZero) {
  ScopedEnv none("WEFT_FAKE_CUDA_DEVICE_COUNT", "0");
  int32_t count = -1;
  ASSERT_EQ(takeMessage(weft_cuda_device_count(&count)), "");
  EXPECT_EQ(count, 0);
  weft_cuda_device_t *device = nullptr;
  EXPECT_EQ(takeMessage(weft_cuda_device_open(0, &device)),
            "CUDA device 0 requested but the driver reports 0 devices");
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

TEST_F(CudaTest, CopiesRoundTripFreshData) {
  Device device = open();
  Stream stream = createStream(device.get());
  uint32_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  // Sizes that are not multiples of anything the fake aligns to.
  for (size_t n : {size_t(1), size_t(37), size_t(4099)}) {
    std::vector<float> host = randomFloats(n, seed + uint32_t(n));
    size_t bytes = n * sizeof(float);
    uint64_t a = alloc(device.get(), bytes), b = alloc(device.get(), bytes);
    ASSERT_NE(a, 0u);
    EXPECT_EQ(a % 256, 0u);

    // Synchronous: host -> a -> b -> host.
    std::vector<float> back(n, 0.0f);
    ASSERT_EQ(takeMessage(weft_cuda_copy_to_device(device.get(), a, host.data(),
                                                   bytes)),
              "");
    ASSERT_EQ(takeMessage(weft_cuda_copy_on_device(device.get(), b, a, bytes)),
              "");
    ASSERT_EQ(takeMessage(
                  weft_cuda_copy_to_host(device.get(), back.data(), b, bytes)),
              "");
    EXPECT_EQ(back, host);

    // Asynchronous, the other way round, then a memset of the tail.
    std::vector<float> other = randomFloats(n, seed + uint32_t(n) + 1);
    std::vector<float> async(n, 0.0f);
    ASSERT_EQ(takeMessage(weft_cuda_copy_to_device_async(stream.get(), b,
                                                         other.data(), bytes)),
              "");
    ASSERT_EQ(
        takeMessage(weft_cuda_copy_on_device_async(stream.get(), a, b, bytes)),
        "");
    size_t tail = bytes / 2;
    ASSERT_EQ(takeMessage(weft_cuda_memset_async(stream.get(), a + tail, 0x7f,
                                                 bytes - tail)),
              "");
    ASSERT_EQ(takeMessage(weft_cuda_copy_to_host_async(stream.get(),
                                                       async.data(), a, bytes)),
              "");
    ASSERT_EQ(takeMessage(weft_cuda_stream_synchronize(stream.get())), "");
    std::vector<unsigned char> expected(bytes);
    std::memcpy(expected.data(), other.data(), bytes);
    std::memset(expected.data() + tail, 0x7f, bytes - tail);
    EXPECT_EQ(std::memcmp(async.data(), expected.data(), bytes), 0);

    // The synchronous memset.
    ASSERT_EQ(takeMessage(weft_cuda_memset(device.get(), b, 0x3c, bytes)), "");
    ASSERT_EQ(takeMessage(
                  weft_cuda_copy_to_host(device.get(), back.data(), b, bytes)),
              "");
    std::vector<unsigned char> pattern(bytes, 0x3c);
    EXPECT_EQ(std::memcmp(back.data(), pattern.data(), bytes), 0);
    freeBuffer(device.get(), a);
    freeBuffer(device.get(), b);
  }
}

TEST_F(CudaTest, EmptyBuffers) {
  Device device = open();
  Stream stream = createStream(device.get());
  EXPECT_EQ(alloc(device.get(), 0), 0u);
  freeBuffer(device.get(), 0);
  EXPECT_EQ(takeMessage(weft_cuda_copy_to_device(device.get(), 0, nullptr, 0)),
            "");
  EXPECT_EQ(
      takeMessage(weft_cuda_copy_to_host_async(stream.get(), nullptr, 0, 0)),
      "");
  EXPECT_EQ(takeMessage(weft_cuda_copy_to_device(device.get(), 0, nullptr, 4)),
            "weft_cuda_copy_to_device: 'src' is null but bytes is 4");
  EXPECT_EQ(
      takeMessage(weft_cuda_copy_to_host_async(stream.get(), nullptr, 0, 8)),
      "weft_cuda_copy_to_host_async: 'dst' is null but bytes is 8");
  uint64_t ptr = 0;
  EXPECT_EQ(takeMessage(weft_cuda_alloc(nullptr, 4, &ptr)),
            "weft_cuda_alloc: 'device' is null");
}

TEST_F(CudaTest, MemoryErrorsNameTheCall) {
  Device device = open();
  uint64_t ptr = 0;
  EXPECT_EQ(takeMessage(weft_cuda_alloc(device.get(), size_t(1) << 40, &ptr)),
            "cuMemAlloc (1099511627776 bytes on CUDA device 0): "
            "CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  EXPECT_EQ(ptr, 0u);
  uint64_t small = alloc(device.get(), 16);
  float values[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(takeMessage(weft_cuda_copy_to_device(device.get(), small, values,
                                                 sizeof(values))),
            "cuMemcpyHtoDAsync (32 bytes): CUDA_ERROR_INVALID_VALUE (invalid "
            "argument)");
  EXPECT_EQ(
      takeMessage(weft_cuda_copy_to_host(device.get(), values, small + 8, 16)),
      "cuMemcpyDtoHAsync (16 bytes): CUDA_ERROR_INVALID_VALUE (invalid "
      "argument)");
  EXPECT_EQ(
      takeMessage(weft_cuda_free(device.get(), small + 4)),
      "cuMemFree (0x" +
          [&] {
            char hex[32];
            std::snprintf(hex, sizeof(hex), "%llx",
                          static_cast<unsigned long long>(small + 4));
            return std::string(hex);
          }() +
          "): CUDA_ERROR_INVALID_VALUE (invalid argument)");
  freeBuffer(device.get(), small);
}

//===----------------------------------------------------------------------===//
// Modules and launches
//===----------------------------------------------------------------------===//

TEST_F(CudaTest, LaunchAddsTwoBuffers) {
  Device device = open();
  Stream stream = createStream(device.get());
  uint32_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int32_t n = 1000; // not a multiple of the block size
  std::vector<float> a = randomFloats(n, seed), b = randomFloats(n, seed + 1);
  size_t bytes = n * sizeof(float);
  uint64_t da = alloc(device.get(), bytes), db = alloc(device.get(), bytes),
           dc = alloc(device.get(), bytes);
  ASSERT_EQ(
      takeMessage(weft_cuda_copy_to_device(device.get(), da, a.data(), bytes)),
      "");
  ASSERT_EQ(
      takeMessage(weft_cuda_copy_to_device(device.get(), db, b.data(), bytes)),
      "");

  // The same kernel through a binary image and through PTX.
  Module cubin = loadImage(
      device.get(), fakeImage({{"probe", probeKernel}, {"add", addKernel}}));
  Module ptx = loadPtx(device.get(), fakePtx("add", addKernel).c_str());
  for (weft_cuda_module_t *module : {cubin.get(), ptx.get()}) {
    weft_cuda_function_t *add = function(module, "add");
    ASSERT_NE(add, nullptr);
    EXPECT_EQ(function(module, "add"), add);
    ASSERT_EQ(takeMessage(weft_cuda_memset(device.get(), dc, 0, bytes)), "");
    ASSERT_EQ(takeMessage(launchAdd(add, stream.get(), da, db, dc, n)), "");
    std::vector<float> c(n);
    ASSERT_EQ(
        takeMessage(weft_cuda_copy_to_host(device.get(), c.data(), dc, bytes)),
        "");
    for (int32_t i = 0; i < n; ++i)
      ASSERT_EQ(c[i], a[i] + b[i]) << "element " << i;
  }
  freeBuffer(device.get(), da);
  freeBuffer(device.get(), db);
  freeBuffer(device.get(), dc);
}

TEST_F(CudaTest, LaunchFromAnotherThread) {
  // The fake driver's current context is per thread, as the real one's:
  // the runtime must make the device's context current on each.
  Device device = open();
  Stream stream = createStream(device.get());
  Module module = loadImage(device.get(), fakeImage({{"add", addKernel}}));
  weft_cuda_function_t *add = function(module.get(), "add");
  float a[3] = {1.5f, 2.25f, -4}, b[3] = {0.25f, 8, 1}, c[3] = {};
  uint64_t da = alloc(device.get(), sizeof(a)),
           db = alloc(device.get(), sizeof(b)),
           dc = alloc(device.get(), sizeof(c));
  std::string message;
  std::thread worker([&] {
    message =
        takeMessage(weft_cuda_copy_to_device(device.get(), da, a, sizeof(a)));
    message +=
        takeMessage(weft_cuda_copy_to_device(device.get(), db, b, sizeof(b)));
    message += takeMessage(launchAdd(add, stream.get(), da, db, dc, 3));
    message += takeMessage(weft_cuda_stream_synchronize(stream.get()));
    message +=
        takeMessage(weft_cuda_copy_to_host(device.get(), c, dc, sizeof(c)));
  });
  worker.join();
  EXPECT_EQ(message, "");
  EXPECT_EQ(c[0], 1.75f);
  EXPECT_EQ(c[1], 10.25f);
  EXPECT_EQ(c[2], -3.0f);
  for (uint64_t p : {da, db, dc})
    freeBuffer(device.get(), p);
}

TEST_F(CudaTest, SharedMemoryAbove48KiBIsOptedInto) {
  Device device = open();
  Stream stream = createStream(device.get());
  Module module = loadImage(device.get(), fakeImage({{"probe", probeKernel}}));
  weft_cuda_function_t *probe = function(module.get(), "probe");
  uint32_t grid[3] = {1, 1, 1}, block[3] = {32, 1, 1};
  uint32_t seen = 0, *seenPtr = &seen;
  void *params[] = {&seenPtr};
  // The fake refuses more than 48 KiB unless the attribute was raised.
  for (uint32_t bytes :
       {1024u, 48u * 1024, 64u * 1024, 100u * 1024, 80u * 1024}) {
    EXPECT_EQ(takeMessage(weft_cuda_launch(probe, grid, block, bytes,
                                           stream.get(), params)),
              "");
    EXPECT_EQ(seen, bytes);
  }
  EXPECT_EQ(takeMessage(weft_cuda_launch(probe, grid, block, 300 * 1024,
                                         stream.get(), params)),
            "cuFuncSetAttribute ('probe', "
            "CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 307200): "
            "CUDA_ERROR_INVALID_VALUE (invalid argument)");
}

TEST_F(CudaTest, LaunchErrorsNameTheKernelAndShape) {
  Device device = open();
  Stream stream = createStream(device.get());
  Module module = loadImage(device.get(), fakeImage({{"add", addKernel}}));
  weft_cuda_function_t *add = function(module.get(), "add");
  EXPECT_EQ(takeMessage(launchAdd(add, stream.get(), 0, 0, 0, 10, 2048)),
            "cuLaunchKernel ('add', grid [1, 1, 1], block [2048, 1, 1], 0 "
            "shared bytes): CUDA_ERROR_INVALID_VALUE (invalid argument)");
  uint32_t dims[3] = {1, 1, 1};
  EXPECT_EQ(takeMessage(
                weft_cuda_launch(add, dims, nullptr, 0, stream.get(), nullptr)),
            "weft_cuda_launch: 'block' is null");
}

TEST_F(CudaTest, MissingKernelListsTheModulesKernels) {
  Device device = open();
  Module module = loadImage(
      device.get(), fakeImage({{"add", addKernel}, {"probe", probeKernel}}));
  weft_cuda_function_t *f = nullptr;
  EXPECT_EQ(takeMessage(weft_cuda_module_function(module.get(), "ad", &f)),
            "cuModuleGetFunction ('ad'): CUDA_ERROR_NOT_FOUND (named symbol "
            "not found): the module's kernels are 'add', 'probe'");
  EXPECT_EQ(f, nullptr);
  weft_cuda_module_t *empty = nullptr;
  ASSERT_EQ(takeMessage(weft_cuda_module_load_ptx(device.get(), "// nothing\n",
                                                  &empty)),
            "");
  Module emptyModule(empty);
  EXPECT_EQ(takeMessage(weft_cuda_module_function(empty, "add", &f)),
            "cuModuleGetFunction ('add'): CUDA_ERROR_NOT_FOUND (named symbol "
            "not found): the module has no kernels");
}

TEST_F(CudaTest, PtxFailureCarriesTheJitLog) {
  Device device = open();
  weft_cuda_module_t *module = nullptr;
  EXPECT_EQ(takeMessage(weft_cuda_module_load_ptx(
                device.get(), "// fake PTX\n.entry ok 0x1000\n  .bogus x\n",
                &module)),
            "cuModuleLoadDataEx (PTX): CUDA_ERROR_INVALID_PTX (a PTX JIT "
            "compilation failed): ptxas application ptx input, line 3; "
            "error   : Unknown directive '.bogus'; ptxas fatal   : Ptx "
            "assembly aborted due to errors");
  EXPECT_EQ(module, nullptr);
  EXPECT_EQ(takeMessage(weft_cuda_module_load_ptx(device.get(), "", &module)),
            "weft_cuda_module_load_ptx: the PTX is empty");
}

TEST_F(CudaTest, BadImagesFailBeforeOrInTheDriver) {
  Device device = open();
  weft_cuda_module_t *module = nullptr;
  const char garbage[] = "\x01\x02\x03\x04garbage";
  EXPECT_EQ(takeMessage(weft_cuda_module_load_cubin(device.get(), garbage,
                                                    sizeof(garbage), &module)),
            "cuModuleLoadDataEx (cubin): CUDA_ERROR_INVALID_IMAGE (device "
            "kernel image is invalid)");
  EXPECT_EQ(takeMessage(
                weft_cuda_module_load_cubin(device.get(), garbage, 0, &module)),
            "weft_cuda_module_load_cubin: the image is empty");

  // A cubin cut after its ELF header: the driver would read past it.
  Elf64_Ehdr header = {};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_phoff = 3568;
  header.e_phnum = 5;
  header.e_phentsize = sizeof(Elf64_Phdr);
  EXPECT_EQ(takeMessage(weft_cuda_module_load_cubin(device.get(), &header,
                                                    sizeof(header), &module)),
            "weft_cuda_module_load_cubin: the image is truncated: its program "
            "headers end past its 64 bytes (5 x 56 bytes from byte 3568)");
  EXPECT_EQ(takeMessage(weft_cuda_module_load_cubin(device.get(), &header, 20,
                                                    &module)),
            "weft_cuda_module_load_cubin: the image (20 bytes) is not a whole "
            "64-bit ELF header");

  // A fatbin whose payload is longer than what was passed.
  unsigned char fatbin[64] = {0x50, 0xed, 0x55, 0xba, 1, 0, 16, 0};
  uint64_t payload = 4384;
  std::memcpy(fatbin + 8, &payload, sizeof(payload));
  EXPECT_EQ(takeMessage(weft_cuda_module_load_cubin(device.get(), fatbin,
                                                    sizeof(fatbin), &module)),
            "weft_cuda_module_load_cubin: the image is truncated: its fatbin "
            "payload ends past its 64 bytes (1 x 4384 bytes from byte 16)");
  EXPECT_EQ(module, nullptr);
}

TEST_F(CudaTest, RealCubinPassesTheSizeCheckUnlessCut) {
  std::string why;
  std::string cubin = assembleCubin("sm_75", why);
  if (cubin.empty())
    GTEST_SKIP() << why;
  Device device = open();
  weft_cuda_module_t *module = nullptr;
  // Whole, it reaches the driver, which is fake and knows no cubins.
  EXPECT_EQ(takeMessage(weft_cuda_module_load_cubin(device.get(), cubin.data(),
                                                    cubin.size(), &module)),
            "cuModuleLoadDataEx (cubin): CUDA_ERROR_INVALID_IMAGE (device "
            "kernel image is invalid)");
  // ptxas puts a header table last: one byte less is truncation.
  EXPECT_THAT(takeMessage(weft_cuda_module_load_cubin(
                  device.get(), cubin.data(), cubin.size() - 1, &module)),
              StartsWith("weft_cuda_module_load_cubin: the image is "
                         "truncated: its "));
  EXPECT_EQ(module, nullptr);
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

TEST_F(CudaTest, EventsMeasureTheLaunchesBetweenThem) {
  Device device = open();
  Stream stream = createStream(device.get());
  Event start = createEvent(device.get()), end = createEvent(device.get());
  Module module = loadImage(device.get(), fakeImage({{"probe", probeKernel}}));
  weft_cuda_function_t *probe = function(module.get(), "probe");
  uint32_t seen = 0, *seenPtr = &seen;
  void *params[] = {&seenPtr};
  uint32_t dims[3] = {1, 1, 1};

  float ms = -1;
  EXPECT_EQ(
      takeMessage(weft_cuda_event_elapsed_ms(start.get(), end.get(), &ms)),
      "cuEventElapsedTime: CUDA_ERROR_INVALID_HANDLE (invalid resource "
      "handle)");
  ASSERT_EQ(takeMessage(weft_cuda_event_record(start.get(), stream.get())), "");
  // Each fake launch takes exactly 1 ms of the fake clock.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(takeMessage(
                  weft_cuda_launch(probe, dims, dims, 0, stream.get(), params)),
              "");
  ASSERT_EQ(takeMessage(weft_cuda_event_record(end.get(), stream.get())), "");
  ASSERT_EQ(takeMessage(weft_cuda_event_synchronize(end.get())), "");
  ASSERT_EQ(
      takeMessage(weft_cuda_event_elapsed_ms(start.get(), end.get(), &ms)), "");
  EXPECT_EQ(ms, 3.0f);
  ASSERT_EQ(
      takeMessage(weft_cuda_event_elapsed_ms(end.get(), start.get(), &ms)), "");
  EXPECT_EQ(ms, -3.0f);
}

TEST_F(CudaTest, ObjectsOfDifferentDevicesDoNotMix) {
  ScopedEnv two("WEFT_FAKE_CUDA_DEVICE_COUNT", "2");
  Device first = open(0), second = open(1);
  Stream stream = createStream(first.get());
  Event event = createEvent(second.get()), other = createEvent(first.get());
  EXPECT_EQ(takeMessage(weft_cuda_event_record(event.get(), stream.get())),
            "weft_cuda_event_record: the event is on CUDA device 1 but the "
            "stream on CUDA device 0");
  float ms = 0;
  EXPECT_EQ(
      takeMessage(weft_cuda_event_elapsed_ms(other.get(), event.get(), &ms)),
      "weft_cuda_event_elapsed_ms: the start event is on CUDA device 0 "
      "but the end event on CUDA device 1");
  Module module = loadImage(second.get(), fakeImage({{"add", addKernel}}));
  EXPECT_EQ(takeMessage(launchAdd(function(module.get(), "add"), stream.get(),
                                  0, 0, 0, 1)),
            "weft_cuda_launch: the stream is on CUDA device 0 but the function "
            "on CUDA device 1");
}

//===----------------------------------------------------------------------===//
// Tensor maps
//===----------------------------------------------------------------------===//

/// The arguments of weft_cuda_tensor_map_encode: by default a valid map of
/// an f16 tensor [2, 8, 128, 64] (dims innermost first) in 64 x 64 tiles
/// with 128-byte swizzle, as an attention kernel loads K.
struct TensorMapArgs {
  void *map = nullptr;
  int32_t elementType = WEFT_TENSOR_MAP_F16;
  int32_t rank = 4;
  uint64_t address = 0;
  std::vector<int64_t> dims = {64, 128, 8, 2};
  std::vector<int64_t> strides = {128, 128 * 128, 128 * 128 * 8};
  std::vector<int32_t> box = {64, 64, 1, 1};
  int32_t swizzle = 128;
  bool nullDims = false, nullStrides = false, nullBox = false;

  TensorMapArgs(void *map, uint64_t address) : map(map), address(address) {}

  weft_status_t encode(weft_cuda_device_t *device) const {
    return weft_cuda_tensor_map_encode(device, map, elementType, rank, address,
                                       nullDims ? nullptr : dims.data(),
                                       nullStrides ? nullptr : strides.data(),
                                       nullBox ? nullptr : box.data(), swizzle);
  }
};

/// How the runtime prints a pointer in its messages.
std::string printed(const void *pointer) {
  std::ostringstream os;
  os << pointer;
  return os.str();
}

/// A map's 128 bytes, set to a pattern no encode writes.
struct alignas(WEFT_TENSOR_MAP_ALIGNMENT) MapBytes {
  MapBytes() { std::memset(bytes, 0xEE, sizeof(bytes)); }
  bool untouched() const {
    for (unsigned char b : bytes)
      if (b != 0xEE)
        return false;
    return true;
  }
  unsigned char bytes[WEFT_TENSOR_MAP_BYTES];
};

TEST_F(CudaTest, TensorMapReachesTheDriverAsGiven) {
  Device device = open();
  uint64_t buffer = alloc(device.get(), 1 << 20);
  MapBytes map;
  TensorMapArgs args(map.bytes, buffer + 16); // 16-byte alignment is enough
  int64_t before = fake.tensorMapCalls(nullptr);
  ASSERT_EQ(takeMessage(args.encode(device.get())), "");

  weft_fake_cuda_tensor_map_call_t call;
  ASSERT_EQ(fake.tensorMapCalls(&call), before + 1);
  EXPECT_EQ(call.result, 0);
  EXPECT_EQ(call.data_type, 6); // CU_TENSOR_MAP_DATA_TYPE_FLOAT16
  EXPECT_EQ(call.rank, 4u);
  EXPECT_EQ(call.address, reinterpret_cast<void *>(buffer + 16));
  EXPECT_THAT(call.dims, testing::ElementsAre(64, 128, 8, 2, 0));
  EXPECT_THAT(call.strides, testing::ElementsAre(128, 16384, 131072, 0));
  EXPECT_THAT(call.box, testing::ElementsAre(64, 64, 1, 1, 0));
  EXPECT_THAT(call.element_strides, testing::ElementsAre(1, 1, 1, 1, 0));
  EXPECT_EQ(call.interleave, 0);   // NONE
  EXPECT_EQ(call.swizzle, 3);      // 128B
  EXPECT_EQ(call.l2_promotion, 2); // L2_128B
  EXPECT_EQ(call.oob_fill, 0);     // NONE: zeros
  // The map holds exactly what the driver wrote (its own encoding of the
  // arguments and the call's number).
  EXPECT_EQ(std::memcmp(map.bytes, call.written, sizeof(map.bytes)), 0);
  weft_fake_cuda_tensor_map_t written;
  std::memcpy(&written, map.bytes, sizeof(written));
  EXPECT_EQ(std::memcmp(written.magic, WEFT_FAKE_CUDA_TENSOR_MAP_MAGIC, 8), 0);
  EXPECT_EQ(written.address, buffer + 16);
  EXPECT_EQ(written.serial, uint64_t(before + 1));

  // Each element type and swizzle as the driver numbers them.
  struct Kind {
    int32_t elementType, swizzle, boxRow;
    int driverType, driverSwizzle;
  } kinds[] = {
      {WEFT_TENSOR_MAP_F16, 0, 64, 6, 0},
      {WEFT_TENSOR_MAP_BF16, 32, 16, 9, 1},
      {WEFT_TENSOR_MAP_F32, 64, 16, 7, 2},
      {WEFT_TENSOR_MAP_F32, 128, 32, 7, 3},
      {WEFT_TENSOR_MAP_BF16, 0, 256, 9, 0},
  };
  for (const Kind &k : kinds) {
    SCOPED_TRACE("element type " + std::to_string(k.elementType) +
                 ", swizzle " + std::to_string(k.swizzle));
    TensorMapArgs other = args;
    other.elementType = k.elementType;
    other.swizzle = k.swizzle;
    other.box[0] = k.boxRow;
    ASSERT_EQ(takeMessage(other.encode(device.get())), "");
    fake.tensorMapCalls(&call);
    EXPECT_EQ(call.data_type, k.driverType);
    EXPECT_EQ(call.swizzle, k.driverSwizzle);
    EXPECT_EQ(call.box[0], uint32_t(k.boxRow));
  }

  // Rank 1 has no strides; a box larger than its dim is legal (TMA fills
  // what lies outside with zeros).
  TensorMapArgs row = args;
  row.rank = 1;
  row.dims = {24};
  row.nullStrides = true;
  row.box = {64};
  ASSERT_EQ(takeMessage(row.encode(device.get())), "");
  fake.tensorMapCalls(&call);
  EXPECT_EQ(call.rank, 1u);
  EXPECT_THAT(call.dims, testing::ElementsAre(24, 0, 0, 0, 0));
  EXPECT_THAT(call.box, testing::ElementsAre(64, 0, 0, 0, 0));
  freeBuffer(device.get(), buffer);
}

TEST_F(CudaTest, TensorMapArgumentsAreCheckedBeforeTheDriver) {
  Device device = open();
  uint64_t buffer = alloc(device.get(), 1 << 20);
  MapBytes map;
  TensorMapArgs valid(map.bytes, buffer);
  struct Case {
    std::function<void(TensorMapArgs &)> change;
    std::string message; // after "weft_cuda_tensor_map_encode: "
  };
  const std::vector<Case> cases = {
      {[](TensorMapArgs &a) { a.map = nullptr; }, "'map' is null"},
      {[&](TensorMapArgs &a) { a.map = map.bytes + 16; },
       "map " + printed(map.bytes + 16) + " is not 64-byte aligned"},
      {[](TensorMapArgs &a) { a.elementType = 0; },
       "element_type is 0, expected WEFT_TENSOR_MAP_F16 (1), "
       "WEFT_TENSOR_MAP_BF16 (2) or WEFT_TENSOR_MAP_F32 (3)"},
      {[](TensorMapArgs &a) { a.elementType = 4; },
       "element_type is 4, expected WEFT_TENSOR_MAP_F16 (1), "
       "WEFT_TENSOR_MAP_BF16 (2) or WEFT_TENSOR_MAP_F32 (3)"},
      {[](TensorMapArgs &a) { a.rank = 0; }, "rank is 0, expected 1 to 5"},
      {[](TensorMapArgs &a) { a.rank = 6; }, "rank is 6, expected 1 to 5"},
      {[](TensorMapArgs &a) { a.nullDims = true; }, "'dims' is null"},
      {[](TensorMapArgs &a) { a.nullStrides = true; },
       "'strides_bytes' is null"},
      {[](TensorMapArgs &a) { a.nullBox = true; }, "'box' is null"},
      {[](TensorMapArgs &a) { a.address = 0; },
       "address is 0, expected the tensor's device address"},
      {[](TensorMapArgs &a) { a.address += 8; },
       "address " + printed(reinterpret_cast<void *>(buffer + 8)) +
           " is not 16-byte aligned"},
      {[](TensorMapArgs &a) { a.dims[2] = 0; },
       "dims[2] is 0, expected 1 to 4294967296 elements"},
      {[](TensorMapArgs &a) { a.dims[0] = (int64_t(1) << 32) + 1; },
       "dims[0] is 4294967297, expected 1 to 4294967296 elements"},
      {[](TensorMapArgs &a) { a.strides[1] = 100; },
       "strides_bytes[1] is 100, expected a multiple of 16 below 2^40"},
      {[](TensorMapArgs &a) { a.strides[0] = -128; },
       "strides_bytes[0] is -128, expected a multiple of 16 below 2^40"},
      {[](TensorMapArgs &a) { a.strides[2] = int64_t(1) << 40; },
       "strides_bytes[2] is 1099511627776, expected a multiple of 16 below "
       "2^40"},
      {[](TensorMapArgs &a) { a.box[3] = 0; },
       "box[3] is 0, expected 1 to 256 elements"},
      {[](TensorMapArgs &a) { a.box[1] = 257; },
       "box[1] is 257, expected 1 to 256 elements"},
      {[](TensorMapArgs &a) { a.swizzle = 16; },
       "swizzle_bytes is 16, expected 0, 32, 64 or 128"},
      {[](TensorMapArgs &a) { a.swizzle = -128; },
       "swizzle_bytes is -128, expected 0, 32, 64 or 128"},
      {[](TensorMapArgs &a) {
         a.swizzle = 0;
         a.box[0] = 12;
       },
       "box[0] is 12 f16 elements (24 bytes), expected a multiple of 16 "
       "bytes"},
      {[](TensorMapArgs &a) { a.box[0] = 128; },
       "box[0] is 128 f16 elements (256 bytes), more than the 128-byte "
       "swizzle span"},
      {[](TensorMapArgs &a) {
         a.elementType = WEFT_TENSOR_MAP_F32;
         a.swizzle = 64;
         a.box[0] = 32;
       },
       "box[0] is 32 f32 elements (128 bytes), more than the 64-byte swizzle "
       "span"},
  };
  const int64_t calls = fake.tensorMapCalls(nullptr);
  for (const Case &c : cases) {
    SCOPED_TRACE(c.message);
    TensorMapArgs args = valid;
    c.change(args);
    EXPECT_EQ(takeMessage(args.encode(device.get())),
              "weft_cuda_tensor_map_encode: " + c.message);
    // The driver was not called, and the map is written only on success.
    EXPECT_EQ(fake.tensorMapCalls(nullptr), calls);
    EXPECT_TRUE(map.untouched());
  }
  EXPECT_EQ(takeMessage(valid.encode(nullptr)),
            "weft_cuda_tensor_map_encode: 'device' is null");
  ASSERT_EQ(takeMessage(valid.encode(device.get())), "");
  EXPECT_EQ(fake.tensorMapCalls(nullptr), calls + 1);
  freeBuffer(device.get(), buffer);
}

TEST_F(CudaTest, TensorMapNeedsACuda12Driver) {
  ScopedEnv old("WEFT_CUDA_DRIVER", WEFT_FAKE_CUDA_WITHOUT_TENSOR_MAP_DRIVER);
  // The entry point is optional: everything else works.
  Device device = open();
  ASSERT_TRUE(device);
  MapBytes map;
  TensorMapArgs args(map.bytes, 0x7f0000000000);
  EXPECT_EQ(takeMessage(args.encode(device.get())),
            std::string("the CUDA driver ") +
                WEFT_FAKE_CUDA_WITHOUT_TENSOR_MAP_DRIVER +
                " has no cuTensorMapEncodeTiled: tensor maps (TMA) need a "
                "driver of CUDA 12.0 or later");
  EXPECT_TRUE(map.untouched());
  // The arguments are still checked first.
  args.rank = 6;
  EXPECT_EQ(takeMessage(args.encode(device.get())),
            "weft_cuda_tensor_map_encode: rank is 6, expected 1 to 5");
}

TEST_F(CudaTest, TensorMapDriverFailureNamesTheCallAndItsArguments) {
  Device device = open();
  uint64_t buffer = alloc(device.get(), 1 << 20);
  MapBytes map;
  TensorMapArgs args(map.bytes, buffer);
  fake.failNext("cuTensorMapEncodeTiled", 1);
  EXPECT_EQ(takeMessage(args.encode(device.get())),
            "cuTensorMapEncodeTiled (f16, rank 4, address " +
                printed(reinterpret_cast<void *>(buffer)) +
                ", dims [64, 128, 8, 2], strides [128, 16384, 131072] bytes, "
                "box [64, 64, 1, 1], swizzle 128 bytes): "
                "CUDA_ERROR_INVALID_VALUE (invalid argument)");
  EXPECT_TRUE(map.untouched());
  // Rank 1 lists no strides; a code the driver cannot name is a number.
  args.rank = 1;
  args.nullStrides = true;
  args.swizzle = 0;
  fake.failNext("cuTensorMapEncodeTiled", 12345);
  EXPECT_EQ(takeMessage(args.encode(device.get())),
            "cuTensorMapEncodeTiled (f16, rank 1, address " +
                printed(reinterpret_cast<void *>(buffer)) +
                ", dims [64], box [64], swizzle 0 bytes): CUDA error 12345 "
                "(unknown to the driver)");
  // The device's context is made current first, as for every call.
  fake.failNext("cuCtxSetCurrent", 201);
  EXPECT_EQ(takeMessage(args.encode(device.get())),
            "cuCtxSetCurrent: CUDA_ERROR_INVALID_CONTEXT (invalid device "
            "context)");
  EXPECT_TRUE(map.untouched());
  freeBuffer(device.get(), buffer);
}

/// mapProbe(CUtensorMap map, const void **seen, unsigned char *bytes):
/// *seen = where params[0] points, bytes = the 128 bytes there.
extern "C" void mapProbeKernel(const weft_fake_cuda_launch_t *, void **params) {
  **static_cast<const void ***>(params[1]) = params[0];
  std::memcpy(*static_cast<unsigned char **>(params[2]), params[0],
              WEFT_TENSOR_MAP_BYTES);
}

TEST_F(CudaTest, TensorMapIsALaunchParameterByValue) {
  Device device = open();
  Stream stream = createStream(device.get());
  uint32_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  // x: f32 [6, 20], rows padded to 24 floats (96 bytes, a multiple of 16).
  std::vector<float> x = randomFloats(6 * 24, seed);
  uint64_t dx = alloc(device.get(), x.size() * sizeof(float));
  ASSERT_EQ(takeMessage(weft_cuda_copy_to_device(device.get(), dx, x.data(),
                                                 x.size() * sizeof(float))),
            "");
  MapBytes map;
  TensorMapArgs args(map.bytes, dx);
  args.elementType = WEFT_TENSOR_MAP_F32;
  args.rank = 2;
  args.dims = {20, 6};
  args.strides = {24 * sizeof(float)};
  args.box = {8, 4};
  args.swizzle = 32;
  ASSERT_EQ(takeMessage(args.encode(device.get())), "");

  // params[0] points at the caller's map: the launch passes it through.
  Module module = loadImage(
      device.get(), fakeImage({{"probe", mapProbeKernel},
                               {"weft_test_tensor_map_copy", nullptr}}));
  const void *seen = nullptr;
  const void **seenPtr = &seen;
  unsigned char bytes[WEFT_TENSOR_MAP_BYTES] = {};
  unsigned char *bytesPtr = bytes;
  void *probeParams[] = {map.bytes, &seenPtr, &bytesPtr};
  uint32_t one[3] = {1, 1, 1};
  ASSERT_EQ(takeMessage(weft_cuda_launch(function(module.get(), "probe"), one,
                                         one, 0, stream.get(), probeParams)),
            "");
  EXPECT_EQ(seen, static_cast<const void *>(map.bytes));
  EXPECT_EQ(std::memcmp(bytes, map.bytes, sizeof(bytes)), 0);

  // And the fake's kernel copies the tensor the map describes.
  std::vector<float> y(120, -7.0f);
  uint64_t dy = alloc(device.get(), y.size() * sizeof(float));
  int64_t n = int64_t(y.size());
  void *copyParams[] = {map.bytes, &dy, &n};
  uint32_t grid[3] = {4, 1, 1}, block[3] = {32, 1, 1};
  ASSERT_EQ(takeMessage(weft_cuda_launch(
                function(module.get(), "weft_test_tensor_map_copy"), grid,
                block, 0, stream.get(), copyParams)),
            "");
  ASSERT_EQ(takeMessage(weft_cuda_copy_to_host(device.get(), y.data(), dy,
                                               y.size() * sizeof(float))),
            "");
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 20; ++c)
      ASSERT_EQ(y[r * 20 + c], x[r * 24 + c]) << "row " << r << ", col " << c;
  freeBuffer(device.get(), dx);
  freeBuffer(device.get(), dy);
}

//===----------------------------------------------------------------------===//
// Every driver failure names its call
//===----------------------------------------------------------------------===//

TEST_F(CudaTest, EachDriverFailureNamesTheCallAndTheError) {
  Device device = open();
  Stream stream = createStream(device.get());
  Event event = createEvent(device.get());
  Module module = loadImage(device.get(), fakeImage({{"add", addKernel}}));
  weft_cuda_function_t *add = function(module.get(), "add");
  uint64_t buffer = alloc(device.get(), 64);
  char host[64] = {};
  std::string image = fakeImage({{"add", addKernel}});

  struct Case {
    const char *entryPoint; // as the driver exports it
    std::function<weft_status_t()> call;
    std::string expected; // the message up to the error name
  };
  weft_cuda_device_t *d = device.get();
  weft_cuda_stream_t *s = stream.get();
  auto countDevices = [] {
    int32_t count;
    return weft_cuda_device_count(&count);
  };
  // Opening fails before anything is returned.
  auto openDevice = [] {
    weft_cuda_device_t *other = nullptr;
    return weft_cuda_device_open(0, &other);
  };
  std::vector<Case> cases = {
      {"cuInit", countDevices, "cuInit"},
      {"cuDeviceGetCount", countDevices, "cuDeviceGetCount"},
      {"cuDeviceGet", openDevice, "CUDA device 0: cuDeviceGet"},
      {"cuDeviceGetName", openDevice, "CUDA device 0: cuDeviceGetName"},
      {"cuDeviceGetAttribute", openDevice,
       "CUDA device 0: cuDeviceGetAttribute (compute capability major)"},
      {"cuDeviceTotalMem_v2", openDevice, "CUDA device 0: cuDeviceTotalMem"},
      {"cuDevicePrimaryCtxRetain", openDevice,
       "CUDA device 0: cuDevicePrimaryCtxRetain"},
      // Open retains the context before making it current: the failure
      // must release it (the fixture checks nothing is left).
      {"cuCtxSetCurrent", openDevice, "CUDA device 0: cuCtxSetCurrent"},
      {"cuCtxSetCurrent", [&] { return weft_cuda_stream_synchronize(s); },
       "cuCtxSetCurrent"},
      {"cuCtxSynchronize", [&] { return weft_cuda_device_synchronize(d); },
       "cuCtxSynchronize"},
      {"cuMemAlloc_v2",
       [&] {
         uint64_t p;
         return weft_cuda_alloc(d, 8, &p);
       },
       "cuMemAlloc (8 bytes on CUDA device 0)"},
      {"cuMemcpyHtoDAsync_v2",
       [&] { return weft_cuda_copy_to_device_async(s, buffer, host, 8); },
       "cuMemcpyHtoDAsync (8 bytes)"},
      {"cuMemcpyDtoHAsync_v2",
       [&] { return weft_cuda_copy_to_host(d, host, buffer, 8); },
       "cuMemcpyDtoHAsync (8 bytes)"},
      {"cuMemcpyDtoDAsync_v2",
       [&] { return weft_cuda_copy_on_device(d, buffer, buffer + 32, 8); },
       "cuMemcpyDtoDAsync (8 bytes)"},
      {"cuMemsetD8Async",
       [&] { return weft_cuda_memset_async(s, buffer, 1, 8); },
       "cuMemsetD8Async (8 bytes)"},
      // The synchronous helpers wait for the default stream.
      {"cuStreamSynchronize",
       [&] { return weft_cuda_copy_to_device(d, buffer, host, 8); },
       "cuStreamSynchronize (default stream)"},
      {"cuStreamSynchronize", [&] { return weft_cuda_stream_synchronize(s); },
       "cuStreamSynchronize"},
      {"cuStreamCreate",
       [&] {
         weft_cuda_stream_t *other = nullptr;
         return weft_cuda_stream_create(d, &other);
       },
       "cuStreamCreate"},
      {"cuEventCreate",
       [&] {
         weft_cuda_event_t *other = nullptr;
         return weft_cuda_event_create(d, &other);
       },
       "cuEventCreate"},
      {"cuEventRecord", [&] { return weft_cuda_event_record(event.get(), s); },
       "cuEventRecord"},
      {"cuEventSynchronize",
       [&] { return weft_cuda_event_synchronize(event.get()); },
       "cuEventSynchronize"},
      {"cuModuleLoadDataEx",
       [&] {
         weft_cuda_module_t *other = nullptr;
         return weft_cuda_module_load_cubin(d, image.data(), image.size(),
                                            &other);
       },
       "cuModuleLoadDataEx (cubin)"},
      {"cuModuleGetFunction",
       [&] {
         weft_cuda_function_t *f = nullptr;
         return weft_cuda_module_function(module.get(), "not-cached", &f);
       },
       "cuModuleGetFunction ('not-cached')"},
      {"cuLaunchKernel",
       [&] { return launchAdd(add, s, buffer, buffer, buffer, 1); },
       "cuLaunchKernel ('add', grid [1, 1, 1], block [64, 1, 1], 0 shared "
       "bytes)"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.entryPoint);
    fake.failNext(c.entryPoint, 719);
    std::string message = takeMessage(c.call());
    // A lookup of a missing kernel lists the kernels after the error.
    EXPECT_THAT(message,
                StartsWith(c.expected + ": CUDA_ERROR_LAUNCH_FAILED "
                                        "(unspecified launch failure)"));
    if (c.expected.rfind("cuModuleGetFunction", 0) != 0) {
      EXPECT_EQ(message, c.expected + ": CUDA_ERROR_LAUNCH_FAILED "
                                      "(unspecified launch failure)");
    }
  }

  // cuMemFree and a code the driver has no name for.
  fake.failNext("cuMemFree_v2", 700);
  EXPECT_THAT(takeMessage(weft_cuda_free(d, buffer)),
              testing::EndsWith("): CUDA_ERROR_ILLEGAL_ADDRESS (an illegal "
                                "memory access was encountered)"));
  fake.failNext("cuEventElapsedTime_v2", 12345);
  float ms = 0;
  EXPECT_EQ(
      takeMessage(weft_cuda_event_elapsed_ms(event.get(), event.get(), &ms)),
      "cuEventElapsedTime: CUDA error 12345 (unknown to the driver)");
  freeBuffer(d, buffer);
}

//===----------------------------------------------------------------------===//
// On a real GPU (REQUIRES: cuda)
//===----------------------------------------------------------------------===//

/// Device 0 of the driver the environment names (libcuda.so.1 unless
/// $WEFT_CUDA_DRIVER says otherwise); skipped, saying why, without one.
class CudaGpuTest : public CudaFixture {
protected:
  void SetUp() override {
    int32_t count = 0;
    std::string message = takeMessage(weft_cuda_device_count(&count));
    if (!message.empty())
      GTEST_SKIP() << "REQUIRES: cuda (" << message << ")";
    if (count == 0)
      GTEST_SKIP() << "REQUIRES: cuda (the driver reports no device)";
    device = open(0);
    ASSERT_TRUE(device);
    stream = createStream(device.get());
  }

  void TearDown() override {
    stream.reset();
    device.reset();
  }

  Device device;
  Stream stream;
};

TEST_F(CudaGpuTest, PtxAddMatchesTheHost) {
  Module module = loadPtx(device.get(), kGpuKernelsPtx);
  ASSERT_TRUE(module);
  weft_cuda_function_t *add = function(module.get(), "weft_add");
  ASSERT_NE(add, nullptr);
  uint32_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int32_t n = (1 << 20) + 3;
  std::vector<float> a = randomFloats(n, seed), b = randomFloats(n, seed + 1);
  size_t bytes = n * sizeof(float);
  uint64_t da = alloc(device.get(), bytes), db = alloc(device.get(), bytes),
           dc = alloc(device.get(), bytes);
  ASSERT_EQ(takeMessage(weft_cuda_copy_to_device_async(stream.get(), da,
                                                       a.data(), bytes)),
            "");
  ASSERT_EQ(takeMessage(weft_cuda_copy_to_device_async(stream.get(), db,
                                                       b.data(), bytes)),
            "");
  Event start = createEvent(device.get()), end = createEvent(device.get());
  ASSERT_EQ(takeMessage(weft_cuda_event_record(start.get(), stream.get())), "");
  ASSERT_EQ(takeMessage(launchAdd(add, stream.get(), da, db, dc, n, 256)), "");
  ASSERT_EQ(takeMessage(weft_cuda_event_record(end.get(), stream.get())), "");
  std::vector<float> c(n);
  ASSERT_EQ(takeMessage(weft_cuda_copy_to_host_async(stream.get(), c.data(), dc,
                                                     bytes)),
            "");
  ASSERT_EQ(takeMessage(weft_cuda_stream_synchronize(stream.get())), "");
  for (int32_t i = 0; i < n; ++i)
    ASSERT_EQ(c[i], a[i] + b[i]) << "element " << i;
  float ms = -1;
  ASSERT_EQ(
      takeMessage(weft_cuda_event_elapsed_ms(start.get(), end.get(), &ms)), "");
  EXPECT_GT(ms, 0.0f);
  EXPECT_LT(ms, 1000.0f);
  for (uint64_t p : {da, db, dc})
    freeBuffer(device.get(), p);
}

TEST_F(CudaGpuTest, CubinForThisDeviceLoadsAndRuns) {
  int32_t major = 0, minor = 0;
  weft_cuda_device_compute_capability(device.get(), &major, &minor);
  std::string why;
  std::string cubin =
      assembleCubin("sm_" + std::to_string(major) + std::to_string(minor), why);
  if (cubin.empty())
    GTEST_SKIP() << why;
  Module module = loadImage(device.get(), cubin);
  ASSERT_TRUE(module);
  weft_cuda_function_t *add = function(module.get(), "weft_add");
  float a[5] = {1, 2.5f, -3, 1e20f, 7}, b[5] = {0.5f, 2.5f, 3, -1e20f, -8};
  float c[5] = {};
  uint64_t da = alloc(device.get(), sizeof(a)),
           db = alloc(device.get(), sizeof(b)),
           dc = alloc(device.get(), sizeof(c));
  ASSERT_EQ(
      takeMessage(weft_cuda_copy_to_device(device.get(), da, a, sizeof(a))),
      "");
  ASSERT_EQ(
      takeMessage(weft_cuda_copy_to_device(device.get(), db, b, sizeof(b))),
      "");
  ASSERT_EQ(takeMessage(launchAdd(add, stream.get(), da, db, dc, 5)), "");
  // The default stream waits for the launch on ours.
  ASSERT_EQ(takeMessage(weft_cuda_copy_to_host(device.get(), c, dc, sizeof(c))),
            "");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(c[i], a[i] + b[i]) << "element " << i;
  for (uint64_t p : {da, db, dc})
    freeBuffer(device.get(), p);
}

TEST_F(CudaGpuTest, SharedMemoryAbove48KiB) {
  Module module = loadPtx(device.get(), kGpuKernelsPtx);
  ASSERT_TRUE(module);
  weft_cuda_function_t *reverse = function(module.get(), "weft_reverse_shared");
  uint32_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  int32_t n = 16 * 1024; // 64 KiB of floats: needs the opt-in
  std::vector<float> in = randomFloats(n, seed), out(n);
  size_t bytes = n * sizeof(float);
  uint64_t din = alloc(device.get(), bytes), dout = alloc(device.get(), bytes);
  ASSERT_EQ(takeMessage(
                weft_cuda_copy_to_device(device.get(), din, in.data(), bytes)),
            "");
  uint32_t grid[3] = {1, 1, 1}, block[3] = {1024, 1, 1};
  void *params[] = {&din, &dout, &n};
  ASSERT_EQ(takeMessage(weft_cuda_launch(reverse, grid, block, uint32_t(bytes),
                                         stream.get(), params)),
            "");
  ASSERT_EQ(takeMessage(weft_cuda_stream_synchronize(stream.get())), "");
  ASSERT_EQ(takeMessage(
                weft_cuda_copy_to_host(device.get(), out.data(), dout, bytes)),
            "");
  for (int32_t i = 0; i < n; ++i)
    ASSERT_EQ(out[i], in[n - 1 - i]) << "element " << i;
  freeBuffer(device.get(), din);
  freeBuffer(device.get(), dout);
}

TEST_F(CudaGpuTest, TensorMapEncodesOnTheDriver) {
  int32_t major = 0, minor = 0;
  weft_cuda_device_compute_capability(device.get(), &major, &minor);
  if (major < 9)
    GTEST_SKIP() << "REQUIRES: compute capability 9.0 (TMA); device 0 is "
                 << major << "." << minor;
  uint64_t buffer = alloc(device.get(), 4 << 20);
  MapBytes map;
  TensorMapArgs args(map.bytes, buffer); // f16 [2, 8, 128, 64] in 64 x 64 tiles, 128B swizzle
  EXPECT_EQ(takeMessage(args.encode(device.get())), "");
  EXPECT_FALSE(map.untouched());
  // Each element type and swizzle the table offers, and rank 1.
  args.elementType = WEFT_TENSOR_MAP_F32;
  args.swizzle = 64;
  args.box[0] = 16;
  EXPECT_EQ(takeMessage(args.encode(device.get())), "");
  args.elementType = WEFT_TENSOR_MAP_BF16;
  args.swizzle = 32;
  EXPECT_EQ(takeMessage(args.encode(device.get())), "");
  args.rank = 1;
  args.nullStrides = true;
  args.swizzle = 0;
  EXPECT_EQ(takeMessage(args.encode(device.get())), "");
  freeBuffer(device.get(), buffer);
}

TEST_F(CudaGpuTest, DriverErrorsCarryTheDriversText) {
  weft_cuda_module_t *module = nullptr;
  std::string broken = std::string(kGpuKernelsPtx) + "\nthis is not ptx;\n";
  std::string message = takeMessage(
      weft_cuda_module_load_ptx(device.get(), broken.c_str(), &module));
  EXPECT_THAT(message, StartsWith("cuModuleLoadDataEx (PTX): "
                                  "CUDA_ERROR_INVALID_PTX (a PTX JIT "
                                  "compilation failed): "));
  EXPECT_THAT(message, HasSubstr("ptxas"));
  Module good = loadPtx(device.get(), kGpuKernelsPtx);
  weft_cuda_function_t *f = nullptr;
  EXPECT_THAT(
      takeMessage(weft_cuda_module_function(good.get(), "weft_sub", &f)),
      StartsWith("cuModuleGetFunction ('weft_sub'): CUDA_ERROR_NOT_FOUND "
                 "(named symbol not found)"));
  uint64_t ptr = 0;
  uint64_t tooMuch = weft_cuda_device_total_memory(device.get()) * 2;
  EXPECT_THAT(takeMessage(weft_cuda_alloc(device.get(), tooMuch, &ptr)),
              HasSubstr("CUDA_ERROR_OUT_OF_MEMORY (out of memory)"));
}

} // namespace
