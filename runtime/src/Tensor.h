//===- Tensor.h - Host tensors and element types ----------------*- C++ -*-===//
//
// The definition of `weft_tensor` and the helpers every reader uses to check
// a shape before allocating anything for it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_TENSOR_H
#define WEFT_RUNTIME_SRC_TENSOR_H

#include "Status.h"

#include <memory>

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

/// Element `i` of `data`, converted to double.
double loadElement(weft_dtype_t dtype, const void *data, int64_t i);
/// Stores `value` rounded to `dtype` (float types) or truncated (integers,
/// callers range-check).
void storeFloat(weft_dtype_t dtype, void *data, int64_t i, double value);
void storeInteger(weft_dtype_t dtype, void *data, int64_t i, int64_t value);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_TENSOR_H
