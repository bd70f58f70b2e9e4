/*===- weft/cuda.h - Weft runtime CUDA device C API ------------------------===
 *
 * CUDA devices for compiled GPU code: device memory, copies, streams,
 * events, modules (cubin, fatbin or PTX) and kernel launches, over the CUDA
 * driver API. Plain C.
 *
 * Driver: libweft_runtime.so does not link libcuda. The driver library
 * (libcuda.so.1, or the path in $WEFT_CUDA_DRIVER) is dlopen()ed by the
 * first call that needs it, so the runtime loads on machines without a GPU
 * or driver, where those calls fail with "no CUDA driver found
 * (libcuda.so.1: <dlerror text>)". $CUDA_VISIBLE_DEVICES applies as for any
 * CUDA program.
 *
 * Errors: every fallible call returns a weft_status_t (weft/runtime.h).
 * A driver failure's message names the call and gives the driver's error
 * name and description:
 *   cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation
 *   failed): <the JIT's error log>
 * Out-parameters are written only on success. Asynchronous work reports
 * its failures at a later call (a synchronize, a copy), as CUDA does.
 *
 * Ownership: a device, stream, event and module belong to the caller and
 * are released by the matching _close/_destroy/_unload (which accept NULL).
 * A device must outlive everything created on it (streams, events,
 * modules, allocations): close it last. A function belongs to its module.
 * Memory is named by its device address (uint64_t, 0 for none) and freed
 * with weft_cuda_free.
 *
 * Threads: every call may be made from any thread: it makes its device's
 * primary context current on the calling thread first (and leaves it
 * current). Devices, streams, events, modules and functions may be used
 * from several threads at once, except that nothing may be used while or
 * after it is released. Work enqueued on one stream from several threads
 * runs in the order the calls reach the driver.
 *
 * Streams: asynchronous calls enqueue work on a stream and return. The
 * synchronous helpers (weft_cuda_copy_to_device and friends) run on the
 * device's default stream, which waits for the work already enqueued on
 * the device's streams, and return when their copy is complete. Host
 * buffers given to an asynchronous copy must stay valid until the stream
 * has run it.
 *
 *===----------------------------------------------------------------------===*/
#ifndef WEFT_CUDA_H
#define WEFT_CUDA_H

#include "weft/device_table.h" /* WEFT_TENSOR_MAP_* */
#include "weft/runtime.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_cuda_device weft_cuda_device_t;
typedef struct weft_cuda_stream weft_cuda_stream_t;
typedef struct weft_cuda_event weft_cuda_event_t;
typedef struct weft_cuda_module weft_cuda_module_t;
typedef struct weft_cuda_function weft_cuda_function_t;

/*===-- Devices -----------------------------------------------------------===*/

/* The number of CUDA devices the driver reports: 0 when the driver is
 * installed but sees no device (cuInit's CUDA_ERROR_NO_DEVICE), an error
 * when there is no driver or it fails. */
weft_status_t weft_cuda_device_count(int32_t *out_count);

/* Initializes the driver, retains the primary context of device `ordinal`
 * in [0, count) and makes it current on the calling thread. Fails with
 * "CUDA device 3 requested but the driver reports 1 device" for an
 * ordinal outside that range. Opening a device twice gives two handles on
 * the same context. Thread-safe. */
weft_status_t weft_cuda_device_open(int32_t ordinal,
                                    weft_cuda_device_t **out_device);
/* Releases the primary context. Everything created on the device must be
 * released first. Accepts NULL. */
void weft_cuda_device_close(weft_cuda_device_t *device);
/* Properties read at open: the ordinal, the name ("NVIDIA H100 80GB
 * HBM3"; owned by the device), the compute capability (9.0: major 9,
 * minor 0) and the memory size in bytes. */
int32_t weft_cuda_device_ordinal(const weft_cuda_device_t *device);
const char *weft_cuda_device_name(const weft_cuda_device_t *device);
void weft_cuda_device_compute_capability(const weft_cuda_device_t *device,
                                         int32_t *out_major,
                                         int32_t *out_minor);
uint64_t weft_cuda_device_total_memory(const weft_cuda_device_t *device);
/* Waits for all work on the device (cuCtxSynchronize). */
weft_status_t weft_cuda_device_synchronize(weft_cuda_device_t *device);

/*===-- Memory ------------------------------------------------------------===*/

/* Allocates `bytes` of device memory (256-byte aligned, uninitialized);
 * 0 bytes gives address 0. */
weft_status_t weft_cuda_alloc(weft_cuda_device_t *device, size_t bytes,
                              uint64_t *out_ptr);
/* Frees an address weft_cuda_alloc returned on `device`; 0 is a no-op. */
weft_status_t weft_cuda_free(weft_cuda_device_t *device, uint64_t ptr);

/* Synchronous copies and memset (see Streams above): host to device,
 * device to host, device to device (non-overlapping), and `bytes` bytes
 * set to `value`. Nothing happens for 0 bytes, where pointers may be
 * NULL/0. */
weft_status_t weft_cuda_copy_to_device(weft_cuda_device_t *device, uint64_t dst,
                                       const void *src, size_t bytes);
weft_status_t weft_cuda_copy_to_host(weft_cuda_device_t *device, void *dst,
                                     uint64_t src, size_t bytes);
weft_status_t weft_cuda_copy_on_device(weft_cuda_device_t *device, uint64_t dst,
                                       uint64_t src, size_t bytes);
weft_status_t weft_cuda_memset(weft_cuda_device_t *device, uint64_t dst,
                               uint8_t value, size_t bytes);

/* The same, enqueued on `stream`: they return before the copy is done
 * (weft_cuda_copy_to_host_async into pageable memory may wait for it, as
 * CUDA's does). */
weft_status_t weft_cuda_copy_to_device_async(weft_cuda_stream_t *stream,
                                             uint64_t dst, const void *src,
                                             size_t bytes);
weft_status_t weft_cuda_copy_to_host_async(weft_cuda_stream_t *stream,
                                           void *dst, uint64_t src,
                                           size_t bytes);
weft_status_t weft_cuda_copy_on_device_async(weft_cuda_stream_t *stream,
                                             uint64_t dst, uint64_t src,
                                             size_t bytes);
weft_status_t weft_cuda_memset_async(weft_cuda_stream_t *stream, uint64_t dst,
                                     uint8_t value, size_t bytes);

/*===-- Streams and events ------------------------------------------------===*/

/* A stream of `device` (ordered with the default stream, as CUDA's
 * default streams are). */
weft_status_t weft_cuda_stream_create(weft_cuda_device_t *device,
                                      weft_cuda_stream_t **out_stream);
/* Releases the stream; work already enqueued still runs. Accepts NULL. */
void weft_cuda_stream_destroy(weft_cuda_stream_t *stream);
/* Waits for all work enqueued on the stream; returns the first failure of
 * that work. */
weft_status_t weft_cuda_stream_synchronize(weft_cuda_stream_t *stream);

/* A timing event of `device`. */
weft_status_t weft_cuda_event_create(weft_cuda_device_t *device,
                                     weft_cuda_event_t **out_event);
/* Accepts NULL. */
void weft_cuda_event_destroy(weft_cuda_event_t *event);
/* Marks the point `stream` has reached (same device as the event). */
weft_status_t weft_cuda_event_record(weft_cuda_event_t *event,
                                     weft_cuda_stream_t *stream);
/* Waits until the stream reaches the event's last record. */
weft_status_t weft_cuda_event_synchronize(weft_cuda_event_t *event);
/* Milliseconds of device time between two recorded events of one device
 * (about 0.5 microsecond resolution); fails with CUDA_ERROR_NOT_READY while
 * either is pending and CUDA_ERROR_INVALID_HANDLE if either was never
 * recorded. */
weft_status_t weft_cuda_event_elapsed_ms(const weft_cuda_event_t *start,
                                         const weft_cuda_event_t *end,
                                         float *out_ms);

/*===-- Modules and launches ----------------------------------------------===*/

/* Loads device code from a cubin or fatbin image of `size` bytes (checked
 * to hold its ELF or fatbin headers, so that a truncated image fails
 * instead of being read past its end). The driver copies what it needs:
 * `image` may be freed on return. */
weft_status_t weft_cuda_module_load_cubin(weft_cuda_device_t *device,
                                          const void *image, size_t size,
                                          weft_cuda_module_t **out_module);
/* JIT-compiles NUL-terminated PTX for the device; a compilation failure's
 * message carries the JIT's error log. */
weft_status_t weft_cuda_module_load_ptx(weft_cuda_device_t *device,
                                        const char *ptx,
                                        weft_cuda_module_t **out_module);
/* Unloads the module, invalidating its functions. No launch of them may be
 * pending. Accepts NULL. */
void weft_cuda_module_unload(weft_cuda_module_t *module);
/* The kernel `name` (its symbol: extern "C" or mangled). The function
 * belongs to the module; looking a name up twice gives the same one. The
 * error names the kernel and, where the driver can enumerate them (CUDA
 * 12.4 and later), the kernels the module has. */
weft_status_t weft_cuda_module_function(weft_cuda_module_t *module,
                                        const char *name,
                                        weft_cuda_function_t **out_function);

/* Launches `function` on `stream` (of the module's device) with grid and
 * block dimensions {x, y, z}, `shared_bytes` of dynamic shared memory and
 * `params`, one pointer per kernel parameter to its value (the driver
 * copies the values: they may change once this returns). Above 48 KiB of
 * shared memory, the function's limit is raised to `shared_bytes` first
 * (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES). Asynchronous: errors
 * in the kernel surface at a later synchronize. */
weft_status_t weft_cuda_launch(weft_cuda_function_t *function,
                               const uint32_t grid[3], const uint32_t block[3],
                               uint32_t shared_bytes,
                               weft_cuda_stream_t *stream, void **params);

/*===-- Tensor maps (TMA, compute capability 9.0 and later) ---------------===*/

/* Writes to `map` (WEFT_TENSOR_MAP_BYTES, WEFT_TENSOR_MAP_ALIGNMENT-aligned
 * host memory) the tensor map (CUtensorMap) of TMA copies from the tensor at
 * device address `address`, as the device table's encode_tensor_map
 * describes (weft/device_table.h; it is this call): `element_type` a
 * WEFT_TENSOR_MAP_* type, `rank` 1..5, dims innermost first, the byte
 * strides of dims 1.. (NULL for rank 1), the box copied, the swizzle span.
 * Out-of-bounds elements read as zero; L2 promotion is 128 bytes.
 * Arguments the driver documents as invalid, and a null address, fail
 * before the driver is called, naming the argument (the driver would only
 * say CUDA_ERROR_INVALID_VALUE): "weft_cuda_tensor_map_encode:
 * strides_bytes[1] is 100, expected a multiple of 16 below 2^40". A driver
 * before CUDA 12 has no cuTensorMapEncodeTiled and fails every call. `map` is
 * written only on success; it stays valid while the tensor's memory does and
 * may be passed to any number of launches (params[i] pointing to it).
 * Thread-safe. */
weft_status_t weft_cuda_tensor_map_encode(weft_cuda_device_t *device, void *map,
                                          int32_t element_type, int32_t rank,
                                          uint64_t address, const int64_t *dims,
                                          const int64_t *strides_bytes,
                                          const int32_t *box,
                                          int32_t swizzle_bytes);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_CUDA_H */
