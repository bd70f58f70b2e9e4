/*===- CudaHeaderTest.c - weft/cuda.h compiles as C -----------------------===
 *
 * C callers include the header from C; this file keeps it C (no C++-only
 * syntax), with weft/device_table.h, whose layout it checks: compiled code
 * reaches the table's entries through fixed offsets. CudaTest.cpp calls it
 * against the fake driver.
 *
 *===----------------------------------------------------------------------===*/

#include "weft/cuda.h"

#include <stddef.h>

/* Every field is 8 bytes (two 4-byte version fields share the first);
 * version 2 appended encode_tensor_map after the entries of version 1. */
_Static_assert(offsetof(weft_device_table_t, device) == 8, "device at byte 8");
_Static_assert(offsetof(weft_device_table_t, launch) == 16,
               "launch at byte 16");
_Static_assert(offsetof(weft_device_table_t, deallocate) == 32,
               "deallocate at byte 32");
_Static_assert(offsetof(weft_device_table_t, encode_tensor_map) == 40,
               "encode_tensor_map at byte 40");
_Static_assert(sizeof(weft_device_table_t) == 48, "48 bytes");
_Static_assert(WEFT_DEVICE_TABLE_VERSION == 2, "version 2");

/* The device count, or -1 with the status's message copied to `message`. */
int32_t weftCudaHeaderCountDevices(const char **message) {
  static char buffer[512];
  int32_t count = 0;
  weft_status_t status = weft_cuda_device_count(&count);
  if (!status)
    return count;
  const char *text = weft_status_message(status);
  size_t i = 0;
  for (; text[i] && i + 1 < sizeof(buffer); ++i)
    buffer[i] = text[i];
  buffer[i] = '\0';
  weft_status_free(status);
  *message = buffer;
  return -1;
}
