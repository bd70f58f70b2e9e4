//===- CudaDevice.cpp - CUDA devices, memory, streams and events ----------===//
//
// The device half of weft/cuda.h. A device holds the driver and a retained
// primary context (the context the CUDA runtime and libraries such as NCCL
// use, so buffers and streams are shared with them); every call makes that
// context current on its thread first, so objects may move between
// threads. Copies and memsets exist once, as functions enqueuing on a
// stream: the asynchronous calls pass the caller's stream, the synchronous
// helpers pass the default stream and wait for it. Tensor maps (TMA
// descriptors) are encoded here too: host work on the device's driver,
// checked before the driver sees them.
//
//===----------------------------------------------------------------------===//

#include "CudaDevice.h"

#include <cstring>

using namespace weft::runtime;

Status weft::runtime::makeCurrent(const weft_cuda_device &device) {
  if (CUresult r = device.driver->cuCtxSetCurrent(device.context))
    return device.driver->error("cuCtxSetCurrent", r);
  return Status();
}

Status weft::runtime::checkSameDevice(const char *call,
                                      const weft_cuda_device &a,
                                      const char *aWhat,
                                      const weft_cuda_device &b,
                                      const char *bWhat) {
  // Two handles on one ordinal share its primary context.
  if (a.ordinal == b.ordinal)
    return Status();
  return error(call, ": the ", aWhat, " is on CUDA device ", a.ordinal,
               " but the ", bWhat, " on CUDA device ", b.ordinal);
}

namespace {

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

struct DeviceCloser {
  void operator()(weft_cuda_device *device) const {
    weft_cuda_device_close(device);
  }
};
using DevicePtr = std::unique_ptr<weft_cuda_device, DeviceCloser>;

/// Initializes the driver and counts its devices; a driver that sees none
/// fails cuInit with CUDA_ERROR_NO_DEVICE, which is a count of 0.
Status countDevices(const CudaDriver &driver, int &count) {
  if (CUresult r = driver.cuInit(0)) {
    if (r != kCudaErrorNoDevice)
      return driver.error("cuInit", r);
    count = 0;
    return Status();
  }
  if (CUresult r = driver.cuDeviceGetCount(&count))
    return driver.error("cuDeviceGetCount", r);
  return Status();
}

/// Reads the properties the accessors return.
Status readProperties(weft_cuda_device &device) {
  const CudaDriver &d = *device.driver;
  char name[256] = {};
  if (CUresult r = d.cuDeviceGetName(name, sizeof(name) - 1, device.device))
    return d.error("cuDeviceGetName", r);
  device.name = name;
  int major = 0, minor = 0;
  if (CUresult r = d.cuDeviceGetAttribute(&major, kCudaComputeCapabilityMajor,
                                          device.device))
    return d.error("cuDeviceGetAttribute (compute capability major)", r);
  if (CUresult r = d.cuDeviceGetAttribute(&minor, kCudaComputeCapabilityMinor,
                                          device.device))
    return d.error("cuDeviceGetAttribute (compute capability minor)", r);
  device.major = major;
  device.minor = minor;
  size_t bytes = 0;
  if (CUresult r = d.cuDeviceTotalMem(&bytes, device.device))
    return d.error("cuDeviceTotalMem", r);
  device.totalMemory = bytes;
  return Status();
}

/// Takes device `ordinal` (in range) and its primary context into
/// `device`.
Status retainDevice(int32_t ordinal, weft_cuda_device &device) {
  const CudaDriver &d = *device.driver;
  device.ordinal = ordinal;
  if (CUresult r = d.cuDeviceGet(&device.device, ordinal))
    return d.error("cuDeviceGet", r);
  WEFT_RETURN_IF_ERROR(readProperties(device));
  if (CUresult r = d.cuDevicePrimaryCtxRetain(&device.context, device.device))
    return d.error("cuDevicePrimaryCtxRetain", r);
  return makeCurrent(device);
}

/// Opens device `ordinal` into `device`, whose closer releases whatever
/// succeeded when a later step fails.
Status openDevice(int32_t ordinal, weft_cuda_device &device) {
  WEFT_RETURN_IF_ERROR(loadCudaDriver(device.driver));
  int count = 0;
  WEFT_RETURN_IF_ERROR(countDevices(*device.driver, count));
  if (ordinal < 0 || ordinal >= count)
    return error("CUDA device ", ordinal, " requested but the driver reports ",
                 count, count == 1 ? " device" : " devices");
  return retainDevice(ordinal, device)
      .withPrefix(concat("CUDA device ", ordinal, ": "));
}

//===----------------------------------------------------------------------===//
// Copies and memsets, enqueued on a stream
//===----------------------------------------------------------------------===//

Status copyToDevice(const CudaDriver &d, CUstream stream, uint64_t dst,
                    const void *src, size_t bytes) {
  if (CUresult r = d.cuMemcpyHtoDAsync(dst, src, bytes, stream))
    return d.error(concat("cuMemcpyHtoDAsync (", bytes, " bytes)"), r);
  return Status();
}

Status copyToHost(const CudaDriver &d, CUstream stream, void *dst, uint64_t src,
                  size_t bytes) {
  if (CUresult r = d.cuMemcpyDtoHAsync(dst, src, bytes, stream))
    return d.error(concat("cuMemcpyDtoHAsync (", bytes, " bytes)"), r);
  return Status();
}

Status copyOnDevice(const CudaDriver &d, CUstream stream, uint64_t dst,
                    uint64_t src, size_t bytes) {
  if (CUresult r = d.cuMemcpyDtoDAsync(dst, src, bytes, stream))
    return d.error(concat("cuMemcpyDtoDAsync (", bytes, " bytes)"), r);
  return Status();
}

Status setBytes(const CudaDriver &d, CUstream stream, uint64_t dst,
                uint8_t value, size_t bytes) {
  if (CUresult r = d.cuMemsetD8Async(dst, value, bytes, stream))
    return d.error(concat("cuMemsetD8Async (", bytes, " bytes)"), r);
  return Status();
}

/// Runs `enqueue(driver, stream)` on the device's default stream and waits
/// for it. Nothing happens for 0 bytes.
template <typename Enqueue>
Status runSynchronously(const weft_cuda_device &device, size_t bytes,
                        Enqueue enqueue) {
  if (!bytes)
    return Status();
  const CudaDriver &d = *device.driver;
  WEFT_RETURN_IF_ERROR(makeCurrent(device));
  WEFT_RETURN_IF_ERROR(enqueue(d, CUstream(nullptr)));
  if (CUresult r = d.cuStreamSynchronize(nullptr))
    return d.error("cuStreamSynchronize (default stream)", r);
  return Status();
}

/// Runs `enqueue(driver, stream)` on `stream`. Nothing happens for 0 bytes.
template <typename Enqueue>
Status runOn(const weft_cuda_stream &stream, size_t bytes, Enqueue enqueue) {
  if (!bytes)
    return Status();
  WEFT_RETURN_IF_ERROR(makeCurrent(*stream.device));
  return enqueue(*stream.device->driver, stream.stream);
}

/// A host buffer may be null only when empty.
Status checkHostBuffer(const char *call, const char *what, const void *buffer,
                       size_t bytes) {
  if (buffer || !bytes)
    return Status();
  return error(call, ": '", what, "' is null but bytes is ", bytes);
}

//===----------------------------------------------------------------------===//
// Tensor maps
//===----------------------------------------------------------------------===//

/// An element type of weft/device_table.h, as the driver knows it.
struct TensorMapType {
  const char *name;
  CUtensorMapDataType driverType;
  int64_t bytes;
};

/// The type of `elementType` (WEFT_TENSOR_MAP_*), or null.
const TensorMapType *tensorMapType(int32_t elementType) {
  static_assert(WEFT_TENSOR_MAP_F16 == 1 && WEFT_TENSOR_MAP_BF16 == 2 &&
                WEFT_TENSOR_MAP_F32 == 3);
  static const TensorMapType types[] = {
      {"f16", kCudaTensorMapFloat16, 2},
      {"bf16", kCudaTensorMapBfloat16, 2},
      {"f32", kCudaTensorMapFloat32, 4},
  };
  if (elementType < WEFT_TENSOR_MAP_F16 || elementType > WEFT_TENSOR_MAP_F32)
    return nullptr;
  return &types[elementType - WEFT_TENSOR_MAP_F16];
}

/// The arguments of cuTensorMapEncodeTiled, checked.
struct TensorMapArgs {
  const TensorMapType *type = nullptr;
  uint32_t rank = 0;
  void *address = nullptr;
  cuuint64_t dims[kCudaTensorMapMaxRank] = {};
  cuuint64_t strides[kCudaTensorMapMaxRank - 1] = {};
  cuuint32_t box[kCudaTensorMapMaxRank] = {};
  int32_t swizzleBytes = 0;
  CUtensorMapSwizzle swizzle = kCudaTensorMapSwizzleNone;
};

/// Checks the arguments of a tensor map against what the driver's
/// documentation requires (cuTensorMapEncodeTiled, without interleave), so
/// that a mistake is named instead of coming back as the driver's bare
/// CUDA_ERROR_INVALID_VALUE. A box larger than its dim is legal: TMA fills
/// what lies outside the tensor. Messages are not prefixed.
Status checkTensorMap(const void *map, int32_t elementType, int32_t rank,
                      uint64_t address, const int64_t *dims,
                      const int64_t *stridesBytes, const int32_t *box,
                      int32_t swizzleBytes, TensorMapArgs &out) {
  if (reinterpret_cast<uintptr_t>(map) % WEFT_TENSOR_MAP_ALIGNMENT)
    return error("map ", map, " is not ", WEFT_TENSOR_MAP_ALIGNMENT,
                 "-byte aligned");
  out.type = tensorMapType(elementType);
  if (!out.type)
    return error("element_type is ", elementType,
                 ", expected WEFT_TENSOR_MAP_F16 (1), WEFT_TENSOR_MAP_BF16 "
                 "(2) or WEFT_TENSOR_MAP_F32 (3)");
  if (rank < 1 || rank > kCudaTensorMapMaxRank)
    return error("rank is ", rank, ", expected 1 to ", kCudaTensorMapMaxRank);
  out.rank = static_cast<uint32_t>(rank);
  if (!dims)
    return error("'dims' is null");
  if (!box)
    return error("'box' is null");
  if (rank > 1 && !stridesBytes)
    return error("'strides_bytes' is null");
  if (!address)
    return error("address is 0, expected the tensor's device address");
  if (address % 16)
    return error("address 0x", std::hex, address, std::dec,
                 " is not 16-byte aligned");
  out.address = reinterpret_cast<void *>(static_cast<uintptr_t>(address));
  constexpr int64_t kMaxDim = int64_t(1) << 32;
  constexpr int64_t kStrideLimit = int64_t(1) << 40;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] < 1 || dims[i] > kMaxDim)
      return error("dims[", i, "] is ", dims[i], ", expected 1 to ", kMaxDim,
                   " elements");
    out.dims[i] = static_cast<cuuint64_t>(dims[i]);
  }
  for (int32_t i = 0; i + 1 < rank; ++i) {
    if (stridesBytes[i] < 0 || stridesBytes[i] >= kStrideLimit ||
        stridesBytes[i] % 16)
      return error("strides_bytes[", i, "] is ", stridesBytes[i],
                   ", expected a multiple of 16 below 2^40");
    out.strides[i] = static_cast<cuuint64_t>(stridesBytes[i]);
  }
  for (int32_t i = 0; i < rank; ++i) {
    if (box[i] < 1 || box[i] > int32_t(kCudaTensorMapMaxBox))
      return error("box[", i, "] is ", box[i], ", expected 1 to ",
                   kCudaTensorMapMaxBox, " elements");
    out.box[i] = static_cast<cuuint32_t>(box[i]);
  }
  switch (swizzleBytes) {
  case 0:
    out.swizzle = kCudaTensorMapSwizzleNone;
    break;
  case 32:
    out.swizzle = kCudaTensorMapSwizzle32B;
    break;
  case 64:
    out.swizzle = kCudaTensorMapSwizzle64B;
    break;
  case 128:
    out.swizzle = kCudaTensorMapSwizzle128B;
    break;
  default:
    return error("swizzle_bytes is ", swizzleBytes,
                 ", expected 0, 32, 64 or 128");
  }
  out.swizzleBytes = swizzleBytes;
  // TMA moves shared-memory rows in 16-byte units, and a swizzle permutes
  // them within its span, which a row must fit.
  int64_t rowBytes = box[0] * out.type->bytes;
  std::string row = concat("box[0] is ", box[0], " ", out.type->name,
                           " elements (", rowBytes, " bytes)");
  if (rowBytes % 16)
    return error(row, ", expected a multiple of 16 bytes");
  if (swizzleBytes && rowBytes > swizzleBytes)
    return error(row, ", more than the ", swizzleBytes, "-byte swizzle span");
  return Status();
}

/// "f16, rank 2, address 0x..., dims [64, 8], strides [128] bytes, box
/// [64, 8], swizzle 128 bytes": what a failed encode was asked.
std::string describeTensorMap(const TensorMapArgs &args) {
  int64_t dims[kCudaTensorMapMaxRank], strides[kCudaTensorMapMaxRank - 1],
      box[kCudaTensorMapMaxRank];
  for (uint32_t i = 0; i < args.rank; ++i) {
    dims[i] = static_cast<int64_t>(args.dims[i]);
    box[i] = args.box[i];
    if (i + 1 < args.rank)
      strides[i] = static_cast<int64_t>(args.strides[i]);
  }
  std::string text =
      concat(args.type->name, ", rank ", args.rank, ", address ", args.address,
             ", dims ", formatShape(dims, args.rank));
  if (args.rank > 1)
    text += concat(", strides ", formatShape(strides, args.rank - 1), " bytes");
  return concat(text, ", box ", formatShape(box, args.rank), ", swizzle ",
                args.swizzleBytes, " bytes");
}

/// Encodes checked `args` into `map`, written only on success.
Status encodeTensorMap(const weft_cuda_device &device, void *map,
                       const TensorMapArgs &args) {
  const CudaDriver &d = *device.driver;
  if (!d.cuTensorMapEncodeTiled)
    return error("the CUDA driver ", d.path,
                 " has no cuTensorMapEncodeTiled: tensor maps (TMA) need a "
                 "driver of CUDA 12.0 or later");
  WEFT_RETURN_IF_ERROR(makeCurrent(device));
  // Every element of the box is copied (strides of 1). L2 promotion is 128
  // bytes, what CUTLASS's TMA copies (and so FlashAttention 3's) use: it is
  // the widest row a swizzled box can have (the 128-byte span), so each
  // DRAM fill is a row the copy asked for, where 256 would also fetch the
  // next 128 bytes, part of another box that may come later or never.
  const cuuint32_t elementStrides[kCudaTensorMapMaxRank] = {1, 1, 1, 1, 1};
  CUtensorMap encoded = {};
  if (CUresult r = d.cuTensorMapEncodeTiled(
          &encoded, args.type->driverType, args.rank, args.address, args.dims,
          args.strides, args.box, elementStrides, kCudaTensorMapInterleaveNone,
          args.swizzle, kCudaTensorMapL2Promotion128B,
          kCudaTensorMapFloatOobFillNone))
    return d.error(
        concat("cuTensorMapEncodeTiled (", describeTensorMap(args), ")"), r);
  static_assert(sizeof(encoded) == WEFT_TENSOR_MAP_BYTES);
  std::memcpy(map, &encoded, sizeof(encoded));
  return Status();
}

} // namespace

extern "C" {

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

weft_status_t weft_cuda_device_count(int32_t *out_count) {
  WEFT_CHECK_ARG(out_count);
  const CudaDriver *driver = nullptr;
  if (Status s = loadCudaDriver(driver); !s.ok())
    return s.release();
  int count = 0;
  if (Status s = countDevices(*driver, count); !s.ok())
    return s.release();
  *out_count = count;
  return nullptr;
}

weft_status_t weft_cuda_device_open(int32_t ordinal,
                                    weft_cuda_device_t **out_device) {
  WEFT_CHECK_ARG(out_device);
  DevicePtr device(new weft_cuda_device);
  if (Status s = openDevice(ordinal, *device); !s.ok())
    return s.release();
  *out_device = device.release();
  return nullptr;
}

void weft_cuda_device_close(weft_cuda_device_t *device) {
  if (device && device->context)
    device->driver->cuDevicePrimaryCtxRelease(device->device);
  delete device;
}

int32_t weft_cuda_device_ordinal(const weft_cuda_device_t *device) {
  return device->ordinal;
}

const char *weft_cuda_device_name(const weft_cuda_device_t *device) {
  return device->name.c_str();
}

void weft_cuda_device_compute_capability(const weft_cuda_device_t *device,
                                         int32_t *out_major,
                                         int32_t *out_minor) {
  *out_major = device->major;
  *out_minor = device->minor;
}

uint64_t weft_cuda_device_total_memory(const weft_cuda_device_t *device) {
  return device->totalMemory;
}

weft_status_t weft_cuda_device_synchronize(weft_cuda_device_t *device) {
  WEFT_CHECK_ARG(device);
  return callDriver(*device, "cuCtxSynchronize",
                    [](const CudaDriver &d) { return d.cuCtxSynchronize(); })
      .release();
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

weft_status_t weft_cuda_alloc(weft_cuda_device_t *device, size_t bytes,
                              uint64_t *out_ptr) {
  WEFT_CHECK_ARG(device);
  WEFT_CHECK_ARG(out_ptr);
  // The driver refuses 0 bytes; empty tensors still need an address.
  if (!bytes) {
    *out_ptr = 0;
    return nullptr;
  }
  if (Status s = makeCurrent(*device); !s.ok())
    return s.release();
  CUdeviceptr ptr = 0;
  if (CUresult r = device->driver->cuMemAlloc(&ptr, bytes))
    return device->driver
        ->error(concat("cuMemAlloc (", bytes, " bytes on CUDA device ",
                       device->ordinal, ")"),
                r)
        .release();
  *out_ptr = ptr;
  return nullptr;
}

weft_status_t weft_cuda_free(weft_cuda_device_t *device, uint64_t ptr) {
  WEFT_CHECK_ARG(device);
  if (!ptr)
    return nullptr;
  if (Status s = makeCurrent(*device); !s.ok())
    return s.release();
  if (CUresult r = device->driver->cuMemFree(ptr))
    return device->driver->error(concat("cuMemFree (0x", std::hex, ptr, ")"), r)
        .release();
  return nullptr;
}

weft_status_t weft_cuda_copy_to_device(weft_cuda_device_t *device, uint64_t dst,
                                       const void *src, size_t bytes) {
  WEFT_CHECK_ARG(device);
  if (Status s = checkHostBuffer(__func__, "src", src, bytes); !s.ok())
    return s.release();
  return runSynchronously(*device, bytes,
                          [&](const CudaDriver &d, CUstream stream) {
                            return copyToDevice(d, stream, dst, src, bytes);
                          })
      .release();
}

weft_status_t weft_cuda_copy_to_host(weft_cuda_device_t *device, void *dst,
                                     uint64_t src, size_t bytes) {
  WEFT_CHECK_ARG(device);
  if (Status s = checkHostBuffer(__func__, "dst", dst, bytes); !s.ok())
    return s.release();
  return runSynchronously(*device, bytes,
                          [&](const CudaDriver &d, CUstream stream) {
                            return copyToHost(d, stream, dst, src, bytes);
                          })
      .release();
}

weft_status_t weft_cuda_copy_on_device(weft_cuda_device_t *device, uint64_t dst,
                                       uint64_t src, size_t bytes) {
  WEFT_CHECK_ARG(device);
  return runSynchronously(*device, bytes,
                          [&](const CudaDriver &d, CUstream stream) {
                            return copyOnDevice(d, stream, dst, src, bytes);
                          })
      .release();
}

weft_status_t weft_cuda_memset(weft_cuda_device_t *device, uint64_t dst,
                               uint8_t value, size_t bytes) {
  WEFT_CHECK_ARG(device);
  return runSynchronously(*device, bytes,
                          [&](const CudaDriver &d, CUstream stream) {
                            return setBytes(d, stream, dst, value, bytes);
                          })
      .release();
}

weft_status_t weft_cuda_copy_to_device_async(weft_cuda_stream_t *stream,
                                             uint64_t dst, const void *src,
                                             size_t bytes) {
  WEFT_CHECK_ARG(stream);
  if (Status s = checkHostBuffer(__func__, "src", src, bytes); !s.ok())
    return s.release();
  return runOn(*stream, bytes,
               [&](const CudaDriver &d, CUstream s) {
                 return copyToDevice(d, s, dst, src, bytes);
               })
      .release();
}

weft_status_t weft_cuda_copy_to_host_async(weft_cuda_stream_t *stream,
                                           void *dst, uint64_t src,
                                           size_t bytes) {
  WEFT_CHECK_ARG(stream);
  if (Status s = checkHostBuffer(__func__, "dst", dst, bytes); !s.ok())
    return s.release();
  return runOn(*stream, bytes,
               [&](const CudaDriver &d, CUstream s) {
                 return copyToHost(d, s, dst, src, bytes);
               })
      .release();
}

weft_status_t weft_cuda_copy_on_device_async(weft_cuda_stream_t *stream,
                                             uint64_t dst, uint64_t src,
                                             size_t bytes) {
  WEFT_CHECK_ARG(stream);
  return runOn(*stream, bytes,
               [&](const CudaDriver &d, CUstream s) {
                 return copyOnDevice(d, s, dst, src, bytes);
               })
      .release();
}

weft_status_t weft_cuda_memset_async(weft_cuda_stream_t *stream, uint64_t dst,
                                     uint8_t value, size_t bytes) {
  WEFT_CHECK_ARG(stream);
  return runOn(*stream, bytes,
               [&](const CudaDriver &d, CUstream s) {
                 return setBytes(d, s, dst, value, bytes);
               })
      .release();
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

weft_status_t weft_cuda_stream_create(weft_cuda_device_t *device,
                                      weft_cuda_stream_t **out_stream) {
  WEFT_CHECK_ARG(device);
  WEFT_CHECK_ARG(out_stream);
  CUstream stream = nullptr;
  // Flags 0 (CU_STREAM_DEFAULT): ordered with the default stream, so the
  // synchronous helpers see the results of work enqueued here.
  if (Status s = callDriver(
          *device, "cuStreamCreate",
          [&](const CudaDriver &d) { return d.cuStreamCreate(&stream, 0); });
      !s.ok())
    return s.release();
  *out_stream = new weft_cuda_stream{device, stream};
  return nullptr;
}

void weft_cuda_stream_destroy(weft_cuda_stream_t *stream) {
  if (!stream)
    return;
  // Nothing to report to: a failure here is a failure of earlier work,
  // which the caller's synchronize saw.
  (void)makeCurrent(*stream->device);
  stream->device->driver->cuStreamDestroy(stream->stream);
  delete stream;
}

weft_status_t weft_cuda_stream_synchronize(weft_cuda_stream_t *stream) {
  WEFT_CHECK_ARG(stream);
  return callDriver(*stream->device, "cuStreamSynchronize",
                    [&](const CudaDriver &d) {
                      return d.cuStreamSynchronize(stream->stream);
                    })
      .release();
}

weft_status_t weft_cuda_event_create(weft_cuda_device_t *device,
                                     weft_cuda_event_t **out_event) {
  WEFT_CHECK_ARG(device);
  WEFT_CHECK_ARG(out_event);
  CUevent event = nullptr;
  // Flags 0 (CU_EVENT_DEFAULT): timing enabled, waits spin.
  if (Status s = callDriver(
          *device, "cuEventCreate",
          [&](const CudaDriver &d) { return d.cuEventCreate(&event, 0); });
      !s.ok())
    return s.release();
  *out_event = new weft_cuda_event{device, event};
  return nullptr;
}

void weft_cuda_event_destroy(weft_cuda_event_t *event) {
  if (!event)
    return;
  (void)makeCurrent(*event->device);
  event->device->driver->cuEventDestroy(event->event);
  delete event;
}

weft_status_t weft_cuda_event_record(weft_cuda_event_t *event,
                                     weft_cuda_stream_t *stream) {
  WEFT_CHECK_ARG(event);
  WEFT_CHECK_ARG(stream);
  if (Status s = checkSameDevice(__func__, *event->device, "event",
                                 *stream->device, "stream");
      !s.ok())
    return s.release();
  return callDriver(*event->device, "cuEventRecord",
                    [&](const CudaDriver &d) {
                      return d.cuEventRecord(event->event, stream->stream);
                    })
      .release();
}

weft_status_t weft_cuda_event_synchronize(weft_cuda_event_t *event) {
  WEFT_CHECK_ARG(event);
  return callDriver(*event->device, "cuEventSynchronize",
                    [&](const CudaDriver &d) {
                      return d.cuEventSynchronize(event->event);
                    })
      .release();
}

weft_status_t weft_cuda_event_elapsed_ms(const weft_cuda_event_t *start,
                                         const weft_cuda_event_t *end,
                                         float *out_ms) {
  WEFT_CHECK_ARG(start);
  WEFT_CHECK_ARG(end);
  WEFT_CHECK_ARG(out_ms);
  if (Status s = checkSameDevice(__func__, *start->device, "start event",
                                 *end->device, "end event");
      !s.ok())
    return s.release();
  float ms = 0;
  if (Status s = callDriver(*start->device, "cuEventElapsedTime",
                            [&](const CudaDriver &d) {
                              return d.cuEventElapsedTime(&ms, start->event,
                                                          end->event);
                            });
      !s.ok())
    return s.release();
  *out_ms = ms;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Tensor maps
//===----------------------------------------------------------------------===//

weft_status_t weft_cuda_tensor_map_encode(weft_cuda_device_t *device, void *map,
                                          int32_t element_type, int32_t rank,
                                          uint64_t address, const int64_t *dims,
                                          const int64_t *strides_bytes,
                                          const int32_t *box,
                                          int32_t swizzle_bytes) {
  WEFT_CHECK_ARG(device);
  WEFT_CHECK_ARG(map);
  TensorMapArgs args;
  if (Status s = checkTensorMap(map, element_type, rank, address, dims,
                                strides_bytes, box, swizzle_bytes, args);
      !s.ok())
    return std::move(s).withPrefix(concat(__func__, ": ")).release();
  return encodeTensorMap(*device, map, args).release();
}

} // extern "C"
