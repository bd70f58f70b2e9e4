/*===- CollectivesHeaderTest.c - weft/collectives.h compiles as C ---------===
 *
 * Compiled code and other C callers include the header from C; this file
 * keeps it C (no C++-only syntax) and checks the table's layout, which
 * compiled code reaches through fixed offsets.
 *
 *===----------------------------------------------------------------------===*/

#include "weft/collectives.h"

#include <stddef.h>

/* Every field is 8 bytes (two 4-byte version fields share the first), in
 * the order compiled code indexes them. */
_Static_assert(offsetof(weft_collective_table_t, communicator) == 8,
               "communicator at byte 8");
_Static_assert(offsetof(weft_collective_table_t, all_reduce) == 56,
               "all_reduce at byte 56");
_Static_assert(offsetof(weft_collective_table_t, recv) == 104,
               "recv at byte 104");
_Static_assert(sizeof(weft_collective_table_t) == 112, "112 bytes");

int weftCollectivesHeaderCompilesAsC(void) {
  weft_communicator_options_t options;
  weft_communicator_options_initialize(&options);
  return options.backend == WEFT_COLLECTIVE_BACKEND_AUTO &&
         options.device_ordinal == -1;
}
