/*===- FakeCudaDriver.h - A CUDA driver on host memory, for tests ---------===
 *
 * libweft_fake_cuda.so implements the driver entry points the runtime
 * resolves (runtime/src/CudaDriver.h) on the host, so the CUDA device layer
 * is tested on machines without a GPU: tests point $WEFT_CUDA_DRIVER at it.
 * It behaves as the driver does where the runtime can tell: real error codes,
 * names and descriptions; CUDA_ERROR_NOT_INITIALIZED before cuInit;
 * CUDA_ERROR_INVALID_CONTEXT without a current context on the calling
 * thread; handles and device ranges checked against live objects.
 *
 *   - $WEFT_FAKE_CUDA_DEVICE_COUNT devices (default 1; 0 makes cuInit fail
 *     with CUDA_ERROR_NO_DEVICE, as a driver without a GPU does), each
 *     "Weft fake CUDA device N", compute capability 9.0, 80 GiB.
 *   - Device memory is aligned host memory; the address is the pointer.
 *   - Work runs when it is enqueued. Events read a fake clock that each
 *     kernel launch advances by exactly 1 ms.
 *   - Images: the binary format below ("cubins"), or fake PTX text, one
 *     ".entry NAME 0xADDRESS" line per kernel ("//" comments and blank
 *     lines allowed); anything else in PTX fails with CUDA_ERROR_INVALID_PTX
 *     and a ptxas-style line in the JIT error log.
 *   - A kernel is a host function at ADDRESS (in the test's own process),
 *     called once per launch with the launch's dimensions. An artifact
 *     written before the process that runs it cannot know an address: a
 *     PTX line without one (".entry NAME"), or an image entry whose kernel
 *     is NULL, names one of the fake's built-in kernels below.
 *   - cuTensorMapEncodeTiled checks its arguments as the driver documents
 *     (CUDA_ERROR_INVALID_VALUE otherwise) and writes a tensor map of its
 *     own format (weft_fake_cuda_tensor_map_t), which a built-in kernel
 *     reads; it records every call for the tests.
 *
 * Built again with WEFT_FAKE_CUDA_WITHOUT_LAUNCH as
 * libweft_fake_cuda_without_launch.so: a driver lacking cuLaunchKernel;
 * and with WEFT_FAKE_CUDA_WITHOUT_TENSOR_MAP as
 * libweft_fake_cuda_without_tensor_map.so: a driver before CUDA 12, which
 * lacks cuTensorMapEncodeTiled (an optional entry point).
 *
 *===----------------------------------------------------------------------===*/
#ifndef WEFT_TEST_RUNTIME_FAKECUDADRIVER_H
#define WEFT_TEST_RUNTIME_FAKECUDADRIVER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a fake kernel is called with. `shared` points to `shared_bytes`
 * zeroed bytes (NULL for 0). */
typedef struct weft_fake_cuda_launch {
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t shared_bytes;
  void *shared;
} weft_fake_cuda_launch_t;

/* `params`: as given to cuLaunchKernel, a pointer per parameter. */
typedef void (*weft_fake_cuda_kernel_t)(const weft_fake_cuda_launch_t *launch,
                                        void **params);

/* The binary image: the header, then `num_kernels` entries. */
#define WEFT_FAKE_CUDA_IMAGE_MAGIC "WEFTFCU1"
typedef struct weft_fake_cuda_image_header {
  char magic[8];
  uint32_t num_kernels;
  uint32_t reserved;
} weft_fake_cuda_image_header_t;

typedef struct weft_fake_cuda_image_kernel {
  char name[56]; /* NUL-terminated */
  weft_fake_cuda_kernel_t kernel;
} weft_fake_cuda_image_kernel_t;

/* Most dynamic shared memory a kernel may opt in to (an H100's). */
#define WEFT_FAKE_CUDA_MAX_SHARED_OPT_IN (227 * 1024)

/* The tensor map the fake writes: the driver's CUtensorMap is 128 opaque
 * bytes, so the fake fills them with what it was given. Rank entries of
 * each array are set, the rest zero; strides are those of dims 1.. (in
 * bytes). `serial` is the call's number since the driver was loaded
 * (weft_fake_cuda_tensor_map_calls), so no two maps are equal. */
#define WEFT_FAKE_CUDA_TENSOR_MAP_MAGIC "WEFTTMAP"
typedef struct weft_fake_cuda_tensor_map {
  char magic[8];
  uint64_t address;
  uint64_t dims[5];
  uint64_t strides[4];
  uint32_t box[5];
  int32_t data_type; /* CUtensorMapDataType */
  uint32_t rank;
  uint8_t interleave, swizzle, l2_promotion, oob_fill;
  uint64_t serial;
} weft_fake_cuda_tensor_map_t;

/* The built-in kernels, over f32 buffers of n elements (params: device
 * pointers as 64-bit addresses, n as a 64-bit integer), one element per
 * thread of the launch (threads numbered across the grid, x fastest):
 *   weft_test_scale(const float *x, const float *s, float *y, int64_t n):
 *     y[i] = s[0] * x[i]
 *   weft_test_add(const float *a, const float *b, float *c, int64_t n):
 *     c[i] = a[i] + b[i]
 *   weft_test_tensor_map_copy(CUtensorMap map, float *y, int64_t n), the
 *     map by value (params[0] points to its 128 bytes), as TMA kernels
 *     take it: y[i] = element i of the f32 tensor the map describes, its
 *     elements numbered densely, dim 0 fastest (NaN for a map that is not
 *     the fake's or not of f32). */

/*===-- Test hooks (exported; resolve them with dlsym) --------------------===*/

/* Live allocations, streams, events, modules and primary context
 * references: 0 once everything is released. */
typedef int64_t (*weft_fake_cuda_live_objects_fn)(void);
#define WEFT_FAKE_CUDA_LIVE_OBJECTS "weft_fake_cuda_live_objects"

/* Makes the next call of `entry_point` (its exported name, e.g.
 * "cuStreamSynchronize" or "cuMemAlloc_v2") return `result` without doing
 * anything. NULL clears it. */
typedef void (*weft_fake_cuda_fail_next_fn)(const char *entry_point,
                                            int result);
#define WEFT_FAKE_CUDA_FAIL_NEXT "weft_fake_cuda_fail_next"

/* The number of images loaded successfully since the driver was loaded:
 * binary images ("cubins") for `ptx` 0, PTX for `ptx` 1. */
typedef int64_t (*weft_fake_cuda_images_loaded_fn)(int ptx);
#define WEFT_FAKE_CUDA_IMAGES_LOADED "weft_fake_cuda_images_loaded"

/* The arguments of the last cuTensorMapEncodeTiled call, as the driver
 * received them (rank entries of each array, the rest zero), its result
 * and the 128 bytes it wrote to `map` (zeros when it failed). */
typedef struct weft_fake_cuda_tensor_map_call {
  void *map;
  int32_t data_type;
  uint32_t rank;
  void *address;
  uint64_t dims[5];
  uint64_t strides[4];
  uint32_t box[5];
  uint32_t element_strides[5];
  int32_t interleave, swizzle, l2_promotion, oob_fill;
  int32_t result;
  unsigned char written[128];
} weft_fake_cuda_tensor_map_call_t;

/* The number of cuTensorMapEncodeTiled calls since the driver was loaded,
 * failed ones (also by weft_fake_cuda_fail_next) included; the last one is
 * copied to `out_last` when there was one and it is not NULL. */
typedef int64_t (*weft_fake_cuda_tensor_map_calls_fn)(
    weft_fake_cuda_tensor_map_call_t *out_last);
#define WEFT_FAKE_CUDA_TENSOR_MAP_CALLS "weft_fake_cuda_tensor_map_calls"

#ifdef __cplusplus
}

#include <dlfcn.h>

/* The hooks of the fake at `path`, for C++ tests: opened with dlopen (the
 * same library the runtime loads through $WEFT_CUDA_DRIVER), every hook
 * resolved, or `open` false. */
struct WeftFakeCudaHooks {
  void *library = nullptr;
  weft_fake_cuda_live_objects_fn liveObjects = nullptr;
  weft_fake_cuda_fail_next_fn failNext = nullptr;
  weft_fake_cuda_images_loaded_fn imagesLoaded = nullptr;
  weft_fake_cuda_tensor_map_calls_fn tensorMapCalls = nullptr;

  bool open(const char *path) {
    library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library)
      return false;
    liveObjects = reinterpret_cast<weft_fake_cuda_live_objects_fn>(
        dlsym(library, WEFT_FAKE_CUDA_LIVE_OBJECTS));
    failNext = reinterpret_cast<weft_fake_cuda_fail_next_fn>(
        dlsym(library, WEFT_FAKE_CUDA_FAIL_NEXT));
    imagesLoaded = reinterpret_cast<weft_fake_cuda_images_loaded_fn>(
        dlsym(library, WEFT_FAKE_CUDA_IMAGES_LOADED));
    tensorMapCalls = reinterpret_cast<weft_fake_cuda_tensor_map_calls_fn>(
        dlsym(library, WEFT_FAKE_CUDA_TENSOR_MAP_CALLS));
    return liveObjects && failNext && imagesLoaded && tensorMapCalls;
  }
  void close() {
    if (library)
      dlclose(library);
    library = nullptr;
  }
};
#endif

#endif /* WEFT_TEST_RUNTIME_FAKECUDADRIVER_H */
