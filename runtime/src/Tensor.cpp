//===- Tensor.cpp - Host tensors and element types ------------------------===//
//
// Element types, dense tensors with 64-byte aligned zeroed storage, and the
// one element access that literals, index checks and printing share.
//
//===----------------------------------------------------------------------===//

#include "Tensor.h"
#include "Float16.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace weft::runtime;

// Tensor data is copied byte for byte from little-endian files.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the Weft runtime supports little-endian hosts only");

bool weft::runtime::isValidDtype(weft_dtype_t dtype) {
  return dtype >= WEFT_DTYPE_F16 && dtype <= WEFT_DTYPE_I64;
}

bool weft::runtime::isIntegerDtype(weft_dtype_t dtype) {
  return dtype == WEFT_DTYPE_I32 || dtype == WEFT_DTYPE_I64;
}

const char weft::runtime::kDtypeNames[] = "f16, bf16, f32, f64, i32 or i64";

bool weft::runtime::lookupDtype(std::string_view name, weft_dtype_t &dtype) {
  for (int d = WEFT_DTYPE_F16; d <= WEFT_DTYPE_I64; ++d) {
    auto candidate = static_cast<weft_dtype_t>(d);
    if (name == weft_dtype_name(candidate)) {
      dtype = candidate;
      return true;
    }
  }
  return false;
}

Status weft::runtime::checkShape(weft_dtype_t dtype, const int64_t *shape,
                                 int64_t rank, int64_t *numElements,
                                 size_t *numBytes) {
  if (!isValidDtype(dtype))
    return error("invalid dtype ", static_cast<int>(dtype));
  if (rank < 0 || rank > WEFT_MAX_RANK)
    return error("rank ", rank, " is outside [0, ", WEFT_MAX_RANK, "]");
  if (rank > 0 && !shape)
    return error("shape of rank ", rank, " is null");
  bool empty = false;
  for (int64_t i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return error("shape ", formatShape(shape, rank), " has negative size ",
                   shape[i]);
    empty |= shape[i] == 0;
  }
  // A zero anywhere makes the product zero however large the other sizes.
  int64_t count = empty ? 0 : 1;
  for (int64_t i = 0; i < rank && !empty; ++i)
    if (__builtin_mul_overflow(count, shape[i], &count))
      return error("shape ", formatShape(shape, rank),
                   " has more elements than fit in 63 bits");
  size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(count),
                             weft_dtype_size(dtype), &bytes) ||
      bytes > static_cast<size_t>(INT64_MAX))
    return error("shape ", formatShape(shape, rank), " of ",
                 weft_dtype_name(dtype), " needs more bytes than fit in 63 bits");
  *numElements = count;
  *numBytes = bytes;
  return Status();
}

Status weft::runtime::createTensor(weft_dtype_t dtype, const int64_t *shape,
                                   int64_t rank, TensorPtr &out) {
  int64_t count = 0;
  size_t bytes = 0;
  WEFT_RETURN_IF_ERROR(checkShape(dtype, shape, rank, &count, &bytes));
  if (bytes > SIZE_MAX - kTensorAlignment)
    return error("cannot allocate ", bytes, " bytes for ",
                 formatType(dtype, shape, rank));
  TensorPtr tensor(new weft_tensor{});
  // calloc hands out fresh zero pages for large blocks without touching
  // them; over-allocating by the alignment gives 64-byte alignment.
  tensor->allocation = std::calloc(1, bytes + kTensorAlignment);
  if (!tensor->allocation)
    return error("out of memory allocating ", bytes, " bytes for ",
                 formatType(dtype, shape, rank));
  auto address = reinterpret_cast<uintptr_t>(tensor->allocation);
  tensor->data = reinterpret_cast<void *>(
      (address + kTensorAlignment - 1) & ~(uintptr_t)(kTensorAlignment - 1));
  tensor->dtype = dtype;
  tensor->rank = rank;
  for (int64_t i = 0; i < rank; ++i)
    tensor->shape[i] = shape[i];
  tensor->numElements = count;
  tensor->numBytes = bytes;
  out = std::move(tensor);
  return Status();
}

Status weft::runtime::checkType(weft_dtype_t dtype, const int64_t *shape,
                                int64_t rank, weft_dtype_t foundDtype,
                                const int64_t *foundShape, int64_t foundRank) {
  if (dtype == foundDtype && rank == foundRank &&
      std::equal(shape, shape + rank, foundShape))
    return Status();
  return error("expected ", formatType(dtype, shape, rank), ", found ",
               formatType(foundDtype, foundShape, foundRank));
}

/// "[2:6, 0:3]", the box as NumPy would index it, or "at offsets [..] of
/// size [..]" when an end does not fit in 64 bits.
static std::string formatBox(const int64_t *offsets, const int64_t *sizes,
                             int64_t rank) {
  std::string out = "[";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t end = 0;
    if (__builtin_add_overflow(offsets[d], sizes[d], &end))
      return concat("at offsets ", formatShape(offsets, rank), " of size ",
                    formatShape(sizes, rank));
    out += concat(d ? ", " : "", offsets[d], ":", end);
  }
  return out + "]";
}

Status weft::runtime::checkSlice(weft_dtype_t dtype, const int64_t *shape,
                                 int64_t rank, const int64_t *offsets,
                                 weft_dtype_t boxDtype, const int64_t *boxShape,
                                 int64_t boxRank) {
  if (boxDtype != dtype || boxRank != rank)
    return error("cannot take a slice of ",
                 formatType(boxDtype, boxShape, boxRank), " from ",
                 formatType(dtype, shape, rank), ": the ",
                 boxDtype != dtype ? "dtypes" : "ranks", " differ");
  if (rank > 0 && !offsets)
    return error("the offsets are null");
  for (int64_t d = 0; d < rank; ++d) {
    // Compared without adding, so that no offset can overflow.
    if (offsets[d] >= 0 && boxShape[d] <= shape[d] &&
        offsets[d] <= shape[d] - boxShape[d])
      continue;
    return error("slice ", formatBox(offsets, boxShape, rank), " is outside ",
                 formatType(dtype, shape, rank), " in dimension ", d, " (",
                 offsets[d] < 0
                     ? concat("offset ", offsets[d], " < 0")
                     : concat(offsets[d], " + ", boxShape[d], " > ", shape[d]),
                 ")");
  }
  return Status();
}

size_t weft::runtime::copySlice(size_t elementSize, const void *src,
                                const int64_t *shape, int64_t rank,
                                const int64_t *offsets, const int64_t *boxShape,
                                void *dst) {
  for (int64_t d = 0; d < rank; ++d)
    if (boxShape[d] == 0)
      return 0;
  // Dimensions [inner, rank) form one contiguous run of `run` elements:
  // every dimension after `inner` is whole, `inner` itself may be cut.
  int64_t inner = rank > 0 ? rank - 1 : 0;
  int64_t run = rank > 0 ? boxShape[inner] : 1;
  while (inner > 0 && boxShape[inner] == shape[inner]) {
    --inner;
    run *= boxShape[inner];
  }
  // Source strides in elements, and the run's start in the first row.
  int64_t strides[WEFT_MAX_RANK];
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= shape[d];
  }
  int64_t start = 0;
  for (int64_t d = 0; d < rank; ++d)
    start += offsets[d] * strides[d];
  const size_t runBytes = static_cast<size_t>(run) * elementSize;
  auto *from = static_cast<const uint8_t *>(src);
  auto *to = static_cast<uint8_t *>(dst);
  // Odometer over the box's dimensions [0, inner).
  int64_t index[WEFT_MAX_RANK] = {};
  size_t copied = 0;
  while (true) {
    int64_t at = start;
    for (int64_t d = 0; d < inner; ++d)
      at += index[d] * strides[d];
    std::memcpy(to + copied, from + static_cast<size_t>(at) * elementSize,
                runBytes);
    copied += runBytes;
    int64_t d = inner - 1;
    while (d >= 0 && ++index[d] == boxShape[d])
      index[d--] = 0;
    if (d < 0)
      return copied;
  }
}

namespace {

/// Element `i` of an array of T at `data`, which need not be aligned.
template <typename T>
T read(const void *data, int64_t i) {
  T value;
  std::memcpy(&value, static_cast<const uint8_t *>(data) + sizeof(T) * i,
              sizeof(T));
  return value;
}

template <typename T>
void write(void *data, int64_t i, T value) {
  std::memcpy(static_cast<uint8_t *>(data) + sizeof(T) * i, &value,
              sizeof(T));
}

} // namespace

double weft::runtime::loadElement(weft_dtype_t dtype, const void *data,
                                  int64_t i) {
  switch (dtype) {
  case WEFT_DTYPE_F16:
    return halfToDouble(read<uint16_t>(data, i));
  case WEFT_DTYPE_BF16:
    return bfloat16ToDouble(read<uint16_t>(data, i));
  case WEFT_DTYPE_F32:
    return read<float>(data, i);
  case WEFT_DTYPE_F64:
    return read<double>(data, i);
  case WEFT_DTYPE_I32:
  case WEFT_DTYPE_I64:
    return static_cast<double>(loadInteger(dtype, data, i));
  }
  return std::nan("");
}

int64_t weft::runtime::loadInteger(weft_dtype_t dtype, const void *data,
                                   int64_t i) {
  if (dtype == WEFT_DTYPE_I32)
    return read<int32_t>(data, i);
  if (dtype == WEFT_DTYPE_I64)
    return read<int64_t>(data, i);
  return 0;
}

void weft::runtime::storeFloat(weft_dtype_t dtype, void *data, int64_t i,
                               double value) {
  if (dtype == WEFT_DTYPE_F16)
    write(data, i, doubleToHalf(value));
  else if (dtype == WEFT_DTYPE_BF16)
    write(data, i, doubleToBFloat16(value));
  else if (dtype == WEFT_DTYPE_F32)
    write(data, i, static_cast<float>(value));
  else if (dtype == WEFT_DTYPE_F64)
    write(data, i, value);
}

void weft::runtime::storeInteger(weft_dtype_t dtype, void *data, int64_t i,
                                 int64_t value) {
  if (dtype == WEFT_DTYPE_I32)
    write(data, i, static_cast<int32_t>(value));
  else if (dtype == WEFT_DTYPE_I64)
    write(data, i, value);
}

extern "C" {

const char *weft_dtype_name(weft_dtype_t dtype) {
  switch (dtype) {
  case WEFT_DTYPE_F16:
    return "f16";
  case WEFT_DTYPE_BF16:
    return "bf16";
  case WEFT_DTYPE_F32:
    return "f32";
  case WEFT_DTYPE_F64:
    return "f64";
  case WEFT_DTYPE_I32:
    return "i32";
  case WEFT_DTYPE_I64:
    return "i64";
  }
  return "invalid";
}

size_t weft_dtype_size(weft_dtype_t dtype) {
  switch (dtype) {
  case WEFT_DTYPE_F16:
  case WEFT_DTYPE_BF16:
    return 2;
  case WEFT_DTYPE_F32:
  case WEFT_DTYPE_I32:
    return 4;
  case WEFT_DTYPE_F64:
  case WEFT_DTYPE_I64:
    return 8;
  }
  return 0;
}

weft_status_t weft_dtype_parse(const char *name, weft_dtype_t *dtype) {
  WEFT_CHECK_ARG(name);
  WEFT_CHECK_ARG(dtype);
  if (lookupDtype(name, *dtype))
    return nullptr;
  return error("unknown dtype ", quote(name), " (expected ", kDtypeNames, ")")
      .release();
}

weft_status_t weft_tensor_create(weft_dtype_t dtype, int64_t rank,
                                 const int64_t *shape, weft_tensor_t **tensor) {
  WEFT_CHECK_ARG(tensor);
  TensorPtr created;
  Status s = createTensor(dtype, shape, rank, created);
  if (!s.ok())
    return std::move(s).withPrefix("cannot create tensor: ").release();
  *tensor = created.release();
  return nullptr;
}

void weft_tensor_free(weft_tensor_t *tensor) {
  if (!tensor)
    return;
  std::free(tensor->allocation);
  delete tensor;
}

weft_dtype_t weft_tensor_dtype(const weft_tensor_t *tensor) {
  return tensor->dtype;
}

int64_t weft_tensor_rank(const weft_tensor_t *tensor) { return tensor->rank; }

const int64_t *weft_tensor_shape(const weft_tensor_t *tensor) {
  return tensor->shape;
}

int64_t weft_tensor_num_elements(const weft_tensor_t *tensor) {
  return tensor->numElements;
}

size_t weft_tensor_num_bytes(const weft_tensor_t *tensor) {
  return tensor->numBytes;
}

void *weft_tensor_data(weft_tensor_t *tensor) { return tensor->data; }

weft_status_t weft_tensor_copy_slice(const weft_tensor_t *src,
                                     const int64_t *offsets,
                                     weft_tensor_t *dst) {
  WEFT_CHECK_ARG(src);
  WEFT_CHECK_ARG(dst);
  Status s = checkSlice(src->dtype, src->shape, src->rank, offsets, dst->dtype,
                        dst->shape, dst->rank);
  if (!s.ok())
    return std::move(s).withPrefix("weft_tensor_copy_slice: ").release();
  if (src == dst)
    return nullptr; // In range, so the slice is the whole tensor.
  copySlice(weft_dtype_size(src->dtype), src->data, src->shape, src->rank,
            offsets, dst->shape, dst->data);
  return nullptr;
}

double weft_tensor_element_f64(const weft_tensor_t *tensor, int64_t index) {
  if (!tensor || index < 0 || index >= tensor->numElements)
    return std::nan("");
  return loadElement(tensor->dtype, tensor->data, index);
}

int64_t weft_tensor_element_i64(const weft_tensor_t *tensor, int64_t index) {
  if (!tensor || index < 0 || index >= tensor->numElements)
    return 0;
  return loadInteger(tensor->dtype, tensor->data, index);
}

} // extern "C"
