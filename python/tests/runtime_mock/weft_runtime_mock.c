/*===- weft_runtime_mock.c - A stand-in for libweft_runtime.so in tests ----===
 *
 * Implements runtime.h with a fixed, in-memory "artifact" so that the
 * Python runner's ctypes bindings, marshalling and error paths can be tested
 * without the real runtime or compiler. Compiled against the real header,
 * so any drift in a signature is a compile error here.
 *
 * Functions of the fake module (any file starting with the artifact magic):
 *   forward(input_ids i32 [2,3] < 5, table bf16 [5,4] weight, scale f32 [4] weight)
 *       -> out f32 [2,3,4] = table[input_ids] * scale
 *   echo(x f16 [3], y f64 [2]) -> x f16 [3] (copy), neg_y f64 [2], answer i64 [] = 42
 * mock_live_objects() counts statuses and tensors not yet freed.
 *
 *===----------------------------------------------------------------------===*/
#include "weft/runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int live_objects = 0;
int mock_live_objects(void) { return live_objects; }

/*===-- Status ---------------------------------------------------------------===*/

struct weft_status {
  char message[512];
};

static weft_status_t fail(const char *fmt, ...) {
  weft_status_t s = calloc(1, sizeof *s);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->message, sizeof s->message, fmt, ap);
  va_end(ap);
  ++live_objects;
  return s;
}

const char *weft_status_message(weft_status_t status) { return status ? status->message : ""; }
void weft_status_free(weft_status_t status) {
  if (status) {
    free(status);
    --live_objects;
  }
}

/*===-- Element types --------------------------------------------------------===*/

static const char *const kNames[] = {"f16", "bf16", "f32", "f64", "i32", "i64"};
static const size_t kSizes[] = {2, 2, 4, 8, 4, 8};

const char *weft_dtype_name(weft_dtype_t dtype) { return (unsigned)dtype < 6 ? kNames[dtype] : "invalid"; }
size_t weft_dtype_size(weft_dtype_t dtype) { return (unsigned)dtype < 6 ? kSizes[dtype] : 0; }
weft_status_t weft_dtype_parse(const char *name, weft_dtype_t *dtype) {
  for (int i = 0; i < 6; ++i)
    if (strcmp(name, kNames[i]) == 0) {
      *dtype = (weft_dtype_t)i;
      return NULL;
    }
  return fail("unknown element type '%s'", name);
}

/*===-- Tensors --------------------------------------------------------------===*/

struct weft_tensor {
  weft_dtype_t dtype;
  int64_t rank;
  int64_t shape[WEFT_MAX_RANK];
  int64_t count;
  void *data;
};

weft_status_t weft_tensor_create(weft_dtype_t dtype, int64_t rank, const int64_t *shape, weft_tensor_t **tensor) {
  if ((unsigned)dtype >= 6) return fail("invalid dtype %d", (int)dtype);
  if (rank < 0 || rank > WEFT_MAX_RANK) return fail("rank %lld outside [0, %d]", (long long)rank, WEFT_MAX_RANK);
  weft_tensor_t *t = calloc(1, sizeof *t);
  t->dtype = dtype;
  t->rank = rank;
  t->count = 1;
  for (int64_t i = 0; i < rank; ++i) {
    if (shape[i] < 0) {
      free(t);
      return fail("negative size %lld", (long long)shape[i]);
    }
    t->shape[i] = shape[i];
    t->count *= shape[i];
  }
  t->data = calloc((size_t)(t->count ? t->count : 1), kSizes[dtype]);
  ++live_objects;
  *tensor = t;
  return NULL;
}

void weft_tensor_free(weft_tensor_t *tensor) {
  if (tensor) {
    free(tensor->data);
    free(tensor);
    --live_objects;
  }
}
weft_dtype_t weft_tensor_dtype(const weft_tensor_t *t) { return t->dtype; }
int64_t weft_tensor_rank(const weft_tensor_t *t) { return t->rank; }
const int64_t *weft_tensor_shape(const weft_tensor_t *t) { return t->shape; }
int64_t weft_tensor_num_elements(const weft_tensor_t *t) { return t->count; }
size_t weft_tensor_num_bytes(const weft_tensor_t *t) { return (size_t)t->count * kSizes[t->dtype]; }
void *weft_tensor_data(weft_tensor_t *t) { return t->data; }

weft_status_t weft_tensor_read_npy(const char *path, weft_tensor_t **tensor) {
  (void)tensor;
  return fail("mock runtime: cannot read npy '%s'", path);
}
weft_status_t weft_tensor_write_npy(const weft_tensor_t *tensor, const char *path) {
  (void)tensor;
  return fail("mock runtime: cannot write npy '%s'", path);
}
weft_status_t weft_tensor_parse(const char *text, weft_tensor_t **tensor) {
  (void)tensor;
  return fail("mock runtime: cannot parse '%s'", text);
}

/*===-- Safetensors ----------------------------------------------------------===*/

weft_status_t weft_safetensors_open(const char *path, weft_safetensors_t **file) {
  (void)file;
  return fail("mock runtime: cannot open safetensors file '%s'", path);
}
void weft_safetensors_close(weft_safetensors_t *file) { (void)file; }
size_t weft_safetensors_count(const weft_safetensors_t *file) { (void)file; return 0; }
const char *weft_safetensors_name(const weft_safetensors_t *file, size_t i) { (void)file; (void)i; return ""; }
weft_status_t weft_safetensors_read(const weft_safetensors_t *file, const char *name, weft_tensor_t *tensor) {
  (void)file; (void)tensor;
  return fail("mock runtime: no tensor '%s'", name);
}

/*===-- Module ---------------------------------------------------------------===*/

typedef struct {
  const char *name;
  weft_role_t role;
  weft_dtype_t dtype;
  int64_t rank;
  int64_t shape[3];
  int64_t index_bound;
} spec_t;

typedef struct {
  const char *name;
  size_t num_args, num_results;
  spec_t args[3], results[3];
} function_t;

static const function_t kFunctions[2] = {
    {"forward", 3, 1,
     {{"input_ids", WEFT_ROLE_INPUT, WEFT_DTYPE_I32, 2, {2, 3}, 5},
      {"table", WEFT_ROLE_WEIGHT, WEFT_DTYPE_BF16, 2, {5, 4}, -1},
      {"scale", WEFT_ROLE_WEIGHT, WEFT_DTYPE_F32, 1, {4}, -1}},
     {{"out", WEFT_ROLE_INPUT, WEFT_DTYPE_F32, 3, {2, 3, 4}, -1}}},
    {"echo", 2, 3,
     {{"x", WEFT_ROLE_INPUT, WEFT_DTYPE_F16, 1, {3}, -1},
      {"y", WEFT_ROLE_INPUT, WEFT_DTYPE_F64, 1, {2}, -1}},
     {{"x", WEFT_ROLE_INPUT, WEFT_DTYPE_F16, 1, {3}, -1},
      {"neg_y", WEFT_ROLE_INPUT, WEFT_DTYPE_F64, 1, {2}, -1},
      {"answer", WEFT_ROLE_INPUT, WEFT_DTYPE_I64, 0, {0}, -1}}},
};

struct weft_module {
  int open;
};

weft_status_t weft_module_open(const char *path, weft_module_t **module) {
  FILE *f = fopen(path, "rb");
  if (!f) return fail("cannot open artifact '%s'", path);
  char magic[8] = {0};
  size_t n = fread(magic, 1, 8, f);
  fclose(f);
  if (n != 8 || memcmp(magic, "WEFTART\0", 8) != 0) return fail("'%s' is not a weft artifact (bad magic)", path);
  *module = calloc(1, sizeof **module);
  (*module)->open = 1;
  ++live_objects;
  return NULL;
}

void weft_module_close(weft_module_t *module) {
  if (module) {
    free(module);
    --live_objects;
  }
}
const char *weft_module_target(const weft_module_t *module) { (void)module; return "cpu"; }
const char *weft_module_manifest(const weft_module_t *module) {
  (void)module;
  return "{\"format\": \"weft-artifact\", \"version\": 1, \"target\": \"cpu\", \"mesh\": null, \"functions\": []}";
}
size_t weft_module_function_count(const weft_module_t *module) { (void)module; return 2; }
const char *weft_module_function_name(const weft_module_t *module, size_t i) { (void)module; return kFunctions[i].name; }
weft_status_t weft_module_lookup(const weft_module_t *module, const char *name, size_t *function) {
  (void)module;
  for (size_t i = 0; i < 2; ++i)
    if (strcmp(kFunctions[i].name, name) == 0) {
      *function = i;
      return NULL;
    }
  return fail("no function '%s' in the module; it has: forward, echo", name);
}
size_t weft_function_argument_count(const weft_module_t *m, size_t fn) { (void)m; return kFunctions[fn].num_args; }
size_t weft_function_result_count(const weft_module_t *m, size_t fn) { (void)m; return kFunctions[fn].num_results; }

static void fill(const spec_t *s, weft_value_info_t *info) {
  info->name = s->name;
  info->role = s->role;
  info->dtype = s->dtype;
  info->rank = s->rank;
  info->shape = s->shape;
  info->index_bound = s->index_bound;
}
void weft_function_argument(const weft_module_t *m, size_t fn, size_t i, weft_value_info_t *info) {
  (void)m;
  fill(&kFunctions[fn].args[i], info);
}
void weft_function_result(const weft_module_t *m, size_t fn, size_t i, weft_value_info_t *info) {
  (void)m;
  fill(&kFunctions[fn].results[i], info);
}

static void format_type(char *buf, size_t n, weft_dtype_t dtype, int64_t rank, const int64_t *shape) {
  int k = snprintf(buf, n, "%s [", weft_dtype_name(dtype));
  for (int64_t i = 0; i < rank && k < (int)n; ++i) k += snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (k < (int)n) snprintf(buf + k, n - k, "]");
}

static weft_status_t check(const char *what, const spec_t *s, const weft_tensor_t *t) {
  int same = t->dtype == s->dtype && t->rank == s->rank;
  for (int64_t i = 0; same && i < s->rank; ++i) same = t->shape[i] == s->shape[i];
  if (same) return NULL;
  char want[128], got[128];
  format_type(want, sizeof want, s->dtype, s->rank, s->shape);
  format_type(got, sizeof got, t->dtype, t->rank, t->shape);
  return fail("%s '%s': expected %s, got %s", what, s->name, want, got);
}

static float bf16_to_float(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

weft_status_t weft_module_invoke(weft_module_t *module, size_t fn, weft_tensor_t *const *args, size_t num_args,
                                 weft_tensor_t *const *results, size_t num_results) {
  if (!module || !module->open) return fail("module is not open");
  if (fn >= 2) return fail("function index %zu out of range", fn);
  const function_t *f = &kFunctions[fn];
  if (num_args != f->num_args || num_results != f->num_results)
    return fail("function '%s' takes %zu arguments and %zu results, got %zu and %zu", f->name, f->num_args,
                f->num_results, num_args, num_results);
  weft_status_t s;
  for (size_t i = 0; i < num_args; ++i)
    if ((s = check("argument", &f->args[i], args[i]))) return s;
  for (size_t i = 0; i < num_results; ++i)
    if ((s = check("result", &f->results[i], results[i]))) return s;
  if (fn == 0) {
    const int32_t *ids = args[0]->data;
    for (int64_t i = 0; i < args[0]->count; ++i)
      if (ids[i] < 0 || ids[i] >= 5)
        return fail("input 'input_ids': element %lld is %d, expected a value in [0, 5)", (long long)i, ids[i]);
    const uint16_t *table = args[1]->data;
    const float *scale = args[2]->data;
    float *out = results[0]->data;
    for (int64_t t = 0; t < 6; ++t)
      for (int d = 0; d < 4; ++d) out[t * 4 + d] = bf16_to_float(table[ids[t] * 4 + d]) * scale[d];
  } else {
    memcpy(results[0]->data, args[0]->data, 6);
    const double *y = args[1]->data;
    double *neg = results[1]->data;
    neg[0] = -y[0];
    neg[1] = -y[1];
    *(int64_t *)results[2]->data = 42;
  }
  return NULL;
}
