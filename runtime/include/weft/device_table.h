/*===- weft/device_table.h - What compiled host code calls on a device ---===
 *
 * Host code compiled for a GPU target (weft-compile --target=cuda) never
 * talks to the driver itself: each entry point receives this table as its
 * third argument (docs/artifact.md, "Entry ABI") and launches its kernels
 * and allocates its temporaries through it. The runtime fills it for the
 * device and stream of one call, so the same host code runs on any device
 * the runtime drives and needs no driver symbol to load.
 *
 * Every entry takes the table's `device` first and returns 0 on success and
 * 1 on failure; the runtime keeps the first failure's status and reports it
 * when the entry returns (later calls may fail fast). Work is ordered on
 * the call's stream: launches, allocations and frees happen in program
 * order, and the runtime waits for the stream before the call returns.
 * All arguments have fixed widths, and enums travel as int32_t with values
 * of this header's own (not the driver's), so the host code's LLVM lowering
 * needs no C enum and no driver header.
 *
 * Versions: 1 had launch, allocate and deallocate; 2 appended
 * encode_tensor_map. Entries are only ever appended, so host code compiled
 * against an older version finds its entries where it expects them.
 *
 *===----------------------------------------------------------------------===*/

#ifndef WEFT_DEVICE_TABLE_H
#define WEFT_DEVICE_TABLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_DEVICE_TABLE_VERSION 2

/* Element types of encode_tensor_map. 0 is none, so that a zeroed or
 * forgotten argument is refused rather than read as f16. */
#define WEFT_TENSOR_MAP_F16 1
#define WEFT_TENSOR_MAP_BF16 2
#define WEFT_TENSOR_MAP_F32 3

/* A tensor map is 128 opaque bytes (the driver's CUtensorMap), 64-byte
 * aligned: kernels take it by value, as a __grid_constant__ parameter, and
 * point their TMA copies at that parameter. */
#define WEFT_TENSOR_MAP_BYTES 128
#define WEFT_TENSOR_MAP_ALIGNMENT 64

typedef struct weft_device_table {
  uint32_t version;     /* WEFT_DEVICE_TABLE_VERSION */
  uint32_t struct_size; /* sizeof(weft_device_table_t) */
  void *device;         /* the runtime's state for this call */
  /* Launches kernel `kernel`, an index into the manifest's "kernels",
   * over grid[3] blocks of block[3] threads with `shared_bytes` of dynamic
   * shared memory; params[i] points to the value of kernel parameter i. */
  int32_t (*launch)(void *device, int64_t kernel, const int64_t *grid,
                    const int64_t *block, int64_t shared_bytes,
                    void **params);
  /* Device memory of `bytes` (> 0), aligned to at least 256 bytes. */
  int32_t (*allocate)(void *device, int64_t bytes, void **out_buffer);
  /* Frees what allocate returned, once the stream's earlier work is done. */
  int32_t (*deallocate)(void *device, void *buffer);
  /* Writes to `map` (128 bytes, 64-byte aligned, host memory) the tensor map
   * of a TMA copy (sm_90+): a tensor of rank `rank` (1..5) at device address
   * `address` (16-byte aligned) with element type `element_type`
   * (WEFT_TENSOR_MAP_F16, _BF16, _F32), dims[rank] elements innermost
   * first, strides_bytes[rank - 1] the byte strides of dims 1.. (multiples
   * of 16; NULL for rank 1), copied in boxes of box[rank] elements (each
   * 1..256, and may exceed its dim; the innermost box row, box[0] *
   * element bytes, a multiple of 16 bytes and at most the swizzle span when
   * swizzled), shared-memory rows swizzled over `swizzle_bytes` (0, 32, 64
   * or 128). Elements outside the tensor read as zero. The map is then
   * passed to a launch as a by-value parameter (params[i] points to its 128
   * bytes). Encoding is host work: nothing is enqueued, and the map may be
   * reused for any number of launches while the tensor's memory lives.
   * Since version 2. */
  int32_t (*encode_tensor_map)(void *device, void *map, int32_t element_type,
                               int32_t rank, void *address, const int64_t *dims,
                               const int64_t *strides_bytes, const int32_t *box,
                               int32_t swizzle_bytes);
} weft_device_table_t;

#ifdef __cplusplus
}
#endif

#endif /* WEFT_DEVICE_TABLE_H */
