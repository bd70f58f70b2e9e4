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
 * All arguments have fixed widths.
 *
 *===----------------------------------------------------------------------===*/

#ifndef WEFT_DEVICE_TABLE_H
#define WEFT_DEVICE_TABLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_DEVICE_TABLE_VERSION 1

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
} weft_device_table_t;

#ifdef __cplusplus
}
#endif

#endif /* WEFT_DEVICE_TABLE_H */
