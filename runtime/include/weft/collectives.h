/*===- weft/collectives.h - Weft runtime collectives C API -----------------===
 *
 * Collective communication between the devices of a mesh, behind one
 * interface with three back ends: a single rank (no communication), MPI
 * (host buffers, one process per device under mpirun) and NCCL (CUDA device
 * buffers, bootstrapped over MPI). The MPI and NCCL back ends are plugins,
 * libweft_runtime_mpi.so and libweft_runtime_nccl.so, loaded from the
 * directory of libweft_runtime.so when a communicator asks for them, so the
 * runtime itself loads on machines without MPI or NCCL.
 *
 * Mesh and groups: a communicator is created for a mesh shape (devices per
 * axis). Rank r holds the device whose coordinates are the row-major
 * decomposition of r over the shape: on a 2x2 mesh, rank 2 is at [1, 0].
 * A collective runs over a list of distinct mesh axes; the devices that
 * agree on every other axis form a group (axis 1 of a 2x2 mesh: ranks
 * {0, 1} and {2, 3}; axes [0, 1]: all four). Inside a group, devices are
 * numbered row-major over the listed axes in the order listed, as the mesh
 * dialect's collectives number them: on a 2x2 mesh, axes [0, 1] order the
 * group 0, 1, 2, 3 and axes [1, 0] order it 0, 2, 1, 3. An empty list is a
 * group of one device. The first collective over a set of axes forms its
 * group (collectively over the whole mesh, as SPMD programs call every
 * collective on every device); later ones reuse it.
 *
 * Buffers are contiguous, row-major, of one weft_dtype_t: host memory for
 * the single and MPI back ends, device memory of the communicator's CUDA
 * device for NCCL. Every device of a group passes the same dtype, shape and
 * arguments; the results below state what each device ends with.
 *
 * Errors: every fallible call returns a weft_status_t (weft/runtime.h).
 * Argument errors are found before anything is sent and leave the
 * communicator usable. A failure of the back end (an MPI or NCCL error, a
 * timeout) leaves it failed: every later collective returns that first
 * failure, and the buffers of the failed call may still be written by the
 * library. A failed multi-process run should end with
 * weft_communicator_abort, which terminates every rank.
 *
 * Timeouts: no collective waits for ever. Each gives up after the
 * communicator's timeout (options, else $WEFT_COLLECTIVE_TIMEOUT_S, else 300
 * seconds) and returns a status naming the collective, the group and the
 * time waited, so a rank that died or never called the collective cannot
 * hang the others.
 *
 * Threads: a communicator is used by one thread at a time (collectives must
 * be issued in the same order on every rank anyway); _retain and _release
 * may be called from any thread. Plugins are loaded once per process and
 * never unloaded; MPI is initialized by the first MPI communicator unless
 * the application did it, and then finalized at exit.
 *
 *===----------------------------------------------------------------------===*/
#ifndef WEFT_COLLECTIVES_H
#define WEFT_COLLECTIVES_H

#include "weft/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Back ends ---------------------------------------------------------===*/

typedef enum weft_collective_backend {
  /* MPI when launched by mpirun (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK
   * or PMI_SIZE set), else SINGLE. $WEFT_COLLECTIVE_BACKEND overrides it. */
  WEFT_COLLECTIVE_BACKEND_AUTO = 0,
  /* One process, one device: collectives copy. */
  WEFT_COLLECTIVE_BACKEND_SINGLE = 1,
  /* libweft_runtime_mpi.so: host buffers, one rank per device. */
  WEFT_COLLECTIVE_BACKEND_MPI = 2,
  /* libweft_runtime_nccl.so: device buffers, unique ids exchanged over the
   * MPI back end (not needed for a one-device mesh outside mpirun). */
  WEFT_COLLECTIVE_BACKEND_NCCL = 3,
} weft_collective_backend_t;

/* "auto", "single", "mpi", "nccl"; "unknown" for other values. */
const char *weft_collective_backend_name(weft_collective_backend_t backend);
/* Parses one of the names above (lowercase). */
weft_status_t
weft_collective_backend_parse(const char *name,
                              weft_collective_backend_t *out_backend);

/* Values match the mesh dialect's ReductionKind. */
typedef enum weft_reduction {
  WEFT_REDUCTION_SUM = 0,
  WEFT_REDUCTION_MAX = 1,
  WEFT_REDUCTION_MIN = 2,
  WEFT_REDUCTION_PROD = 3,
} weft_reduction_t;

/* "sum", "max", "min", "prod"; "unknown" for other values. */
const char *weft_reduction_name(weft_reduction_t reduction);

/*===-- Communicators -----------------------------------------------------===*/

typedef struct weft_communicator weft_communicator_t;

typedef struct weft_communicator_options {
  /* Which back end; AUTO by default. A value other than AUTO wins over
   * $WEFT_COLLECTIVE_BACKEND. */
  weft_collective_backend_t backend;
  /* The mesh: `mesh_rank` axes (1 to WEFT_MAX_RANK) of `mesh_shape[i]`
   * devices each (>= 1; at most 2^31 - 1 devices in all). The shape is
   * copied. The back end must have exactly one rank per device. */
  int64_t mesh_rank;
  const int64_t *mesh_shape;
  /* Seconds a collective waits before failing; 0 (default) takes
   * $WEFT_COLLECTIVE_TIMEOUT_S, else 300. */
  double timeout_s;
  /* NCCL: the CUDA device ordinal; -1 (default) takes the rank's local
   * rank on its node (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID or
   * SLURM_LOCALID; else 0) modulo the device count. Ignored otherwise. */
  int32_t device_ordinal;
} weft_communicator_options_t;

/* Sets the defaults above: AUTO, no mesh (which _create rejects), timeout
 * 0, device -1. */
void weft_communicator_options_initialize(weft_communicator_options_t *options);

/* Creates a communicator over the mesh of `options`. Collective: every rank
 * of the run calls it with the same options. Fails, saying why, when the
 * back end is unknown or not available ("MPI back end not available:
 * libweft_runtime_mpi.so: <dlerror>"), when the mesh is invalid, or when
 * the number of ranks differs from the number of devices (a mesh of more
 * than one device needs mpirun). `*out_communicator` belongs to the caller
 * (one reference), released with weft_communicator_release. */
weft_status_t
weft_communicator_create(const weft_communicator_options_t *options,
                         weft_communicator_t **out_communicator);
/* Adds a reference. Thread-safe. Accepts NULL. */
void weft_communicator_retain(weft_communicator_t *communicator);
/* Drops a reference; the last frees the groups and the back end's
 * resources (not MPI itself: see above). Thread-safe. Accepts NULL. */
void weft_communicator_release(weft_communicator_t *communicator);

/* The back end chosen at creation (never AUTO). */
weft_collective_backend_t
weft_communicator_backend(const weft_communicator_t *communicator);
/* This process's rank in [0, size) and the number of ranks (= devices). */
int64_t weft_communicator_rank(const weft_communicator_t *communicator);
int64_t weft_communicator_size(const weft_communicator_t *communicator);
/* The mesh, and this rank's coordinates in it (mesh_rank values each);
 * arrays owned by the communicator. */
int64_t weft_communicator_mesh_rank(const weft_communicator_t *communicator);
const int64_t *
weft_communicator_mesh_shape(const weft_communicator_t *communicator);
const int64_t *
weft_communicator_coordinates(const weft_communicator_t *communicator);
/* The timeout in seconds in force. */
double weft_communicator_timeout(const weft_communicator_t *communicator);

/* Prints "weft: rank R of N: <message of status>" to stderr and ends the
 * whole run with exit code 1: MPI_Abort for the MPI and NCCL back ends
 * (after aborting the NCCL communicators), _Exit for the single back end.
 * Never returns. `communicator` and `status` may be NULL. Use it after a
 * failed collective so that no rank is left waiting for the failed one. */
void weft_communicator_abort(weft_communicator_t *communicator,
                             weft_status_t status)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/*===-- Collectives -------------------------------------------------------===*/
/* Each runs over the group spanned by `mesh_axes` (`num_mesh_axes` distinct
 * axes in [0, mesh_rank); NULL when 0) and returns when this device's
 * result is complete. `send` and `recv` must not overlap unless stated;
 * either may be NULL when its size is 0. With n the group size: */

/* recv = reduction over the group of send, `count` elements. In place when
 * send == recv. f16 and bf16 reduce in f32 and round once (single, MPI;
 * NCCL reduces as NCCL does). */
weft_status_t weft_communicator_all_reduce(weft_communicator_t *communicator,
                                           const int64_t *mesh_axes,
                                           int64_t num_mesh_axes,
                                           weft_reduction_t reduction,
                                           weft_dtype_t dtype, int64_t count,
                                           const void *send, void *recv);

/* `send` has `shape` (`rank` dims); recv has the same shape except
 * dimension `gather_dim`, n times larger: the concatenation along it of the
 * group's sends in group order. Any dimension works: for a non-leading one
 * the group's buffers are gathered into a temporary and interleaved. */
weft_status_t weft_communicator_all_gather(
    weft_communicator_t *communicator, const int64_t *mesh_axes,
    int64_t num_mesh_axes, weft_dtype_t dtype, int64_t rank,
    const int64_t *shape, int64_t gather_dim, const void *send, void *recv);

/* `send` has `shape`, whose dimension `scatter_dim` n must divide. The
 * group's sends are reduced, and the device at group index i receives
 * slice i of the result along that dimension (recv: `shape` with
 * shape[scatter_dim] / n). f16/bf16 as all_reduce. */
weft_status_t weft_communicator_reduce_scatter(
    weft_communicator_t *communicator, const int64_t *mesh_axes,
    int64_t num_mesh_axes, weft_reduction_t reduction, weft_dtype_t dtype,
    int64_t rank, const int64_t *shape, int64_t scatter_dim, const void *send,
    void *recv);

/* `send` has `shape`; n must divide shape[split_dim]. Each device cuts its
 * send into n slices along `split_dim`, sends slice j to group index j, and
 * concatenates what it receives along `concat_dim` in group order: recv has
 * `shape` with split_dim divided and concat_dim multiplied by n (both
 * applied when they are the same dimension). */
weft_status_t
weft_communicator_all_to_all(weft_communicator_t *communicator,
                             const int64_t *mesh_axes, int64_t num_mesh_axes,
                             weft_dtype_t dtype, int64_t rank,
                             const int64_t *shape, int64_t split_dim,
                             int64_t concat_dim, const void *send, void *recv);

/* Every device's recv = the send of the group's root, the device at
 * coordinates `root` along `mesh_axes` (one per axis). `send` is read on
 * the root only (NULL elsewhere is fine); send == recv is allowed. */
weft_status_t weft_communicator_broadcast(weft_communicator_t *communicator,
                                          const int64_t *mesh_axes,
                                          int64_t num_mesh_axes,
                                          const int64_t *root,
                                          weft_dtype_t dtype, int64_t count,
                                          const void *send, void *recv);

/* Point to point with the device of this device's group at coordinates
 * `destination` / `source` along `mesh_axes` (not this device), which
 * makes the matching call with the same dtype and count. Messages between
 * two devices arrive in the order sent. */
weft_status_t weft_communicator_send(weft_communicator_t *communicator,
                                     const int64_t *mesh_axes,
                                     int64_t num_mesh_axes,
                                     const int64_t *destination,
                                     weft_dtype_t dtype, int64_t count,
                                     const void *buffer);
weft_status_t weft_communicator_recv(weft_communicator_t *communicator,
                                     const int64_t *mesh_axes,
                                     int64_t num_mesh_axes,
                                     const int64_t *source, weft_dtype_t dtype,
                                     int64_t count, void *buffer);

/*===-- The table compiled code calls -------------------------------------===*/
/* Compiled entry functions receive the collectives as a table of plain
 * function pointers, so host code needs no symbol from the runtime and the
 * same object runs under any back end. Every argument is an integer or a
 * pointer of fixed width: enums travel as int32_t (weft_dtype_t,
 * weft_reduction_t values), sizes as int64_t. Each entry takes the table's
 * `communicator` first and returns 0 on success and 1 on failure; the
 * failure's status is kept (the first one only) until
 * weft_collective_table_take_status. Compiled code may stop at the first
 * nonzero result or carry on: every later call fails too when the
 * communicator has failed. Semantics as the functions above. */

#define WEFT_COLLECTIVE_TABLE_VERSION 1

typedef struct weft_collective_table {
  uint32_t version;     /* WEFT_COLLECTIVE_TABLE_VERSION */
  uint32_t struct_size; /* sizeof(weft_collective_table_t) */
  weft_communicator_t *communicator;
  /* The mesh and this device's place in it (communicator-owned). */
  int64_t mesh_rank;
  const int64_t *mesh_shape;
  const int64_t *coordinates;
  int64_t rank; /* row-major linear index of `coordinates` */
  int64_t size;

  int32_t (*all_reduce)(weft_communicator_t *communicator,
                        const int64_t *mesh_axes, int64_t num_mesh_axes,
                        int32_t reduction, int32_t dtype, int64_t count,
                        const void *send, void *recv);
  int32_t (*all_gather)(weft_communicator_t *communicator,
                        const int64_t *mesh_axes, int64_t num_mesh_axes,
                        int32_t dtype, int64_t rank, const int64_t *shape,
                        int64_t gather_dim, const void *send, void *recv);
  int32_t (*reduce_scatter)(weft_communicator_t *communicator,
                            const int64_t *mesh_axes, int64_t num_mesh_axes,
                            int32_t reduction, int32_t dtype, int64_t rank,
                            const int64_t *shape, int64_t scatter_dim,
                            const void *send, void *recv);
  int32_t (*all_to_all)(weft_communicator_t *communicator,
                        const int64_t *mesh_axes, int64_t num_mesh_axes,
                        int32_t dtype, int64_t rank, const int64_t *shape,
                        int64_t split_dim, int64_t concat_dim, const void *send,
                        void *recv);
  int32_t (*broadcast)(weft_communicator_t *communicator,
                       const int64_t *mesh_axes, int64_t num_mesh_axes,
                       const int64_t *root, int32_t dtype, int64_t count,
                       const void *send, void *recv);
  int32_t (*send)(weft_communicator_t *communicator, const int64_t *mesh_axes,
                  int64_t num_mesh_axes, const int64_t *destination,
                  int32_t dtype, int64_t count, const void *buffer);
  int32_t (*recv)(weft_communicator_t *communicator, const int64_t *mesh_axes,
                  int64_t num_mesh_axes, const int64_t *source, int32_t dtype,
                  int64_t count, void *buffer);
} weft_collective_table_t;

/* Fills `out_table` for `communicator`, which it borrows (no reference):
 * the communicator must outlive every call through the table. */
weft_status_t
weft_collective_table_initialize(weft_communicator_t *communicator,
                                 weft_collective_table_t *out_table);
/* The first failure of a call through a table of `communicator` since the
 * last take, or NULL; the caller owns it. Clears it. */
weft_status_t
weft_collective_table_take_status(weft_communicator_t *communicator);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_COLLECTIVES_H */
