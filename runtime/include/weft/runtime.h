/*===- weft/runtime.h - Weft runtime C API ---------------------------------===
 *
 * Loads artifacts written by weft-compile and runs their entry functions on
 * host tensors: on the host for target cpu, on a CUDA device (weft/cuda.h)
 * for target cuda. Plain C, no MLIR or LLVM dependency.
 *
 * Errors: every fallible call returns a weft_status_t. NULL means success;
 * anything else owns a message (what failed, the file or tensor it concerns,
 * what was expected) and is released with weft_status_free. Out-parameters
 * are written only on success.
 *
 * Ownership: every object a _create/_open/_read/_parse call returns belongs
 * to the caller and is released with the matching _free/_close (which accept
 * NULL). Strings and arrays returned by accessors belong to their object
 * and live as long as it does.
 *
 * Threads: no global state. An object may be used from several threads at
 * once through functions taking a const pointer; a tensor written by one
 * thread (weft_tensor_data, weft_safetensors_read, invoke results) must not
 * be used by another meanwhile. weft_module_invoke keeps nothing in the
 * module between calls, so concurrent invokes on distinct tensors are safe
 * when the entry functions are reentrant, as weft-compile's are.
 * weft_module_invoke_on uses its communicator, which one thread at a time
 * may use (weft/collectives.h). weft_module_invoke_on_device caches the
 * kernels it loads on each device in the module, under a lock; concurrent
 * calls on one module and device are otherwise independent (a stream and
 * buffers of their own).
 *
 * Meshes: a module compiled for a mesh of devices (SPMD-partitioned) runs
 * as one process per device, each calling weft_module_invoke_on with a
 * communicator over that mesh. Each argument is passed as the slice its
 * device holds (weft_function_argument_slice says which: read weights with
 * weft_safetensors_read_slice, cut inputs with weft_tensor_copy_slice);
 * results are whole on every device.
 *
 *===----------------------------------------------------------------------===*/
#ifndef WEFT_RUNTIME_H
#define WEFT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Status --------------------------------------------------------------===*/

typedef struct weft_status *weft_status_t;

const char *weft_status_message(weft_status_t status);
void weft_status_free(weft_status_t status);

/*===-- Element types -------------------------------------------------------===*/

typedef enum weft_dtype {
  WEFT_DTYPE_F16 = 0,
  WEFT_DTYPE_BF16 = 1,
  WEFT_DTYPE_F32 = 2,
  WEFT_DTYPE_F64 = 3,
  WEFT_DTYPE_I32 = 4,
  WEFT_DTYPE_I64 = 5,
} weft_dtype_t;

/* "f16", "bf16", "f32", "f64", "i32", "i64". */
const char *weft_dtype_name(weft_dtype_t dtype);
size_t weft_dtype_size(weft_dtype_t dtype);
weft_status_t weft_dtype_parse(const char *name, weft_dtype_t *dtype);

/*===-- Host tensors --------------------------------------------------------===*/

/* A dense, row-major host tensor owning 64-byte aligned storage. */
typedef struct weft_tensor weft_tensor_t;

#define WEFT_MAX_RANK 16

/* Zero-initialized. Rejects rank > WEFT_MAX_RANK, negative sizes and byte
 * counts that overflow; a size 0 anywhere gives an empty tensor. `shape` may
 * be NULL for rank 0. */
weft_status_t weft_tensor_create(weft_dtype_t dtype, int64_t rank,
                                 const int64_t *shape, weft_tensor_t **tensor);
void weft_tensor_free(weft_tensor_t *tensor);
weft_dtype_t weft_tensor_dtype(const weft_tensor_t *tensor);
int64_t weft_tensor_rank(const weft_tensor_t *tensor);
const int64_t *weft_tensor_shape(const weft_tensor_t *tensor);
int64_t weft_tensor_num_elements(const weft_tensor_t *tensor);
size_t weft_tensor_num_bytes(const weft_tensor_t *tensor);
void *weft_tensor_data(weft_tensor_t *tensor);
/* Element `index` (row-major) converted to double: exact for f16, bf16, f32,
 * f64 and i32, rounded for i64 beyond 2^53. NaN when `index` is outside
 * [0, num_elements). For printing and comparing results. */
double weft_tensor_element_f64(const weft_tensor_t *tensor, int64_t index);
/* Element `index` of an i32 or i64 tensor, exactly. 0 for float tensors and
 * when `index` is outside [0, num_elements). */
int64_t weft_tensor_element_i64(const weft_tensor_t *tensor, int64_t index);

/* NumPy .npy (format 1.0-3.0, little-endian, C order; dtypes <f2 <f4 <f8
 * <i4 <i8, and bfloat16 stored as '<V2' is not accepted: bf16 arrays are
 * read from safetensors). Every header field and the data length are
 * checked against the file size. */
weft_status_t weft_tensor_read_npy(const char *path, weft_tensor_t **tensor);
/* Writes to a temporary file beside `path` and renames it into place, so a
 * failed write never leaves a partial file. f16/f32/f64/i32/i64 only. */
weft_status_t weft_tensor_write_npy(const weft_tensor_t *tensor,
                                    const char *path);
/* Copies the box [offsets, offsets + dst's shape) of `src` into `dst`, of
 * the same dtype and rank (`offsets`: one per dimension, NULL for rank 0).
 * Fails, naming the box and `src`'s type, when the box is not inside
 * `src`. Only the box's bytes are read. */
weft_status_t weft_tensor_copy_slice(const weft_tensor_t *src,
                                     const int64_t *offsets,
                                     weft_tensor_t *dst);
/* iree-run-module's literal form: "2x3xf32=[1 2 3][4 5 6]", "f32=2.5",
 * "4xi32=1 2 3 4", "2x2xf32=0" (one value broadcasts to every element). */
weft_status_t weft_tensor_parse(const char *text, weft_tensor_t **tensor);

/*===-- Safetensors -----------------------------------------------------------===*/

/* A .safetensors file (u64 little-endian header length, JSON header mapping
 * tensor names to {"dtype", "shape", "data_offsets"}, optional
 * "__metadata__", then raw little-endian data). Opening validates the whole
 * header: sizes against the file, offsets in bounds, byte counts equal to
 * shape x dtype size, and the tensors tiling the data section without
 * overlap or gap (as the reference implementation requires, so truncation
 * is caught at open). Data is mapped, not copied; reads copy out. */
typedef struct weft_safetensors weft_safetensors_t;

weft_status_t weft_safetensors_open(const char *path,
                                    weft_safetensors_t **file);
void weft_safetensors_close(weft_safetensors_t *file);
size_t weft_safetensors_count(const weft_safetensors_t *file);
/* Tensor names in header order; NULL when `i` is out of range. */
const char *weft_safetensors_name(const weft_safetensors_t *file, size_t i);
/* The dtype and shape of the named tensor (`*shape`: `*rank` sizes owned by
 * the file), or an error naming the file when it has no such tensor. */
weft_status_t weft_safetensors_tensor_type(const weft_safetensors_t *file,
                                           const char *name,
                                           weft_dtype_t *dtype, int64_t *rank,
                                           const int64_t **shape);
/* Copies the named tensor into `tensor`, whose dtype and shape must match
 * (the message names the tensor, the expected and the found type). */
weft_status_t weft_safetensors_read(const weft_safetensors_t *file,
                                    const char *name, weft_tensor_t *tensor);
/* Copies the box [offsets, offsets + tensor's shape) of the named tensor
 * into `tensor`, of the same dtype and rank (`offsets` as for
 * weft_tensor_copy_slice). Copies contiguous runs straight out of the
 * mapping, so only the slice's bytes are read from the file. Messages name
 * the tensor, the box and the tensor's type. */
weft_status_t weft_safetensors_read_slice(const weft_safetensors_t *file,
                                          const char *name,
                                          const int64_t *offsets,
                                          weft_tensor_t *tensor);
/* Bytes copied out of the file by _read and _read_slice since it was
 * opened (0 for NULL). Counted atomically: safe with concurrent reads. */
uint64_t weft_safetensors_bytes_read(const weft_safetensors_t *file);

/*===-- Modules (artifacts) ---------------------------------------------------===*/

typedef struct weft_module weft_module_t;
/* weft_communicator_t of weft/collectives.h. */
struct weft_communicator;
/* weft_cuda_device_t of weft/cuda.h. */
struct weft_cuda_device;

typedef enum weft_role {
  WEFT_ROLE_INPUT = 0,
  WEFT_ROLE_WEIGHT = 1,
} weft_role_t;

typedef struct weft_value_info {
  const char *name;
  weft_role_t role;        /* results are always WEFT_ROLE_INPUT */
  weft_dtype_t dtype;
  int64_t rank;
  const int64_t *shape;
  /* For integer inputs used as indices (token ids): valid values are
   * [0, index_bound); -1 when unconstrained. */
  int64_t index_bound;
  /* The shape of the slice each device holds (`rank` sizes): `shape` with
   * every dimension the manifest splits over mesh axes divided by their
   * device count. Equal to `shape` for results, without a mesh, and for
   * arguments that are whole on every device. */
  const int64_t *local_shape;
} weft_value_info_t;

/* Opens a .weft artifact, validates its container and manifest, and loads
 * its host code. Targets "cpu" and "cuda"; a cuda module with kernels must
 * have the ptx and cubin sections (kept in the module, loaded on a device
 * by its first call there). */
weft_status_t weft_module_open(const char *path, weft_module_t **module);
void weft_module_close(weft_module_t *module);
const char *weft_module_target(const weft_module_t *module);
/* The manifest's JSON text, as stored in the artifact. */
const char *weft_module_manifest(const weft_module_t *module);
size_t weft_module_function_count(const weft_module_t *module);
/* NULL when `i` is out of range. */
const char *weft_module_function_name(const weft_module_t *module, size_t i);
/* The mesh the module was compiled for: its number of axes (0 when the
 * manifest has no mesh), devices per axis (NULL without a mesh) and axis
 * names (NULL when `axis` is out of range). */
int64_t weft_module_mesh_rank(const weft_module_t *module);
const int64_t *weft_module_mesh_shape(const weft_module_t *module);
const char *weft_module_mesh_axis_name(const weft_module_t *module,
                                       int64_t axis);
/* Index of the named function, or an error listing the functions. */
weft_status_t weft_module_lookup(const weft_module_t *module, const char *name,
                                 size_t *function);
/* Counts and descriptions of function `fn`'s values, pointing into the
 * module. Out-of-range indices give 0 and a description with a NULL name. */
size_t weft_function_argument_count(const weft_module_t *module, size_t fn);
size_t weft_function_result_count(const weft_module_t *module, size_t fn);
void weft_function_argument(const weft_module_t *module, size_t fn, size_t i,
                            weft_value_info_t *info);
void weft_function_result(const weft_module_t *module, size_t fn, size_t i,
                          weft_value_info_t *info);

/* The offsets of the slice of argument `i` of function `fn` that the
 * device at `coordinates` (weft_module_mesh_rank values, each inside its
 * axis; NULL without a mesh) holds, one per dimension into `offsets`
 * (NULL for rank 0). The slice's sizes are the argument's local_shape.
 * All zero for an argument that is not split. */
weft_status_t weft_function_argument_slice(const weft_module_t *module,
                                           size_t fn, size_t i,
                                           const int64_t *coordinates,
                                           int64_t *offsets);

/* Runs function `fn` of a module compiled for target "cpu" (one compiled
 * for "cuda" is refused: see weft_module_invoke_on_device). `args` and
 * `results` are in manifest order; results are caller-allocated and
 * overwritten. Checks every tensor's dtype and shape against the manifest,
 * that no result is also an argument or another result, and every index
 * input against its bound first, and names the first one that differs;
 * nothing runs when a check fails. A module with a
 * mesh of one device runs here too (on a single-rank communicator of its
 * own); one with more devices fails, saying to use weft_module_invoke_on. */
weft_status_t weft_module_invoke(weft_module_t *module, size_t fn,
                                 weft_tensor_t *const *args, size_t num_args,
                                 weft_tensor_t *const *results,
                                 size_t num_results);

/* Runs function `fn` of a module with a mesh as this process's device of
 * `communicator` (weft/collectives.h), whose mesh shape must be the
 * module's and whose back end must take host buffers (single or MPI).
 * Every device of the mesh makes the same call: arguments are this
 * device's slices (checked against their local_shape; index inputs are
 * checked and reported at their index in the whole input), results whole.
 * The compiled code's collectives run through `communicator`; a failure
 * of one is returned, prefixed with the function's name, after the call.
 * `communicator` is borrowed, not retained. A module without a mesh takes
 * none: pass NULL, which makes this weft_module_invoke (as it does for a
 * module with a mesh). */
weft_status_t weft_module_invoke_on(weft_module_t *module, size_t fn,
                                    struct weft_communicator *communicator,
                                    weft_tensor_t *const *args, size_t num_args,
                                    weft_tensor_t *const *results,
                                    size_t num_results);

/* Runs function `fn` of a module compiled for target "cuda" on `device`
 * (weft/cuda.h); a module compiled for "cpu" is refused (call
 * weft_module_invoke). `args` and `results` are host tensors, checked
 * first as weft_module_invoke checks them (local shapes on a mesh).
 *
 * The first call on a device loads the module's kernels there and keeps
 * them in the module: the cubin when the device's compute capability is
 * the manifest's chip (sm_90: 9.0), else the PTX, JIT-compiled by the
 * driver (weft_module_device_image says which). Each call then runs on a
 * stream of its own: the arguments are copied into device buffers, the
 * entry launches its kernels and allocates its temporaries through the
 * device table (freed once the stream has finished), and after the
 * stream has finished the results are copied back. The first failure of a
 * launch or allocation, or of the stream, fails the call, prefixed
 * "function 'NAME': "; device memory of the call is freed on every path.
 *
 * `communicator`: NULL for a module without a mesh; else one over the
 * module's mesh with the NCCL back end (device buffers) on this device,
 * as for weft_module_invoke_on (on a one-device mesh NULL creates one).
 * Each collective of the entry first waits for the call's stream, whose
 * kernels compute its input. `out_device_ms`, when not NULL, receives the
 * device time of the entry (between CUDA events recorded around it,
 * copies excluded).
 *
 * Ownership: `device` and `communicator` are borrowed; the device must
 * stay open until the module is closed (its kernels stay loaded on it
 * until then). */
weft_status_t weft_module_invoke_on_device(
    weft_module_t *module, size_t fn, struct weft_cuda_device *device,
    struct weft_communicator *communicator, weft_tensor_t *const *args,
    size_t num_args, weft_tensor_t *const *results, size_t num_results,
    double *out_device_ms);

/* How the module's kernels were loaded on `device`: "cubin" (the
 * artifact's cubin, assembled for the device's architecture) or "ptx"
 * (JIT-compiled from the PTX for another one); NULL before a call on that
 * device has loaded them, and for a module without kernels. Thread-safe. */
const char *weft_module_device_image(const weft_module_t *module,
                                     const struct weft_cuda_device *device);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_RUNTIME_H */
