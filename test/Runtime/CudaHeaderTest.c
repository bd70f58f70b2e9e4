/*===- CudaHeaderTest.c - weft/cuda.h compiles as C -----------------------===
 *
 * C callers include the header from C; this file keeps it C (no C++-only
 * syntax). CudaTest.cpp calls it against the fake driver.
 *
 *===----------------------------------------------------------------------===*/

#include "weft/cuda.h"

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
