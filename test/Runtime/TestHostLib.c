/*===- TestHostLib.c - Host code for the runtime tests --------------------===
 *
 * Stands in for weft-compile's output: entry functions with the ABI of
 * docs/artifact.md, reading strided memref descriptors. Each checks that its
 * descriptors are what the runtime promises (dense, row-major, offset 0,
 * 64-byte aligned, the manifest's sizes) and writes NaN or -1 into its
 * results otherwise, so a descriptor bug shows up as a wrong result.
 *
 *===----------------------------------------------------------------------===*/

#include <math.h>
#include <stdint.h>

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
void weft_entry_add(void **args) {
  static const int64_t shape[] = {2, 3};
  const MemRef *a = args[0], *b = args[1];
  MemRef *sum = args[2];
  int ok = isDense(a, 2, shape) && isDense(b, 2, shape) &&
           isDense(sum, 2, shape);
  const float *x = a->aligned, *y = b->aligned;
  float *out = sum->aligned;
  for (int i = 0; i < 6; ++i)
    out[i] = ok ? x[i] + y[i] : NAN;
}

/* y = x * s: x a 2x3xf32 input, s an f32 scalar weight (rank 0). */
void weft_entry_scale(void **args) {
  static const int64_t shape[] = {2, 3};
  const MemRef *x = args[0], *s = args[1];
  MemRef *y = args[2];
  int ok = isDense(x, 2, shape) && isDense(s, 0, shape) &&
           isDense(y, 2, shape);
  const float *in = x->aligned;
  float factor = *(const float *)s->aligned;
  float *out = y->aligned;
  for (int i = 0; i < 6; ++i)
    out[i] = ok ? in[i] * factor : NAN;
}

/* out[0, t, :] = table[ids[0, t], :]: ids a 1x4xi32 input (index_bound 8),
 * table an 8x2xf32 weight, out 1x4x2xf32. The runtime checks the bound, so
 * this trusts the ids as compiled code does. */
void weft_entry_embed(void **args) {
  static const int64_t idsShape[] = {1, 4}, tableShape[] = {8, 2},
                       outShape[] = {1, 4, 2};
  const MemRef *ids = args[0], *table = args[1];
  MemRef *out = args[2];
  int ok = isDense(ids, 2, idsShape) && isDense(table, 2, tableShape) &&
           isDense(out, 3, outShape);
  const int32_t *index = ids->aligned;
  const float *rows = table->aligned;
  float *result = out->aligned;
  for (int t = 0; t < 4; ++t)
    for (int j = 0; j < 2; ++j)
      result[t * 2 + j] = ok ? rows[index[t] * 2 + j] : NAN;
}

/* count = the number of elements of x (an i64 scalar result) for an
 * f64 input of shape 0x3: exercises empty tensors and i64/f64 types. */
void weft_entry_count(void **args) {
  static const int64_t shape[] = {0, 3};
  const MemRef *x = args[0];
  MemRef *count = args[1];
  int ok = isDense(x, 2, shape) && isDense(count, 0, shape);
  *(int64_t *)count->aligned = ok ? x->sizesAndStrides[0] * x->sizesAndStrides[1] : -1;
}
