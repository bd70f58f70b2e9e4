//===- CudaDevice.cpp - CUDA devices, memory, streams and events ----------===//
//
// The device half of weft/cuda.h. A device holds the driver and a retained
// primary context (the context the CUDA runtime and libraries such as NCCL
// use, so buffers and streams are shared with them); every call makes that
// context current on its thread first, so objects may move between
// threads. Copies and memsets exist once, as functions enqueuing on a
// stream: the asynchronous calls pass the caller's stream, the synchronous
// helpers pass the default stream and wait for it.
//
//===----------------------------------------------------------------------===//

#include "CudaDevice.h"

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

} // extern "C"
