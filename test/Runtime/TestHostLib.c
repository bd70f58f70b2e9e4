/*===- TestHostLib.c - Host code for the runtime tests --------------------===
 *
 * Stands in for weft-compile's output: entry functions with the ABI of
 * docs/artifact.md, reading strided memref descriptors. Each checks that its
 * descriptors are what the runtime promises (dense, row-major, offset 0,
 * 64-byte aligned, the manifest's sizes) and writes NaN or -1 into its
 * results otherwise, so a descriptor bug shows up as a wrong result.
 *
 * The functions of a module without a mesh (add, scale, embed, count)
 * check that they receive no collective table and no device table. Those
 * of the partitioned test module (regather, allsum, where, bad;
 * RuntimeTestSupport's testShardedManifest, on a mesh of one or two axes)
 * run collectives through the table, as compiled code does: no symbol of
 * the runtime is linked, every call goes through its function pointers.
 * Those of the CUDA test module (scale_add, bad_kernel, bad_grid,
 * bad_free, allsum_device, and with tensor maps tensor_map_copy and
 * bad_tensor_map; testCudaManifest) get descriptors of device buffers and
 * launch the fake driver's built-in kernels (FakeCudaDriver.h) through the
 * device table.
 *
 *===----------------------------------------------------------------------===*/

#include "weft/collectives.h"
#include "weft/device_table.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} MemRef;

/* Dense row-major descriptor of the given shape, as the runtime builds. */
static int isDense(const MemRef *m, int64_t rank, const int64_t *shape) {
  if (m->offset != 0 || m->allocated != m->aligned ||
      (uintptr_t)m->aligned % 64 != 0)
    return 0;
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (m->sizesAndStrides[d] != shape[d] ||
        m->sizesAndStrides[rank + d] != stride)
      return 0;
    stride *= shape[d];
  }
  return 1;
}

/* sum = a + b, all 2x3xf32 inputs. */
void weft_entry_add(void **args, const weft_collective_table_t *collectives,
                    const weft_device_table_t *device) {
  static const int64_t shape[] = {2, 3};
  const MemRef *a = args[0], *b = args[1];
  MemRef *sum = args[2];
  int ok = !collectives && !device && isDense(a, 2, shape) &&
           isDense(b, 2, shape) && isDense(sum, 2, shape);
  const float *x = a->aligned, *y = b->aligned;
  float *out = sum->aligned;
  for (int i = 0; i < 6; ++i)
    out[i] = ok ? x[i] + y[i] : NAN;
}

/* y = x * s: x a 2x3xf32 input, s an f32 scalar weight (rank 0). */
void weft_entry_scale(void **args, const weft_collective_table_t *collectives,
                      const weft_device_table_t *device) {
  static const int64_t shape[] = {2, 3};
  const MemRef *x = args[0], *s = args[1];
  MemRef *y = args[2];
  int ok = !collectives && !device && isDense(x, 2, shape) &&
           isDense(s, 0, shape) && isDense(y, 2, shape);
  const float *in = x->aligned;
  float factor = *(const float *)s->aligned;
  float *out = y->aligned;
  for (int i = 0; i < 6; ++i)
    out[i] = ok ? in[i] * factor : NAN;
}

/* out[0, t, :] = table[ids[0, t], :]: ids a 1x4xi32 input (index_bound 8),
 * table an 8x2xf32 weight, out 1x4x2xf32. The runtime checks the bound, so
 * this trusts the ids as compiled code does. */
void weft_entry_embed(void **args, const weft_collective_table_t *collectives,
                      const weft_device_table_t *device) {
  static const int64_t idsShape[] = {1, 4}, tableShape[] = {8, 2},
                       outShape[] = {1, 4, 2};
  const MemRef *ids = args[0], *table = args[1];
  MemRef *out = args[2];
  int ok = !collectives && !device && isDense(ids, 2, idsShape) &&
           isDense(table, 2, tableShape) && isDense(out, 3, outShape);
  const int32_t *index = ids->aligned;
  const float *rows = table->aligned;
  float *result = out->aligned;
  for (int t = 0; t < 4; ++t)
    for (int j = 0; j < 2; ++j)
      result[t * 2 + j] = ok ? rows[index[t] * 2 + j] : NAN;
}

/* count = the number of elements of x (an i64 scalar result) for an
 * f64 input of shape 0x3: exercises empty tensors and i64/f64 types. */
void weft_entry_count(void **args, const weft_collective_table_t *collectives,
                      const weft_device_table_t *device) {
  static const int64_t shape[] = {0, 3};
  const MemRef *x = args[0];
  MemRef *count = args[1];
  int ok = !collectives && !device && isDense(x, 2, shape) &&
           isDense(count, 0, shape);
  *(int64_t *)count->aligned =
      ok ? x->sizesAndStrides[0] * x->sizesAndStrides[1] : -1;
}

/*===-- The partitioned module
 * ---------------------------------------------===*/

/* The table as promised: this version and size, a communicator, a mesh of
 * one or two axes (what testShardedManifest builds) and this device's
 * coordinates inside it, matching its rank. */
static int tableOk(const weft_collective_table_t *t) {
  if (!t || t->version != WEFT_COLLECTIVE_TABLE_VERSION ||
      t->struct_size != sizeof(*t) || !t->communicator || t->mesh_rank < 1 ||
      t->mesh_rank > 2)
    return 0;
  int64_t rank = 0, size = 1;
  for (int64_t a = 0; a < t->mesh_rank; ++a) {
    if (t->coordinates[a] < 0 || t->coordinates[a] >= t->mesh_shape[a])
      return 0;
    rank = rank * t->mesh_shape[a] + t->coordinates[a];
    size *= t->mesh_shape[a];
  }
  return rank == t->rank && size == t->size;
}

/* Devices along axis 1, or 1 on a one-axis mesh. */
static int64_t columns(const weft_collective_table_t *t) {
  return t->mesh_rank == 2 ? t->mesh_shape[1] : 1;
}

static const int64_t kAxis0[] = {0}, kAxis1[] = {1}, kAxes01[] = {0, 1};

static void fillNan(float *data, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    data[i] = NAN;
}

/* whole = w: w an f32 weight [2 S0, 3 S1] whose dimension d is split over
 * mesh axis d (each device holds [2, 3]), whole the f32 result of the
 * whole shape. All-gathers the columns over axis 1, then the rows over
 * axis 0: equal to the weight only if every device was given its own
 * slice. */
void weft_entry_regather(void **args,
                         const weft_collective_table_t *collectives,
                         const weft_device_table_t *device) {
  const MemRef *w = args[0];
  MemRef *whole = args[1];
  const weft_collective_table_t *t = collectives;
  int ok = tableOk(t) && !device;
  int64_t rows = ok ? 2 * t->mesh_shape[0] : 0, cols = ok ? 3 * columns(t) : 0;
  const int64_t local[] = {2, 3}, wide[] = {2, cols}, full[] = {rows, cols};
  ok = ok && isDense(w, 2, local) && isDense(whole, 2, full);
  float *out = whole->aligned;
  if (!ok) {
    fillNan(out, whole->sizesAndStrides[0] * whole->sizesAndStrides[1]);
    return;
  }
  float *rowsOfThisDevice = malloc(sizeof(float) * 2 * cols);
  const float *gathered = w->aligned;
  if (t->mesh_rank == 2) {
    ok = t->all_gather(t->communicator, kAxis1, 1, WEFT_DTYPE_F32, 2, local, 1,
                       w->aligned, rowsOfThisDevice) == 0;
    gathered = rowsOfThisDevice;
  }
  ok = ok && t->all_gather(t->communicator, kAxis0, 1, WEFT_DTYPE_F32, 2, wide,
                           0, gathered, out) == 0;
  free(rowsOfThisDevice);
  if (!ok)
    fillNan(out, rows * cols);
}

/* sum = the sum over every device of its slice of x: x an f32 input split
 * like regather's w, sum f32 [2, 3]. An all_reduce over all mesh axes. */
void weft_entry_allsum(void **args, const weft_collective_table_t *collectives,
                       const weft_device_table_t *device) {
  const MemRef *x = args[0];
  MemRef *sum = args[1];
  const weft_collective_table_t *t = collectives;
  const int64_t local[] = {2, 3};
  int ok =
      tableOk(t) && !device && isDense(x, 2, local) && isDense(sum, 2, local);
  ok = ok &&
       t->all_reduce(t->communicator, kAxes01, t->mesh_rank, WEFT_REDUCTION_SUM,
                     WEFT_DTYPE_F32, 6, x->aligned, sum->aligned) == 0;
  if (!ok)
    fillNan(sum->aligned, 6);
}

/* Where every device is: coords (i64 [devices, mesh_rank]) gathers each
 * device's table->coordinates in rank order; ids_whole (i32 [1, 4 S0])
 * gathers ids, an index input (bound 8) whose dimension 1 is split over
 * axis 0, back into one piece. */
void weft_entry_where(void **args, const weft_collective_table_t *collectives,
                      const weft_device_table_t *device) {
  const MemRef *ids = args[0];
  MemRef *coords = args[1], *idsWhole = args[2];
  const weft_collective_table_t *t = collectives;
  int ok = tableOk(t) && !device;
  const int64_t local[] = {1, 4};
  const int64_t one[] = {1, ok ? t->mesh_rank : 0};
  const int64_t all[] = {ok ? t->size : 0, ok ? t->mesh_rank : 0};
  const int64_t whole[] = {1, ok ? 4 * t->mesh_shape[0] : 0};
  ok = ok && isDense(ids, 2, local) && isDense(coords, 2, all) &&
       isDense(idsWhole, 2, whole);
  ok = ok &&
       t->all_gather(t->communicator, kAxes01, t->mesh_rank, WEFT_DTYPE_I64, 2,
                     one, 0, t->coordinates, coords->aligned) == 0;
  ok = ok && t->all_gather(t->communicator, kAxis0, 1, WEFT_DTYPE_I32, 2, local,
                           1, ids->aligned, idsWhole->aligned) == 0;
  if (!ok) {
    memset(coords->aligned, 0xff,
           sizeof(int64_t) * coords->sizesAndStrides[0] *
               coords->sizesAndStrides[1]);
    memset(idsWhole->aligned, 0xff,
           sizeof(int32_t) * idsWhole->sizesAndStrides[1]);
  }
}

/* y = x (f32 [2], whole), after an all_reduce over a mesh axis the mesh
 * does not have: the failure travels back through the table's status
 * while the function carries on, as compiled code may. */
void weft_entry_bad(void **args, const weft_collective_table_t *collectives,
                    const weft_device_table_t *device) {
  const MemRef *x = args[0];
  MemRef *y = args[1];
  const weft_collective_table_t *t = collectives;
  if (tableOk(t) && !device) {
    const int64_t missing[] = {t->mesh_rank};
    float scratch[2];
    t->all_reduce(t->communicator, missing, 1, WEFT_REDUCTION_SUM,
                  WEFT_DTYPE_F32, 2, x->aligned, scratch);
  }
  memcpy(y->aligned, x->aligned, 2 * sizeof(float));
}

/*===-- The CUDA module ---------------------------------------------------===*/

/* The device table as promised: this version and size, every entry. */
static int deviceOk(const weft_device_table_t *d) {
  return d && d->version == WEFT_DEVICE_TABLE_VERSION &&
         d->struct_size == sizeof(*d) && d->device && d->launch &&
         d->allocate && d->deallocate && d->encode_tensor_map;
}

/* Launches `kernel` (a, b, c, n) over n elements, as compiled code passes
 * parameters (buffers as their addresses, n as a 64-bit integer), in
 * blocks of 4 threads along x. */
static int32_t launch(const weft_device_table_t *d, int64_t kernel,
                      const int64_t *grid, const void *a, const void *b,
                      void *c, int64_t n) {
  uint64_t pa = (uintptr_t)a, pb = (uintptr_t)b, pc = (uintptr_t)c;
  void *params[] = {&pa, &pb, &pc, &n};
  const int64_t block[] = {4, 1, 1};
  return d->launch(d->device, kernel, grid, block, 0, params);
}

static const int64_t kGrid2[] = {2, 1, 1};

/* y = s * x + b on a CUDA device: x and b 2x3xf32 inputs, s an f32
 * scalar weight, y 2x3xf32. As compiled code does: kernel 0
 * (weft_test_scale) writes s * x into a temporary allocated through the
 * device table, kernel 1 (weft_test_add) adds b into y, and the temporary
 * is deallocated; failures are the runtime's to report. Device memory is
 * never touched here: when a descriptor is wrong nothing is launched and
 * y keeps what the device memory held. */
void weft_entry_scale_add(void **args,
                          const weft_collective_table_t *collectives,
                          const weft_device_table_t *device) {
  static const int64_t shape[] = {2, 3};
  const MemRef *x = args[0], *s = args[1], *b = args[2];
  MemRef *y = args[3];
  if (collectives || !deviceOk(device) || !isDense(x, 2, shape) ||
      !isDense(s, 0, shape) || !isDense(b, 2, shape) || !isDense(y, 2, shape))
    return;
  void *t = NULL;
  device->allocate(device->device, 6 * sizeof(float), &t);
  launch(device, 0, kGrid2, x->aligned, s->aligned, t, 6);
  launch(device, 1, kGrid2, t, b->aligned, y->aligned, 6);
  device->deallocate(device->device, t);
}

/* Misuses of the device table, each of a function x: f32 [2] -> y: f32
 * [2] whose y = x + x is launched after the misuse (and must not run). */
void weft_entry_bad_kernel(void **args,
                           const weft_collective_table_t *collectives,
                           const weft_device_table_t *device) {
  const MemRef *x = args[0];
  MemRef *y = args[1];
  (void)collectives;
  launch(device, 2, kGrid2, x->aligned, x->aligned, y->aligned, 2);
  launch(device, 1, kGrid2, x->aligned, x->aligned, y->aligned, 2);
}

void weft_entry_bad_grid(void **args,
                         const weft_collective_table_t *collectives,
                         const weft_device_table_t *device) {
  static const int64_t huge[] = {1, (int64_t)1 << 32, 1};
  const MemRef *x = args[0];
  MemRef *y = args[1];
  (void)collectives;
  launch(device, 0, huge, x->aligned, x->aligned, y->aligned, 2);
  launch(device, 1, kGrid2, x->aligned, x->aligned, y->aligned, 2);
}

/* Deallocates an argument's buffer, which allocate did not return, and
 * never deallocates its temporary: the runtime frees it. */
void weft_entry_bad_free(void **args,
                         const weft_collective_table_t *collectives,
                         const weft_device_table_t *device) {
  const MemRef *x = args[0];
  MemRef *y = args[1];
  (void)collectives;
  void *t = NULL;
  device->allocate(device->device, 64, &t);
  device->deallocate(device->device, x->aligned);
  launch(device, 1, kGrid2, x->aligned, x->aligned, y->aligned, 2);
}

/* sum = the all_reduce over mesh axis 0 of x + x: x and sum f32 [2, 3],
 * on a mesh (testCudaManifest with its mesh replaced). Kernel 1
 * (weft_test_add) writes x + x into a temporary, which the collective
 * reads: the runtime must order the collective after the kernel. Without
 * a collective table nothing runs. */
void weft_entry_allsum_device(void **args,
                              const weft_collective_table_t *collectives,
                              const weft_device_table_t *device) {
  static const int64_t shape[] = {2, 3};
  const MemRef *x = args[0];
  MemRef *sum = args[1];
  const weft_collective_table_t *t = collectives;
  if (!tableOk(t) || !deviceOk(device) || !isDense(x, 2, shape) ||
      !isDense(sum, 2, shape))
    return;
  void *twice = NULL;
  device->allocate(device->device, 6 * sizeof(float), &twice);
  launch(device, 1, kGrid2, x->aligned, x->aligned, twice, 6);
  t->all_reduce(t->communicator, kAxis0, 1, WEFT_REDUCTION_SUM, WEFT_DTYPE_F32,
                6, twice, sum->aligned);
  device->deallocate(device->device, twice);
}

/*===-- Tensor maps -------------------------------------------------------===*/

/* y = x[:, :4]: x an f32 [4, 8] input, y f32 [4, 4]. As a TMA kernel's host
 * code does: a tensor map of x's first four columns (dims {4, 4} innermost
 * first, rows 32 bytes apart), passed by value to kernel 2
 * (weft_test_tensor_map_copy), which copies what the map describes. The
 * box and swizzle are a TMA kernel's; the fake's kernel reads the map's
 * tensor whole. */
void weft_entry_tensor_map_copy(void **args,
                                const weft_collective_table_t *collectives,
                                const weft_device_table_t *device) {
  static const int64_t shape[] = {4, 8}, half[] = {4, 4};
  const MemRef *x = args[0];
  MemRef *y = args[1];
  if (collectives || !deviceOk(device) || !isDense(x, 2, shape) ||
      !isDense(y, 2, half))
    return;
  _Alignas(WEFT_TENSOR_MAP_ALIGNMENT) unsigned char map[WEFT_TENSOR_MAP_BYTES];
  const int64_t dims[] = {4, 4}, strides[] = {8 * sizeof(float)};
  const int32_t box[] = {4, 2};
  if (device->encode_tensor_map(device->device, map, WEFT_TENSOR_MAP_F32, 2,
                                x->aligned, dims, strides, box, 32))
    return;
  uint64_t py = (uintptr_t)y->aligned;
  int64_t n = 16;
  void *params[] = {map, &py, &n};
  const int64_t grid[] = {4, 1, 1}, block[] = {4, 1, 1};
  device->launch(device->device, 2, grid, block, 0, params);
}

/* A tensor map of rank 6, which encode_tensor_map refuses (returning 1)
 * without calling the driver. Then, only if it did return 1, a valid map of
 * x, and only if that returned 0 another: the fake driver counts two
 * encodes exactly when both results were right. The launch of y = x + x
 * after them must not run. */
void weft_entry_bad_tensor_map(void **args,
                               const weft_collective_table_t *collectives,
                               const weft_device_table_t *device) {
  const MemRef *x = args[0];
  MemRef *y = args[1];
  (void)collectives;
  _Alignas(WEFT_TENSOR_MAP_ALIGNMENT) unsigned char map[WEFT_TENSOR_MAP_BYTES];
  const int64_t dims[] = {2, 1, 1, 1, 1, 1}, strides[] = {16, 16, 16, 16, 16};
  const int32_t box[] = {4, 1, 1, 1, 1, 1};
  if (device->encode_tensor_map(device->device, map, WEFT_TENSOR_MAP_F32, 6,
                                x->aligned, dims, strides, box, 0) == 1 &&
      device->encode_tensor_map(device->device, map, WEFT_TENSOR_MAP_F32, 1,
                                x->aligned, dims, NULL, box, 0) == 0)
    device->encode_tensor_map(device->device, map, WEFT_TENSOR_MAP_F32, 1,
                              x->aligned, dims, NULL, box, 0);
  launch(device, 1, kGrid2, x->aligned, x->aligned, y->aligned, 2);
}
