//===- CudaDriverAbiTest.cpp - CudaDriver.h against the toolkit's cuda.h --===//
//
// The runtime declares the driver API itself (runtime/src/CudaDriver.h), so
// that it builds without the CUDA toolkit; a wrong enum value or parameter
// there would reach the driver silently, and the fake driver, written from
// the same numbers, could not tell. Where configure found the toolkit's
// cuda.h (WEFT_TEST_CUDA_H), this file checks those declarations against it
// when it compiles; elsewhere its test is skipped, saying why.
//
//===----------------------------------------------------------------------===//

// First: cuda.h #defines names such as cuMemAlloc to their versioned
// symbols, which would rename CudaDriver's fields in this file only.
#include "CudaDriver.h"

#ifdef WEFT_TEST_CUDA_H
#include <cuda.h>
#endif

#include "gtest/gtest.h"

#include <type_traits>

namespace {

namespace rt = weft::runtime;

#ifdef WEFT_TEST_CUDA_H

static_assert(CUDA_VERSION >= 12000, "tensor maps came with CUDA 12.0");

// Values the runtime passes or compares.
static_assert(rt::kCudaSuccess == CUDA_SUCCESS);
static_assert(rt::kCudaErrorNoDevice == CUDA_ERROR_NO_DEVICE);
static_assert(rt::kCudaErrorStubLibrary == CUDA_ERROR_STUB_LIBRARY);
static_assert(rt::kCudaComputeCapabilityMajor ==
              CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
static_assert(rt::kCudaComputeCapabilityMinor ==
              CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
static_assert(rt::kCudaMaxDynamicSharedSizeBytes ==
              CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
static_assert(rt::kCudaJitErrorLogBuffer == CU_JIT_ERROR_LOG_BUFFER);
static_assert(rt::kCudaJitErrorLogBufferSizeBytes ==
              CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
static_assert(rt::kCudaTensorMapFloat16 == CU_TENSOR_MAP_DATA_TYPE_FLOAT16);
static_assert(rt::kCudaTensorMapFloat32 == CU_TENSOR_MAP_DATA_TYPE_FLOAT32);
static_assert(rt::kCudaTensorMapBfloat16 == CU_TENSOR_MAP_DATA_TYPE_BFLOAT16);
static_assert(rt::kCudaTensorMapInterleaveNone ==
              CU_TENSOR_MAP_INTERLEAVE_NONE);
static_assert(rt::kCudaTensorMapSwizzleNone == CU_TENSOR_MAP_SWIZZLE_NONE);
static_assert(rt::kCudaTensorMapSwizzle32B == CU_TENSOR_MAP_SWIZZLE_32B);
static_assert(rt::kCudaTensorMapSwizzle64B == CU_TENSOR_MAP_SWIZZLE_64B);
static_assert(rt::kCudaTensorMapSwizzle128B == CU_TENSOR_MAP_SWIZZLE_128B);
static_assert(rt::kCudaTensorMapL2Promotion128B ==
              CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
static_assert(rt::kCudaTensorMapFloatOobFillNone ==
              CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
static_assert(sizeof(rt::CUtensorMap) == sizeof(::CUtensorMap));
static_assert(sizeof(rt::CUtensorMap) == CU_TENSOR_MAP_NUM_QWORDS * 8);
static_assert(alignof(rt::CUtensorMap) == 64);

/// A parameter type of cuda.h as CudaDriver.h declares it: enums as int
/// (the same size in the calling convention), the tensor map as ours.
template <typename T, typename = void> struct Ours { using type = T; };
template <typename T> struct Ours<T, std::enable_if_t<std::is_enum_v<T>>> {
  static_assert(sizeof(T) == sizeof(int));
  using type = int;
};
template <> struct Ours<::CUtensorMap *> { using type = rt::CUtensorMap *; };
template <typename F> struct OursFn;
template <typename R, typename... Args> struct OursFn<R (*)(Args...)> {
  using type = typename Ours<R>::type (*)(typename Ours<Args>::type...);
};

static_assert(std::is_same_v<OursFn<decltype(&::cuTensorMapEncodeTiled)>::type,
                             decltype(rt::CudaDriver::cuTensorMapEncodeTiled)>,
              "CudaDriver::cuTensorMapEncodeTiled differs from cuda.h's");

#endif

TEST(CudaDriverAbiTest, DeclarationsMatchTheToolkitsCudaH) {
#ifdef WEFT_TEST_CUDA_H
  // The checks are the static_asserts above; the test records the version
  // they were made against.
  RecordProperty("cuda_version", CUDA_VERSION);
  EXPECT_GE(CUDA_VERSION, 12000);
#else
  GTEST_SKIP() << "no cuda.h was found at configure time: CudaDriver.h's "
                  "declarations are not checked against the toolkit's";
#endif
}

} // namespace
