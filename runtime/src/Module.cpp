//===- Module.cpp - Opening artifacts and invoking their functions --------===//
//
// weft_module_open reads the container, validates the manifest, loads the
// host code and resolves every entry symbol up front, so a module that opens
// can run. weft_module_invoke checks its tensors against the manifest, then
// passes them to the entry function as strided memref descriptors.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"
#include "ArtifactFormat.h"
#include "HostLibrary.h"
#include "Manifest.h"
#include "Tensor.h"

#include <cstring>

using namespace weft::runtime;

namespace {

/// `void weft_entry_<name>(void **args)`, the ABI of docs/artifact.md.
using EntryFunction = void (*)(void **);

/// The target this build of the runtime can run.
constexpr const char *kHostTarget = "cpu";

} // namespace

struct weft_module {
  std::string path;
  std::string manifestText;
  Manifest manifest;
  HostLibrary library;
  std::vector<EntryFunction> entries; // Parallel to manifest.functions.
};

namespace {

/// " (built for x86_64-pc-linux-gnu, cpu znver3, needing libomp.so.5)", the
/// likely causes of a load failure, or "" when the manifest has no "host".
std::string describeHost(const Manifest &manifest) {
  if (!manifest.hasHost)
    return "";
  std::string out = concat(" (built for ", manifest.host.triple, ", cpu ",
                           manifest.host.cpu);
  for (size_t i = 0; i < manifest.host.needed.size(); ++i)
    out += concat(i ? ", " : ", needing ", manifest.host.needed[i]);
  return out + ")";
}

/// Looks up every entry symbol now, so that a module that opens can run.
Status resolveEntries(weft_module &module) {
  for (const FunctionSpec &fn : module.manifest.functions) {
    void *symbol = module.library.lookup(fn.symbol.c_str());
    if (!symbol)
      return error("the hostlib section does not export ", quote(fn.symbol),
                   " (the entry of function ", quote(fn.name), ")");
    module.entries.push_back(reinterpret_cast<EntryFunction>(symbol));
  }
  return Status();
}

Status loadModule(weft_module &module) {
  MappedFile file;
  WEFT_RETURN_IF_ERROR(MappedFile::open(module.path, file));
  std::vector<Section> sections;
  WEFT_RETURN_IF_ERROR(readContainer(file.view(), sections));
  const Section *manifest = findSection(sections, artifact::kManifestSection);
  const Section *hostlib = findSection(sections, artifact::kHostLibSection);
  if (!manifest || !hostlib)
    return error("missing the required section ",
                 quote(manifest ? artifact::kHostLibSection
                                : artifact::kManifestSection));
  module.manifestText = std::string(manifest->bytes);
  Status parsed = parseManifest(module.manifestText, module.manifest);
  if (!parsed.ok())
    return std::move(parsed).withPrefix("manifest: ");
  if (module.manifest.target != kHostTarget)
    return error("target ", quote(module.manifest.target),
                 " is not supported by this runtime build (it runs '",
                 kHostTarget, "')");
  Status loaded = module.library.load(hostlib->bytes);
  if (!loaded.ok())
    return error(loaded.message(), describeHost(module.manifest));
  return resolveEntries(module);
}

const char *roleName(weft_role_t role) {
  return role == WEFT_ROLE_WEIGHT ? "weight" : "input";
}

/// "input 'ids' (argument 0)" or "result 'logits' (result 0)".
std::string describeValue(const ValueSpec &spec, size_t i, bool isResult) {
  return concat(isResult ? "result" : roleName(spec.role), " ",
                quote(spec.name), isResult ? " (result " : " (argument ", i,
                ")");
}

Status checkTensor(const ValueSpec &spec, const weft_tensor *tensor, size_t i,
                   bool isResult) {
  if (!tensor)
    return error(describeValue(spec, i, isResult), ": tensor is null");
  Status s = checkType(spec.dtype, spec.shape.data(),
                       static_cast<int64_t>(spec.shape.size()), tensor->dtype,
                       tensor->shape, tensor->rank);
  if (!s.ok())
    return std::move(s).withPrefix(describeValue(spec, i, isResult) + ": ");
  return Status();
}

/// "[0, 3]" for flat index 3 of a [2, 3]... tensor.
std::string formatIndex(const weft_tensor &tensor, int64_t flat) {
  std::vector<int64_t> index(tensor.rank);
  for (int64_t d = tensor.rank - 1; d >= 0; --d) {
    index[d] = flat % tensor.shape[d];
    flat /= tensor.shape[d];
  }
  return formatShape(index.data(), tensor.rank);
}

Status checkIndexBound(const ValueSpec &spec, const weft_tensor &tensor) {
  if (spec.indexBound < 0)
    return Status();
  for (int64_t i = 0; i < tensor.numElements; ++i) {
    int64_t value = loadInteger(tensor.dtype, tensor.data, i);
    if (value < 0 || value >= spec.indexBound)
      return error("input ", quote(spec.name), " element ",
                   formatIndex(tensor, i), " = ", value, " is outside [0, ",
                   spec.indexBound, ")");
  }
  return Status();
}

/// Results are written in place; one buffer in two roles would let the
/// entry function read what it has already overwritten.
Status checkAliasing(const FunctionSpec &fn, weft_tensor_t *const *args,
                     weft_tensor_t *const *results) {
  for (size_t r = 0; r < fn.results.size(); ++r) {
    for (size_t a = 0; a < fn.arguments.size(); ++a)
      if (results[r] == args[a])
        return error(describeValue(fn.results[r], r, true),
                     ": the same tensor is passed as ",
                     describeValue(fn.arguments[a], a, false));
    for (size_t q = 0; q < r; ++q)
      if (results[r] == results[q])
        return error(describeValue(fn.results[r], r, true),
                     ": the same tensor is passed as ",
                     describeValue(fn.results[q], q, true));
  }
  return Status();
}

Status checkCall(const FunctionSpec &fn, weft_tensor_t *const *args,
                 size_t numArgs, weft_tensor_t *const *results,
                 size_t numResults) {
  if (numArgs != fn.arguments.size() || (numArgs && !args))
    return error("expected ", fn.arguments.size(), " arguments, got ",
                 numArgs);
  if (numResults != fn.results.size() || (numResults && !results))
    return error("expected ", fn.results.size(), " results, got ", numResults);
  for (size_t i = 0; i < numArgs; ++i)
    WEFT_RETURN_IF_ERROR(checkTensor(fn.arguments[i], args[i], i, false));
  for (size_t i = 0; i < numResults; ++i)
    WEFT_RETURN_IF_ERROR(checkTensor(fn.results[i], results[i], i, true));
  WEFT_RETURN_IF_ERROR(checkAliasing(fn, args, results));
  for (size_t i = 0; i < numArgs; ++i)
    WEFT_RETURN_IF_ERROR(checkIndexBound(fn.arguments[i], *args[i]));
  return Status();
}

/// Strided memref descriptors, {allocated, aligned, offset, sizes[r],
/// strides[r]}, all 8-byte fields, for each argument then each result.
class Descriptors {
public:
  void add(weft_tensor *tensor) {
    tensors.push_back(tensor);
    words += 3 + 2 * static_cast<size_t>(tensor->rank);
  }

  /// Fills the descriptors and returns the pointer array the entry takes.
  void **build() {
    storage.assign(words, 0);
    pointers.clear();
    int64_t *p = storage.data();
    for (weft_tensor *t : tensors) {
      pointers.push_back(p);
      std::memcpy(&p[0], &t->data, sizeof(void *)); // allocated
      std::memcpy(&p[1], &t->data, sizeof(void *)); // aligned
      p[2] = 0;                                     // offset
      int64_t stride = 1;
      for (int64_t d = t->rank - 1; d >= 0; --d) {
        p[3 + d] = t->shape[d];
        p[3 + t->rank + d] = stride;
        stride *= t->shape[d];
      }
      p += 3 + 2 * t->rank;
    }
    return pointers.data();
  }

private:
  static_assert(sizeof(void *) == sizeof(int64_t),
                "memref descriptors hold pointers in 8-byte fields");
  std::vector<weft_tensor *> tensors;
  size_t words = 0;
  std::vector<int64_t> storage;
  std::vector<void *> pointers;
};

const FunctionSpec *functionAt(const weft_module *module, size_t fn) {
  return fn < module->manifest.functions.size()
             ? &module->manifest.functions[fn]
             : nullptr;
}

void fillInfo(const ValueSpec *spec, weft_value_info_t *info) {
  if (!info)
    return;
  *info = weft_value_info_t{nullptr, WEFT_ROLE_INPUT, WEFT_DTYPE_F32, 0,
                            nullptr, -1};
  if (!spec)
    return;
  info->name = spec->name.c_str();
  info->role = spec->role;
  info->dtype = spec->dtype;
  info->rank = static_cast<int64_t>(spec->shape.size());
  info->shape = spec->shape.data();
  info->index_bound = spec->indexBound;
}

} // namespace

extern "C" {

weft_status_t weft_module_open(const char *path, weft_module_t **module) {
  WEFT_CHECK_ARG(path);
  WEFT_CHECK_ARG(module);
  std::unique_ptr<weft_module> loaded(new weft_module);
  loaded->path = path;
  Status s = loadModule(*loaded);
  if (!s.ok())
    return std::move(s)
        .withPrefix(concat("artifact ", quote(path), ": "))
        .release();
  *module = loaded.release();
  return nullptr;
}

void weft_module_close(weft_module_t *module) { delete module; }

const char *weft_module_target(const weft_module_t *module) {
  return module->manifest.target.c_str();
}

const char *weft_module_manifest(const weft_module_t *module) {
  return module->manifestText.c_str();
}

size_t weft_module_function_count(const weft_module_t *module) {
  return module->manifest.functions.size();
}

const char *weft_module_function_name(const weft_module_t *module, size_t i) {
  const FunctionSpec *fn = functionAt(module, i);
  return fn ? fn->name.c_str() : nullptr;
}

weft_status_t weft_module_lookup(const weft_module_t *module, const char *name,
                                 size_t *function) {
  WEFT_CHECK_ARG(module);
  WEFT_CHECK_ARG(name);
  WEFT_CHECK_ARG(function);
  std::string names;
  const std::vector<FunctionSpec> &functions = module->manifest.functions;
  for (size_t i = 0; i < functions.size(); ++i) {
    if (functions[i].name == name) {
      *function = i;
      return nullptr;
    }
    names += concat(i ? ", " : "", quote(functions[i].name));
  }
  return error("artifact ", quote(module->path), " has no function ",
               quote(name), " (it has ", names, ")")
      .release();
}

size_t weft_function_argument_count(const weft_module_t *module, size_t fn) {
  const FunctionSpec *spec = functionAt(module, fn);
  return spec ? spec->arguments.size() : 0;
}

size_t weft_function_result_count(const weft_module_t *module, size_t fn) {
  const FunctionSpec *spec = functionAt(module, fn);
  return spec ? spec->results.size() : 0;
}

void weft_function_argument(const weft_module_t *module, size_t fn, size_t i,
                            weft_value_info_t *info) {
  const FunctionSpec *spec = functionAt(module, fn);
  fillInfo(spec && i < spec->arguments.size() ? &spec->arguments[i] : nullptr,
           info);
}

void weft_function_result(const weft_module_t *module, size_t fn, size_t i,
                          weft_value_info_t *info) {
  const FunctionSpec *spec = functionAt(module, fn);
  fillInfo(spec && i < spec->results.size() ? &spec->results[i] : nullptr,
           info);
}

weft_status_t weft_module_invoke(weft_module_t *module, size_t fn,
                                 weft_tensor_t *const *args, size_t num_args,
                                 weft_tensor_t *const *results,
                                 size_t num_results) {
  WEFT_CHECK_ARG(module);
  const FunctionSpec *spec = functionAt(module, fn);
  if (!spec)
    return error("artifact ", quote(module->path), ": function index ", fn,
                 " is out of range (it has ",
                 module->manifest.functions.size(), " functions)")
        .release();
  Status s = checkCall(*spec, args, num_args, results, num_results);
  if (!s.ok())
    return std::move(s)
        .withPrefix(concat("function ", quote(spec->name), ": "))
        .release();
  Descriptors descriptors;
  for (size_t i = 0; i < num_args; ++i)
    descriptors.add(args[i]);
  for (size_t i = 0; i < num_results; ++i)
    descriptors.add(results[i]);
  module->entries[fn](descriptors.build());
  return nullptr;
}

} // extern "C"
