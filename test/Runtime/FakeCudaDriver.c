/*===- FakeCudaDriver.c - A CUDA driver on host memory, for tests ---------===
 *
 * The driver entry points the runtime resolves, by their ABI names, over
 * host memory (see FakeCudaDriver.h for what it models). One lock guards
 * all state; work runs inside the call that enqueues it. Every entry point
 * starts with ENTER(), which returns a failure injected by the test, except
 * cuTensorMapEncodeTiled, which records its call first.
 *
 *===----------------------------------------------------------------------===*/

#include "FakeCudaDriver.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The driver ABI's types and the values cuda.h gives them. */
typedef int CUresult;
typedef int CUdevice;
typedef uint64_t CUdeviceptr;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_NOT_READY = 600,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_UNKNOWN = 999,
};

/* CUtensorMapDataType's FLOAT32, and the number of types modelled: UINT8
 * to TFLOAT32_FTZ, not the packed ones after them. */
enum { CU_TENSOR_MAP_DATA_TYPE_FLOAT32 = 7, NUM_TENSOR_MAP_TYPES = 13 };

_Static_assert(sizeof(weft_fake_cuda_tensor_map_t) == 128,
               "a tensor map is 128 bytes");

enum {
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_STREAM_NON_BLOCKING = 1,
  CU_EVENT_DISABLE_TIMING = 2,
};

/* The driver's own names and descriptions. */
static const struct {
  CUresult code;
  const char *name;
  const char *text;
} kErrors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED",
     "initialization error"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE",
     "no CUDA-capable device is detected"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE",
     "invalid device ordinal"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE",
     "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT",
     "invalid device context"},
    {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX",
     "a PTX JIT compilation failed"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE",
     "invalid resource handle"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED",
     "unspecified launch failure"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

#define MAX_DEVICES 8
#define TOTAL_MEMORY ((size_t)80 << 30)
#define DEFAULT_MAX_SHARED (48 * 1024)

/*===-- State -------------------------------------------------------------===*/

typedef enum { ALLOCATION, STREAM, EVENT, MODULE } kind_t;

/* Every live object is on one list, so handles are checked, not trusted. */
typedef struct object {
  kind_t kind;
  struct object *next;
} object_t;

typedef struct {
  object_t base;
  unsigned char *data;
  size_t bytes;
} allocation_t;

typedef struct {
  object_t base;
} stream_t;

typedef struct {
  object_t base;
  int timing;
  int recorded;
  double time_ms;
} event_t;

typedef struct {
  char name[56];
  weft_fake_cuda_kernel_t kernel;
  int max_dynamic_shared;
} function_t;

typedef struct {
  object_t base;
  unsigned count;
  function_t *functions;
} module_t;

typedef struct {
  int references;
} context_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static object_t *objects;
static int initialized;
static int device_count;
static context_t contexts[MAX_DEVICES];
static __thread context_t *current;
static size_t allocated_bytes;
static double clock_ms;
static char fail_entry[64];
static CUresult fail_result;
static int64_t images_loaded[2]; /* binary, PTX */
static int64_t tensor_map_calls;
static weft_fake_cuda_tensor_map_call_t last_tensor_map_call;

/* Unlocks and returns `result`: every entry point's exit. */
static CUresult leave(CUresult result) {
  pthread_mutex_unlock(&lock);
  return result;
}

/* The injected failure for `entry`, if any (cleared), else CUDA_SUCCESS. */
static CUresult take_injected(const char *entry) {
  CUresult result = CUDA_SUCCESS;
  pthread_mutex_lock(&lock);
  if (fail_result && strcmp(fail_entry, entry) == 0) {
    result = fail_result;
    fail_result = CUDA_SUCCESS;
  }
  pthread_mutex_unlock(&lock);
  return result;
}

/* Returns an injected failure, then takes the lock for the call. */
#define ENTER()                                                                \
  do {                                                                         \
    CUresult injected_ = take_injected(__func__);                              \
    if (injected_)                                                             \
      return injected_;                                                        \
    pthread_mutex_lock(&lock);                                                 \
  } while (0)

static CUresult check_initialized(void) {
  return initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED;
}

/* What needs a context needs one current on this thread. */
static CUresult check_context(void) {
  if (!initialized)
    return CUDA_ERROR_NOT_INITIALIZED;
  return current && current->references > 0 ? CUDA_SUCCESS
                                            : CUDA_ERROR_INVALID_CONTEXT;
}

static void add_object(object_t *object, kind_t kind) {
  object->kind = kind;
  object->next = objects;
  objects = object;
}

static object_t *find_object(const void *handle, kind_t kind) {
  for (object_t *o = objects; o; o = o->next)
    if (o == handle && o->kind == kind)
      return o;
  return NULL;
}

static void remove_object(object_t *object) {
  for (object_t **o = &objects; *o; o = &(*o)->next)
    if (*o == object) {
      *o = object->next;
      return;
    }
}

/* The allocation holding [ptr, ptr + bytes), or NULL. */
static allocation_t *find_range(CUdeviceptr ptr, size_t bytes) {
  for (object_t *o = objects; o; o = o->next) {
    if (o->kind != ALLOCATION)
      continue;
    allocation_t *a = (allocation_t *)o;
    uintptr_t begin = (uintptr_t)a->data;
    if (ptr >= begin && ptr - begin <= a->bytes &&
        bytes <= a->bytes - (ptr - begin))
      return a;
  }
  return NULL;
}

/* NULL is the legacy default stream, which needs a current context. */
static CUresult check_stream(const void *stream) {
  if (!stream)
    return check_context();
  return find_object(stream, STREAM) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

/* The function `handle` points to in a live module, or NULL. */
static function_t *find_function(const void *handle) {
  for (object_t *o = objects; o; o = o->next) {
    if (o->kind != MODULE)
      continue;
    module_t *m = (module_t *)o;
    for (unsigned i = 0; i < m->count; ++i)
      if (&m->functions[i] == handle)
        return &m->functions[i];
  }
  return NULL;
}

/*===-- Test hooks --------------------------------------------------------===*/

int64_t weft_fake_cuda_live_objects(void) {
  pthread_mutex_lock(&lock);
  int64_t count = 0;
  for (object_t *o = objects; o; o = o->next)
    ++count;
  for (int i = 0; i < MAX_DEVICES; ++i)
    count += contexts[i].references;
  pthread_mutex_unlock(&lock);
  return count;
}

void weft_fake_cuda_fail_next(const char *entry_point, int result) {
  pthread_mutex_lock(&lock);
  snprintf(fail_entry, sizeof(fail_entry), "%s",
           entry_point ? entry_point : "");
  fail_result = entry_point ? result : CUDA_SUCCESS;
  pthread_mutex_unlock(&lock);
}

int64_t weft_fake_cuda_images_loaded(int ptx) {
  pthread_mutex_lock(&lock);
  int64_t count = images_loaded[ptx ? 1 : 0];
  pthread_mutex_unlock(&lock);
  return count;
}

int64_t
weft_fake_cuda_tensor_map_calls(weft_fake_cuda_tensor_map_call_t *out_last) {
  pthread_mutex_lock(&lock);
  int64_t count = tensor_map_calls;
  if (count && out_last)
    *out_last = last_tensor_map_call;
  pthread_mutex_unlock(&lock);
  return count;
}

/*===-- Built-in kernels --------------------------------------------------===*/

/* The launch's threads, numbered across the grid. */
static uint64_t thread_count(const weft_fake_cuda_launch_t *launch) {
  return (uint64_t)launch->grid[0] * launch->grid[1] * launch->grid[2] *
         launch->block[0] * launch->block[1] * launch->block[2];
}

/* Parameter `i`: a device pointer, or a 64-bit integer. */
static void *param_pointer(void **params, int i) {
  return (void *)(uintptr_t)*(const uint64_t *)params[i];
}

static uint64_t param_count(void **params, int i) {
  int64_t n = *(const int64_t *)params[i];
  return n > 0 ? (uint64_t)n : 0;
}

static void scale_kernel(const weft_fake_cuda_launch_t *launch, void **params) {
  const float *x = param_pointer(params, 0), *s = param_pointer(params, 1);
  float *y = param_pointer(params, 2);
  uint64_t n = param_count(params, 3);
  for (uint64_t i = 0; i < thread_count(launch) && i < n; ++i)
    y[i] = s[0] * x[i];
}

static void add_kernel(const weft_fake_cuda_launch_t *launch, void **params) {
  const float *a = param_pointer(params, 0), *b = param_pointer(params, 1);
  float *c = param_pointer(params, 2);
  uint64_t n = param_count(params, 3);
  for (uint64_t i = 0; i < thread_count(launch) && i < n; ++i)
    c[i] = a[i] + b[i];
}

/* Copies the f32 tensor the map in params[0] describes, densely. */
static void tensor_map_copy_kernel(const weft_fake_cuda_launch_t *launch,
                                   void **params) {
  weft_fake_cuda_tensor_map_t map;
  memcpy(&map, params[0], sizeof(map));
  float *y = param_pointer(params, 1);
  uint64_t n = param_count(params, 2);
  int valid = memcmp(map.magic, WEFT_FAKE_CUDA_TENSOR_MAP_MAGIC, 8) == 0 &&
              map.data_type == CU_TENSOR_MAP_DATA_TYPE_FLOAT32 &&
              map.rank >= 1 && map.rank <= 5;
  uint64_t elements = 1;
  for (uint32_t d = 0; valid && d < map.rank; ++d)
    elements *= map.dims[d];
  for (uint64_t i = 0; i < thread_count(launch) && i < n; ++i) {
    if (!valid || i >= elements) {
      y[i] = NAN;
      continue;
    }
    /* Element i's index along each dim, dim 0 fastest. */
    uint64_t offset = (i % map.dims[0]) * sizeof(float), rest = i / map.dims[0];
    for (uint32_t d = 1; d < map.rank; ++d) {
      offset += (rest % map.dims[d]) * map.strides[d - 1];
      rest /= map.dims[d];
    }
    memcpy(&y[i], (const unsigned char *)(uintptr_t)map.address + offset,
           sizeof(float));
  }
}

static const struct {
  const char *name;
  weft_fake_cuda_kernel_t kernel;
} kBuiltinKernels[] = {
    {"weft_test_scale", scale_kernel},
    {"weft_test_add", add_kernel},
    {"weft_test_tensor_map_copy", tensor_map_copy_kernel},
};

/* The built-in kernel `name`, or NULL. */
static weft_fake_cuda_kernel_t builtin_kernel(const char *name) {
  for (size_t i = 0; i < sizeof(kBuiltinKernels) / sizeof(kBuiltinKernels[0]);
       ++i)
    if (strcmp(kBuiltinKernels[i].name, name) == 0)
      return kBuiltinKernels[i].kernel;
  return NULL;
}

/*===-- Errors ------------------------------------------------------------===*/

static int error_index(CUresult error) {
  for (size_t i = 0; i < sizeof(kErrors) / sizeof(kErrors[0]); ++i)
    if (kErrors[i].code == error)
      return (int)i;
  return -1;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
  ENTER();
  int i = error_index(error);
  if (!name)
    return leave(CUDA_ERROR_INVALID_VALUE);
  *name = i < 0 ? NULL : kErrors[i].name;
  return leave(i < 0 ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS);
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  ENTER();
  int i = error_index(error);
  if (!text)
    return leave(CUDA_ERROR_INVALID_VALUE);
  *text = i < 0 ? NULL : kErrors[i].text;
  return leave(i < 0 ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS);
}

/*===-- Devices and contexts ----------------------------------------------===*/

CUresult cuInit(unsigned flags) {
  ENTER();
  if (flags)
    return leave(CUDA_ERROR_INVALID_VALUE);
  const char *env = getenv("WEFT_FAKE_CUDA_DEVICE_COUNT");
  int count = env && *env ? atoi(env) : 1;
  if (count <= 0)
    return leave(CUDA_ERROR_NO_DEVICE);
  device_count = count < MAX_DEVICES ? count : MAX_DEVICES;
  initialized = 1;
  return leave(CUDA_SUCCESS);
}

CUresult cuDeviceGetCount(int *count) {
  ENTER();
  CUresult r = check_initialized();
  if (r)
    return leave(r);
  if (!count)
    return leave(CUDA_ERROR_INVALID_VALUE);
  *count = device_count;
  return leave(CUDA_SUCCESS);
}

/* Every device query checks the ordinal the same way. */
static CUresult check_device(CUdevice device) {
  CUresult r = check_initialized();
  if (r)
    return r;
  return device >= 0 && device < device_count ? CUDA_SUCCESS
                                              : CUDA_ERROR_INVALID_DEVICE;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  ENTER();
  CUresult r = check_device(ordinal);
  if (r)
    return leave(r);
  if (!device)
    return leave(CUDA_ERROR_INVALID_VALUE);
  *device = ordinal;
  return leave(CUDA_SUCCESS);
}

CUresult cuDeviceGetName(char *name, int length, CUdevice device) {
  ENTER();
  CUresult r = check_device(device);
  if (r)
    return leave(r);
  if (!name || length <= 0)
    return leave(CUDA_ERROR_INVALID_VALUE);
  snprintf(name, (size_t)length, "Weft fake CUDA device %d", device);
  return leave(CUDA_SUCCESS);
}

CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device) {
  ENTER();
  CUresult r = check_device(device);
  if (r)
    return leave(r);
  if (!value)
    return leave(CUDA_ERROR_INVALID_VALUE);
  if (attribute == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
    *value = 9;
  else if (attribute == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
    *value = 0;
  else
    return leave(CUDA_ERROR_INVALID_VALUE);
  return leave(CUDA_SUCCESS);
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device) {
  ENTER();
  CUresult r = check_device(device);
  if (r)
    return leave(r);
  if (!bytes)
    return leave(CUDA_ERROR_INVALID_VALUE);
  *bytes = TOTAL_MEMORY;
  return leave(CUDA_SUCCESS);
}

CUresult cuDevicePrimaryCtxRetain(void **context, CUdevice device) {
  ENTER();
  CUresult r = check_device(device);
  if (r)
    return leave(r);
  if (!context)
    return leave(CUDA_ERROR_INVALID_VALUE);
  ++contexts[device].references;
  *context = &contexts[device];
  return leave(CUDA_SUCCESS);
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  ENTER();
  CUresult r = check_device(device);
  if (r)
    return leave(r);
  if (contexts[device].references == 0)
    return leave(CUDA_ERROR_INVALID_CONTEXT);
  --contexts[device].references;
  return leave(CUDA_SUCCESS);
}

CUresult cuCtxSetCurrent(void *context) {
  ENTER();
  CUresult r = check_initialized();
  if (r)
    return leave(r);
  context_t *c = (context_t *)context;
  if (c && (c < contexts || c >= contexts + MAX_DEVICES || c->references == 0))
    return leave(CUDA_ERROR_INVALID_CONTEXT);
  current = c;
  return leave(CUDA_SUCCESS);
}

CUresult cuCtxSynchronize(void) {
  ENTER();
  return leave(check_context());
}

/*===-- Memory ------------------------------------------------------------===*/

CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  ENTER();
  CUresult r = check_context();
  if (r)
    return leave(r);
  if (!ptr || bytes == 0)
    return leave(CUDA_ERROR_INVALID_VALUE);
  if (bytes > TOTAL_MEMORY - allocated_bytes)
    return leave(CUDA_ERROR_OUT_OF_MEMORY);
  allocation_t *a = calloc(1, sizeof(*a));
  size_t rounded = (bytes + 255) / 256 * 256;
  a->data = aligned_alloc(256, rounded);
  if (!a->data) {
    free(a);
    return leave(CUDA_ERROR_OUT_OF_MEMORY);
  }
  /* Device memory starts with whatever was there: never zeros. */
  memset(a->data, 0xA5, rounded);
  a->bytes = bytes;
  allocated_bytes += bytes;
  add_object(&a->base, ALLOCATION);
  *ptr = (CUdeviceptr)(uintptr_t)a->data;
  return leave(CUDA_SUCCESS);
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
  ENTER();
  CUresult r = check_context();
  if (r)
    return leave(r);
  allocation_t *a = find_range(ptr, 0);
  if (!a || (uintptr_t)a->data != ptr)
    return leave(CUDA_ERROR_INVALID_VALUE);
  remove_object(&a->base);
  allocated_bytes -= a->bytes;
  free(a->data);
  free(a);
  return leave(CUDA_SUCCESS);
}

/* What every copy and memset needs: a context and a valid stream. */
static CUresult check_transfer(const void *stream) {
  CUresult r = check_context();
  return r ? r : check_stream(stream);
}

/* Device memory named in a transfer must lie inside one allocation. */
static int in_range(CUdeviceptr ptr, size_t bytes) {
  return find_range(ptr, bytes) != NULL;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              void *stream) {
  ENTER();
  CUresult r = check_transfer(stream);
  if (r)
    return leave(r);
  if (!src || !in_range(dst, bytes))
    return leave(CUDA_ERROR_INVALID_VALUE);
  memcpy((void *)(uintptr_t)dst, src, bytes);
  return leave(CUDA_SUCCESS);
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              void *stream) {
  ENTER();
  CUresult r = check_transfer(stream);
  if (r)
    return leave(r);
  if (!dst || !in_range(src, bytes))
    return leave(CUDA_ERROR_INVALID_VALUE);
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return leave(CUDA_SUCCESS);
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                              void *stream) {
  ENTER();
  CUresult r = check_transfer(stream);
  if (r)
    return leave(r);
  if (!in_range(dst, bytes) || !in_range(src, bytes))
    return leave(CUDA_ERROR_INVALID_VALUE);
  memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
  return leave(CUDA_SUCCESS);
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count,
                         void *stream) {
  ENTER();
  CUresult r = check_transfer(stream);
  if (r)
    return leave(r);
  if (!in_range(dst, count))
    return leave(CUDA_ERROR_INVALID_VALUE);
  memset((void *)(uintptr_t)dst, value, count);
  return leave(CUDA_SUCCESS);
}

/*===-- Streams and events ------------------------------------------------===*/

CUresult cuStreamCreate(void **stream, unsigned flags) {
  ENTER();
  CUresult r = check_context();
  if (r)
    return leave(r);
  if (!stream || (flags & ~(unsigned)CU_STREAM_NON_BLOCKING))
    return leave(CUDA_ERROR_INVALID_VALUE);
  stream_t *s = calloc(1, sizeof(*s));
  add_object(&s->base, STREAM);
  *stream = s;
  return leave(CUDA_SUCCESS);
}

/* Destroys a live stream or event (their objects hold nothing else). */
static CUresult destroy_plain_object(void *handle, kind_t kind) {
  CUresult r = check_initialized();
  if (r)
    return r;
  object_t *o = find_object(handle, kind);
  if (!o)
    return CUDA_ERROR_INVALID_HANDLE;
  remove_object(o);
  free(o);
  return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(void *stream) {
  ENTER();
  return leave(destroy_plain_object(stream, STREAM));
}

CUresult cuStreamSynchronize(void *stream) {
  ENTER();
  CUresult r = check_initialized();
  return leave(r ? r : check_stream(stream));
}

CUresult cuEventCreate(void **event, unsigned flags) {
  ENTER();
  CUresult r = check_context();
  if (r)
    return leave(r);
  if (!event || (flags & ~7u))
    return leave(CUDA_ERROR_INVALID_VALUE);
  event_t *e = calloc(1, sizeof(*e));
  e->timing = !(flags & CU_EVENT_DISABLE_TIMING);
  add_object(&e->base, EVENT);
  *event = e;
  return leave(CUDA_SUCCESS);
}

CUresult cuEventDestroy_v2(void *event) {
  ENTER();
  return leave(destroy_plain_object(event, EVENT));
}

CUresult cuEventRecord(void *event, void *stream) {
  ENTER();
  CUresult r = check_initialized();
  if (r || (r = check_stream(stream)))
    return leave(r);
  event_t *e = (event_t *)find_object(event, EVENT);
  if (!e)
    return leave(CUDA_ERROR_INVALID_HANDLE);
  e->recorded = 1;
  e->time_ms = clock_ms;
  return leave(CUDA_SUCCESS);
}

CUresult cuEventSynchronize(void *event) {
  ENTER();
  CUresult r = check_initialized();
  if (r)
    return leave(r);
  return leave(find_object(event, EVENT) ? CUDA_SUCCESS
                                         : CUDA_ERROR_INVALID_HANDLE);
}

CUresult cuEventElapsedTime_v2(float *ms, void *start, void *end) {
  ENTER();
  CUresult r = check_initialized();
  if (r)
    return leave(r);
  event_t *s = (event_t *)find_object(start, EVENT);
  event_t *e = (event_t *)find_object(end, EVENT);
  if (!ms)
    return leave(CUDA_ERROR_INVALID_VALUE);
  /* As the driver: never recorded or created without timing. */
  if (!s || !e || !s->recorded || !e->recorded || !s->timing || !e->timing)
    return leave(CUDA_ERROR_INVALID_HANDLE);
  *ms = (float)(e->time_ms - s->time_ms);
  return leave(CUDA_SUCCESS);
}

/*===-- Modules -----------------------------------------------------------===*/

/* Appends `text` to the JIT error log the options ask for, and reports the
 * bytes written through the size option as the driver does. */
static void write_jit_log(unsigned num_options, const int *options,
                          void **values, const char *text) {
  char *buffer = NULL;
  size_t size = 0;
  unsigned size_index = num_options;
  for (unsigned i = 0; i < num_options; ++i) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
      buffer = values[i];
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) {
      size = (size_t)(uintptr_t)values[i];
      size_index = i;
    }
  }
  if (!buffer || size == 0)
    return;
  snprintf(buffer, size, "%s", text);
  values[size_index] = (void *)(uintptr_t)(strlen(buffer) + 1);
}

/* Parses the binary image into `module`. */
static CUresult parse_binary(const unsigned char *image, module_t *module) {
  weft_fake_cuda_image_header_t header;
  memcpy(&header, image, sizeof(header));
  if (header.num_kernels > 1024)
    return CUDA_ERROR_INVALID_IMAGE;
  module->functions = calloc(header.num_kernels + 1, sizeof(function_t));
  module->count = header.num_kernels;
  for (uint32_t i = 0; i < header.num_kernels; ++i) {
    weft_fake_cuda_image_kernel_t entry;
    memcpy(&entry, image + sizeof(header) + i * sizeof(entry), sizeof(entry));
    if (!memchr(entry.name, '\0', sizeof(entry.name)))
      return CUDA_ERROR_INVALID_IMAGE;
    if (!entry.kernel && !(entry.kernel = builtin_kernel(entry.name)))
      return CUDA_ERROR_INVALID_IMAGE;
    memcpy(module->functions[i].name, entry.name, sizeof(entry.name));
    module->functions[i].kernel = entry.kernel;
  }
  return CUDA_SUCCESS;
}

/* Parses fake PTX into `module`; a bad line is a ptxas error in `log`. */
static CUresult parse_ptx(const char *ptx, module_t *module, char *log,
                          size_t log_size) {
  unsigned capacity = 0;
  int line_number = 0;
  for (const char *line = ptx; *line;) {
    const char *end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    char text[256];
    snprintf(text, sizeof(text), "%.*s", (int)length, line);
    ++line_number;
    line = end ? end + 1 : line + length;
    char *p = text;
    while (isspace((unsigned char)*p))
      ++p;
    if (!*p || strncmp(p, "//", 2) == 0)
      continue;
    char name[56];
    unsigned long long address = 0;
    int consumed = 0, fields = sscanf(p, ".entry %55s %n%lli %n", name,
                                      &consumed, &address, &consumed);
    /* ".entry NAME": a built-in kernel. */
    if (fields == 1 && p[consumed] == '\0')
      address = (uintptr_t)builtin_kernel(name);
    if (fields < 1 || p[consumed] != '\0' || address == 0) {
      char directive[64];
      sscanf(p, "%63s", directive);
      snprintf(log, log_size,
               "ptxas application ptx input, line %d; error   : Unknown "
               "directive '%s'\nptxas fatal   : Ptx assembly aborted due to "
               "errors\n",
               line_number, directive);
      return CUDA_ERROR_INVALID_PTX;
    }
    if (module->count == capacity) {
      capacity = capacity ? 2 * capacity : 4;
      module->functions =
          realloc(module->functions, capacity * sizeof(function_t));
    }
    function_t *f = &module->functions[module->count++];
    memset(f, 0, sizeof(*f));
    memcpy(f->name, name, sizeof(name));
    f->kernel = (weft_fake_cuda_kernel_t)(uintptr_t)address;
  }
  return CUDA_SUCCESS;
}

CUresult cuModuleLoadDataEx(void **module, const void *image,
                            unsigned num_options, int *options, void **values) {
  ENTER();
  CUresult r = check_context();
  if (r)
    return leave(r);
  if (!module || !image || (num_options && (!options || !values)))
    return leave(CUDA_ERROR_INVALID_VALUE);
  module_t *m = calloc(1, sizeof(*m));
  const unsigned char *bytes = image;
  char log[512] = "";
  /* strncmp: PTX may be shorter than the magic. */
  int binary = strncmp(image, WEFT_FAKE_CUDA_IMAGE_MAGIC, 8) == 0;
  if (binary)
    r = parse_binary(bytes, m);
  else if (bytes[0] == '.' || bytes[0] == '/' || isspace(bytes[0]))
    r = parse_ptx(image, m, log, sizeof(log));
  else
    r = CUDA_ERROR_INVALID_IMAGE;
  if (r) {
    write_jit_log(num_options, options, values, log);
    free(m->functions);
    free(m);
    return leave(r);
  }
  for (unsigned i = 0; i < m->count; ++i)
    m->functions[i].max_dynamic_shared = DEFAULT_MAX_SHARED;
  ++images_loaded[binary ? 0 : 1];
  add_object(&m->base, MODULE);
  *module = m;
  return leave(CUDA_SUCCESS);
}

CUresult cuModuleUnload(void *module) {
  ENTER();
  CUresult r = check_initialized();
  if (r)
    return leave(r);
  module_t *m = (module_t *)find_object(module, MODULE);
  if (!m)
    return leave(CUDA_ERROR_INVALID_HANDLE);
  remove_object(&m->base);
  free(m->functions);
  free(m);
  return leave(CUDA_SUCCESS);
}

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  ENTER();
  CUresult r = check_initialized();
  if (r)
    return leave(r);
  module_t *m = (module_t *)find_object(module, MODULE);
  if (!m)
    return leave(CUDA_ERROR_INVALID_HANDLE);
  if (!function || !name)
    return leave(CUDA_ERROR_INVALID_VALUE);
  for (unsigned i = 0; i < m->count; ++i)
    if (strcmp(m->functions[i].name, name) == 0) {
      *function = &m->functions[i];
      return leave(CUDA_SUCCESS);
    }
  return leave(CUDA_ERROR_NOT_FOUND);
}

CUresult cuModuleGetFunctionCount(unsigned *count, void *module) {
  ENTER();
  module_t *m = (module_t *)find_object(module, MODULE);
  if (!m || !count)
    return leave(m ? CUDA_ERROR_INVALID_VALUE : CUDA_ERROR_INVALID_HANDLE);
  *count = m->count;
  return leave(CUDA_SUCCESS);
}

CUresult cuModuleEnumerateFunctions(void **functions, unsigned count,
                                    void *module) {
  ENTER();
  module_t *m = (module_t *)find_object(module, MODULE);
  if (!m || !functions)
    return leave(m ? CUDA_ERROR_INVALID_VALUE : CUDA_ERROR_INVALID_HANDLE);
  for (unsigned i = 0; i < count && i < m->count; ++i)
    functions[i] = &m->functions[i];
  return leave(CUDA_SUCCESS);
}

CUresult cuFuncGetName(const char **name, void *function) {
  ENTER();
  function_t *f = find_function(function);
  if (!f || !name)
    return leave(f ? CUDA_ERROR_INVALID_VALUE : CUDA_ERROR_INVALID_HANDLE);
  *name = f->name;
  return leave(CUDA_SUCCESS);
}

CUresult cuFuncSetAttribute(void *function, int attribute, int value) {
  ENTER();
  CUresult r = check_initialized();
  if (r)
    return leave(r);
  function_t *f = find_function(function);
  if (!f)
    return leave(CUDA_ERROR_INVALID_HANDLE);
  if (attribute != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES ||
      value < 0 || value > WEFT_FAKE_CUDA_MAX_SHARED_OPT_IN)
    return leave(CUDA_ERROR_INVALID_VALUE);
  f->max_dynamic_shared = value;
  return leave(CUDA_SUCCESS);
}

#ifndef WEFT_FAKE_CUDA_WITHOUT_LAUNCH
CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz,
                        unsigned shared_bytes, void *stream, void **params,
                        void **extra) {
  ENTER();
  CUresult r = check_context();
  if (r || (r = check_stream(stream)))
    return leave(r);
  function_t *f = find_function(function);
  if (!f)
    return leave(CUDA_ERROR_INVALID_HANDLE);
  /* The limits of every device since compute capability 3.0. */
  unsigned long long threads = (unsigned long long)bx * by * bz;
  if (!gx || !gy || !gz || !bx || !by || !bz || gy > 65535 || gz > 65535 ||
      threads > 1024 || bz > 64 || extra ||
      shared_bytes > (unsigned)f->max_dynamic_shared)
    return leave(CUDA_ERROR_INVALID_VALUE);
  weft_fake_cuda_launch_t launch = {
      {gx, gy, gz}, {bx, by, bz}, shared_bytes, NULL};
  if (shared_bytes)
    launch.shared = calloc(1, shared_bytes);
  f->kernel(&launch, params);
  free(launch.shared);
  clock_ms += 1.0;
  return leave(CUDA_SUCCESS);
}
#endif

/*===-- Tensor maps -------------------------------------------------------===*/

#ifndef WEFT_FAKE_CUDA_WITHOUT_TENSOR_MAP
/* The element sizes of the data types modelled. */
static const int kTensorMapElementBytes[NUM_TENSOR_MAP_TYPES] = {
    1, 2, 4, 4, 8, 8, 2, 4, 8, 2, 4, 4, 4};

/* The checks cuda.h documents for a tiled map without interleave. */
static CUresult check_tensor_map(const weft_fake_cuda_tensor_map_call_t *c) {
  if (!c->map || (uintptr_t)c->map % 64 || c->data_type < 0 ||
      c->data_type >= NUM_TENSOR_MAP_TYPES || c->rank < 1 || c->rank > 5 ||
      !c->address || (uintptr_t)c->address % 16 || c->interleave != 0 ||
      c->swizzle < 0 || c->swizzle > 3 || c->l2_promotion < 0 ||
      c->l2_promotion > 3 || c->oob_fill < 0 || c->oob_fill > 1)
    return CUDA_ERROR_INVALID_VALUE;
  for (uint32_t d = 0; d < c->rank; ++d)
    if (c->dims[d] == 0 || c->dims[d] > ((uint64_t)1 << 32) || c->box[d] == 0 ||
        c->box[d] > 256 || c->element_strides[d] == 0 ||
        c->element_strides[d] > 8)
      return CUDA_ERROR_INVALID_VALUE;
  for (uint32_t d = 0; d + 1 < c->rank; ++d)
    if (c->strides[d] % 16 || c->strides[d] >= ((uint64_t)1 << 40))
      return CUDA_ERROR_INVALID_VALUE;
  uint64_t row = (uint64_t)c->box[0] * kTensorMapElementBytes[c->data_type];
  uint64_t span = c->swizzle ? 16u << c->swizzle : 0; /* 32, 64, 128 */
  if (row % 16 || (span && row > span))
    return CUDA_ERROR_INVALID_VALUE;
  return CUDA_SUCCESS;
}

CUresult cuTensorMapEncodeTiled(void *map, int data_type, uint32_t rank,
                                void *address, const uint64_t *dims,
                                const uint64_t *strides, const uint32_t *box,
                                const uint32_t *element_strides, int interleave,
                                int swizzle, int l2_promotion, int oob_fill) {
  CUresult injected = take_injected(__func__);
  pthread_mutex_lock(&lock);
  weft_fake_cuda_tensor_map_call_t *c = &last_tensor_map_call;
  *c = (weft_fake_cuda_tensor_map_call_t){
      .map = map,
      .data_type = data_type,
      .rank = rank,
      .address = address,
      .interleave = interleave,
      .swizzle = swizzle,
      .l2_promotion = l2_promotion,
      .oob_fill = oob_fill,
  };
  ++tensor_map_calls;
  CUresult r = injected;
  if (!r)
    r = check_context();
  if (!r && (rank < 1 || rank > 5 || !dims || !box || !element_strides ||
             (rank > 1 && !strides)))
    r = CUDA_ERROR_INVALID_VALUE;
  if (!r) {
    for (uint32_t d = 0; d < rank; ++d) {
      c->dims[d] = dims[d];
      c->box[d] = box[d];
      c->element_strides[d] = element_strides[d];
      if (d + 1 < rank)
        c->strides[d] = strides[d];
    }
    r = check_tensor_map(c);
  }
  c->result = r;
  if (r)
    return leave(r);
  weft_fake_cuda_tensor_map_t out;
  memset(&out, 0, sizeof(out));
  memcpy(out.magic, WEFT_FAKE_CUDA_TENSOR_MAP_MAGIC, 8);
  out.address = (uint64_t)(uintptr_t)address;
  memcpy(out.dims, c->dims, sizeof(out.dims));
  memcpy(out.strides, c->strides, sizeof(out.strides));
  memcpy(out.box, c->box, sizeof(out.box));
  out.data_type = data_type;
  out.rank = rank;
  out.interleave = (uint8_t)interleave;
  out.swizzle = (uint8_t)swizzle;
  out.l2_promotion = (uint8_t)l2_promotion;
  out.oob_fill = (uint8_t)oob_fill;
  out.serial = (uint64_t)tensor_map_calls;
  memcpy(map, &out, sizeof(out));
  memcpy(c->written, &out, sizeof(out));
  return leave(CUDA_SUCCESS);
}
#endif
