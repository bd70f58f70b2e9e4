//===- Tensor.h - Host tensors and element types ----------------*- C++ -*-===//
//
// The definition of `weft_tensor`, the helpers every reader uses to check a
// shape before allocating anything for it, the one "expected ..., found ..."
// type check, and element access by dtype.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_TENSOR_H
#define WEFT_RUNTIME_SRC_TENSOR_H

#include "Status.h"

#include <memory>
#include <string_view>

struct weft_tensor {
  weft_dtype_t dtype;
  int64_t rank;
  int64_t shape[WEFT_MAX_RANK];
  int64_t numElements;
  size_t numBytes;
  void *allocation; // What calloc returned; `data` is aligned inside it.
  void *data;
};

namespace weft::runtime {

/// Storage alignment of every tensor, enough for any vector load.
constexpr size_t kTensorAlignment = 64;

bool isValidDtype(weft_dtype_t dtype);
bool isIntegerDtype(weft_dtype_t dtype);

/// "f16, bf16, f32, f64, i32 or i64", for messages about a dtype name.
extern const char kDtypeNames[];
/// The dtype named `name` ("f32"); false when there is none.
bool lookupDtype(std::string_view name, weft_dtype_t &dtype);

/// Checks a shape (rank <= WEFT_MAX_RANK, sizes >= 0, no overflow of the
/// element or byte count) and returns both counts. Messages say what is
/// wrong with the shape; callers prefix where it came from.
Status checkShape(weft_dtype_t dtype, const int64_t *shape, int64_t rank,
                  int64_t *numElements, size_t *numBytes);

struct TensorDeleter {
  void operator()(weft_tensor *t) const { weft_tensor_free(t); }
};
using TensorPtr = std::unique_ptr<weft_tensor, TensorDeleter>;

/// weft_tensor_create for C++ callers.
Status createTensor(weft_dtype_t dtype, const int64_t *shape, int64_t rank,
                    TensorPtr &out);

/// Succeeds when the found type equals the expected one, else fails with
/// "expected f32 [64, 192], found f32 [192, 64]"; callers prefix what the
/// tensor is.
Status checkType(weft_dtype_t dtype, const int64_t *shape, int64_t rank,
                 weft_dtype_t foundDtype, const int64_t *foundShape,
                 int64_t foundRank);

/// Checks that the box [offsets, offsets + boxShape) lies inside a tensor
/// of `dtype` and `shape` and that a tensor of `boxDtype` and `boxShape` can
/// hold it (same dtype and rank). Messages say what is wrong with the
/// slice; callers prefix which tensor it is.
Status checkSlice(weft_dtype_t dtype, const int64_t *shape, int64_t rank,
                  const int64_t *offsets, weft_dtype_t boxDtype,
                  const int64_t *boxShape, int64_t boxRank);

/// Copies the box [offsets, offsets + boxShape) of the dense row-major array
/// `src` of `shape` into the dense array `dst` of `boxShape`, one memcpy per
/// contiguous run: the trailing dimensions the box spans whole merge with
/// the first one it cuts, so only the box's bytes are read. Returns the
/// bytes copied. The box must have passed checkSlice.
size_t copySlice(size_t elementSize, const void *src, const int64_t *shape,
                 int64_t rank, const int64_t *offsets, const int64_t *boxShape,
                 void *dst);

/// Element `i` (row-major) of `data`: loadElement converts any dtype to
/// double, loadInteger reads i32 and i64 exactly (0 for float dtypes).
double loadElement(weft_dtype_t dtype, const void *data, int64_t i);
int64_t loadInteger(weft_dtype_t dtype, const void *data, int64_t i);
/// Stores `value` rounded to nearest, ties to even; `dtype` is a float type.
void storeFloat(weft_dtype_t dtype, void *data, int64_t i, double value);
/// Stores `value` truncated to `dtype`, an integer type (callers
/// range-check).
void storeInteger(weft_dtype_t dtype, void *data, int64_t i, int64_t value);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_TENSOR_H
