//===- Module.cpp - Opening artifacts and invoking their functions --------===//
//
// weft_module_open reads the container, validates the manifest, loads the
// host code (and, for target cuda, keeps the kernels' ptx and cubin
// sections) and resolves every entry symbol up front, so a module that
// opens can run. Every call is checked the same way (prepareCall: the
// target, the communicator, the local slices of a partitioned module's
// arguments); weft_module_invoke(_on) then passes host tensors to the entry
// function as strided memref descriptors, with the communicator's
// collective table when the module has a mesh. CudaInvoke.cpp runs cuda
// modules.
//
//===----------------------------------------------------------------------===//

#include "Module.h"

#include "Artifact.h"
#include "ArtifactFormat.h"

#include <algorithm>
#include <cctype>
#include <cstring>

using namespace weft::runtime;

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

/// Keeps the kernels of a cuda module, which every device it runs on
/// loads: the ptx and cubin sections, both of which weft-compile writes
/// when the program has kernels.
Status keepDeviceCode(weft_module &module,
                      const std::vector<Section> &sections) {
  const Manifest &manifest = module.manifest;
  if (!manifest.hasDevice)
    return error("manifest: device: missing (target 'cuda' needs the "
                 "device object: the chip and the kernels)");
  int64_t chip = 0;
  if (!parseChip(manifest.device.chip, chip))
    return error("manifest: device.chip: expected sm_<compute capability> "
                 "(e.g. sm_90), found ",
                 quote(manifest.device.chip));
  const size_t kernels = manifest.device.kernels.size();
  if (kernels == 0)
    return Status();
  for (const char *name : {artifact::kPtxSection, artifact::kCubinSection}) {
    const Section *section = findSection(sections, name);
    if (!section)
      return error("missing the section ", quote(name), ", which holds the ",
                   kernels, " kernels of the manifest's device");
    if (section->bytes.empty())
      return error("the section ", quote(name), " is empty");
    (section->name == artifact::kPtxSection ? module.ptx : module.cubin) =
        std::string(section->bytes);
  }
  // The driver takes PTX as a C string: a NUL would cut it short.
  if (size_t nul = module.ptx.find('\0'); nul != std::string::npos)
    return error("the section 'ptx' holds a NUL byte at offset ", nul,
                 ": PTX is text");
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
  const std::string &target = module.manifest.target;
  if (target == kCudaTarget)
    WEFT_RETURN_IF_ERROR(keepDeviceCode(module, sections));
  else if (target != kCpuTarget)
    return error("target ", quote(target),
                 " is not supported by this runtime build (it runs '",
                 kCpuTarget, "' and '", kCudaTarget, "')");
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

/// Checks a tensor against the value's local shape: this device's slice of
/// an argument, the whole value otherwise.
Status checkTensor(const ValueSpec &spec, const weft_tensor *tensor, size_t i,
                   bool isResult) {
  if (!tensor)
    return error(describeValue(spec, i, isResult), ": tensor is null");
  const int64_t rank = static_cast<int64_t>(spec.shape.size());
  Status s = checkType(spec.dtype, spec.localShape.data(), rank, tensor->dtype,
                       tensor->shape, tensor->rank);
  if (s.ok())
    return Status();
  std::string slice;
  if (spec.localShape != spec.shape)
    slice = concat(" (this device's slice of ",
                   formatType(spec.dtype, spec.shape.data(), rank), ")");
  return error(describeValue(spec, i, isResult), ": ", s.message(), slice);
}

/// "[0, 3]" for flat index 3 of a [2, 3]... tensor that is the slice at
/// `offsets` (null: at the origin) of a larger one.
std::string formatIndex(const weft_tensor &tensor, int64_t flat,
                        const int64_t *offsets) {
  std::vector<int64_t> index(tensor.rank);
  for (int64_t d = tensor.rank - 1; d >= 0; --d) {
    index[d] = flat % tensor.shape[d] + (offsets ? offsets[d] : 0);
    flat /= tensor.shape[d];
  }
  return formatShape(index.data(), tensor.rank);
}

/// Reports an element out of bounds at its index in the whole input, so
/// that every device of a mesh names it as a single-device run would.
Status checkIndexBound(const ValueSpec &spec, const weft_tensor &tensor,
                       const MeshSpec *mesh, const int64_t *coordinates) {
  if (spec.indexBound < 0)
    return Status();
  for (int64_t i = 0; i < tensor.numElements; ++i) {
    int64_t value = loadInteger(tensor.dtype, tensor.data, i);
    if (value >= 0 && value < spec.indexBound)
      continue;
    std::vector<int64_t> offsets;
    if (mesh && coordinates)
      offsets = sliceOffsets(*mesh, spec, coordinates);
    return error(
        "input ", quote(spec.name), " element ",
        formatIndex(tensor, i, offsets.empty() ? nullptr : offsets.data()),
        " = ", value, " is outside [0, ", spec.indexBound, ")");
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

/// Everything invoke checks before calling. `coordinates` is this
/// device's place in `mesh` (both null without a mesh).
Status checkCall(const FunctionSpec &fn, const MeshSpec *mesh,
                 const int64_t *coordinates, weft_tensor_t *const *args,
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
    WEFT_RETURN_IF_ERROR(
        checkIndexBound(fn.arguments[i], *args[i], mesh, coordinates));
  return Status();
}

const FunctionSpec *functionAt(const weft_module *module, size_t fn) {
  return fn < module->manifest.functions.size()
             ? &module->manifest.functions[fn]
             : nullptr;
}

void fillInfo(const ValueSpec *spec, weft_value_info_t *info) {
  if (!info)
    return;
  *info = weft_value_info_t{
      nullptr, WEFT_ROLE_INPUT, WEFT_DTYPE_F32, 0, nullptr, -1, nullptr};
  if (!spec)
    return;
  info->name = spec->name.c_str();
  info->role = spec->role;
  info->dtype = spec->dtype;
  info->rank = static_cast<int64_t>(spec->shape.size());
  info->shape = spec->shape.data();
  info->index_bound = spec->indexBound;
  info->local_shape = spec->localShape.data();
}

/// "function index 9 is out of range (it has 4 functions)".
Status functionIndexError(const weft_module &module, size_t fn) {
  return error("artifact ", quote(module.path), ": function index ", fn,
               " is out of range (it has ", module.manifest.functions.size(),
               " functions)");
}

/// "2x2", the mesh as messages about running on it name it.
std::string meshDevices(const MeshSpec &mesh) {
  std::string out;
  for (size_t i = 0; i < mesh.shape.size(); ++i)
    out += concat(i ? "x" : "", mesh.shape[i]);
  return out;
}

/// The communicator function `fn` runs on at `place`: null without a mesh;
/// `given`, checked against the module's mesh and the buffers the target
/// passes (host memory for cpu, device memory for cuda); or, for a mesh of
/// one device and no communicator, one of its own created into `owned`
/// (single for cpu, nccl on the call's device for cuda). Messages name the
/// function.
Status chooseCommunicator(const weft_module &module, const FunctionSpec &fn,
                          const CallPlace &place, weft_communicator_t *given,
                          CommunicatorPtr &owned, weft_communicator_t *&out) {
  const Manifest &manifest = module.manifest;
  const bool cuda = manifest.target == kCudaTarget;
  std::string function = concat("function ", quote(fn.name));
  out = given;
  if (!manifest.hasMesh) {
    if (given)
      return error(function, " has no mesh: it runs on one device and takes "
                             "no communicator (pass NULL)");
    return Status();
  }
  const MeshSpec &mesh = manifest.mesh;
  const int64_t meshRank = static_cast<int64_t>(mesh.shape.size());
  if (!given) {
    int64_t devices = 1;
    for (int64_t size : mesh.shape)
      devices *= size;
    if (devices > 1)
      return error(function, " was compiled for a mesh of ", meshDevices(mesh),
                   " devices; run it on a communicator of that mesh (",
                   cuda ? "weft_module_invoke_on_device; weft-run "
                          "--device=cuda"
                        : "weft_module_invoke_on; weft-run",
                   " under mpirun -np ", devices, ")");
    weft_communicator_options_t options;
    weft_communicator_options_initialize(&options);
    options.backend =
        cuda ? WEFT_COLLECTIVE_BACKEND_NCCL : WEFT_COLLECTIVE_BACKEND_SINGLE;
    options.mesh_rank = meshRank;
    options.mesh_shape = mesh.shape.data();
    options.device_ordinal = place.deviceOrdinal;
    Status s = Status::adopt(weft_communicator_create(&options, &out));
    if (!s.ok())
      return std::move(s).withPrefix(function + ": ");
    owned.reset(out);
    return Status();
  }
  const int64_t *shape = weft_communicator_mesh_shape(given);
  const int64_t rank = weft_communicator_mesh_rank(given);
  if (rank != meshRank || !std::equal(shape, shape + rank, mesh.shape.begin()))
    return error(function, " was compiled for mesh ", quote(mesh.name), " ",
                 formatShape(mesh.shape.data(), meshRank),
                 ", but the communicator's mesh is ", formatShape(shape, rank));
  // Compiled code hands the collectives the buffers it computes in.
  weft_collective_backend_t backend = weft_communicator_backend(given);
  if ((backend == WEFT_COLLECTIVE_BACKEND_NCCL) != cuda)
    return error(function, ": the communicator's ",
                 weft_collective_backend_name(backend), " back end takes ",
                 cuda ? "host" : "CUDA device", " buffers, but target ",
                 quote(manifest.target), " passes ", cuda ? "device" : "host",
                 " buffers: use the ", cuda ? "nccl" : "mpi or single",
                 " back end");
  return Status();
}

} // namespace

bool weft::runtime::parseChip(const std::string &chip, int64_t &capability) {
  // sm_<digits>, then at most one feature letter (sm_90a, sm_100f).
  size_t end = chip.size();
  if (end > 3 && std::islower(static_cast<unsigned char>(chip[end - 1])))
    --end;
  if (chip.compare(0, 3, "sm_") != 0 || end == 3 || end - 3 > 4)
    return false;
  int64_t value = 0;
  for (size_t i = 3; i < end; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(chip[i])))
      return false;
    value = value * 10 + (chip[i] - '0');
  }
  capability = value;
  return true;
}

Status weft::runtime::prepareCall(weft_module &module, size_t fn,
                                  const CallPlace &place,
                                  weft_communicator_t *given,
                                  weft_tensor_t *const *args, size_t numArgs,
                                  weft_tensor_t *const *results,
                                  size_t numResults, PreparedCall &out) {
  const FunctionSpec *spec = functionAt(&module, fn);
  if (!spec)
    return functionIndexError(module, fn);
  out.function = spec;
  out.entry = module.entries[fn];
  out.prefix = concat("function ", quote(spec->name), ": ");
  const std::string &target = module.manifest.target;
  if (target != place.target) {
    if (target == kCudaTarget)
      return error("function ", quote(spec->name),
                   " was compiled for target 'cuda'; run it on a CUDA device "
                   "(weft_module_invoke_on_device; weft-run --device=cuda)");
    return error("function ", quote(spec->name), " was compiled for target ",
                 quote(target), "; call weft_module_invoke");
  }
  WEFT_RETURN_IF_ERROR(chooseCommunicator(module, *spec, place, given,
                                          out.owned, out.communicator));
  const MeshSpec *mesh =
      module.manifest.hasMesh ? &module.manifest.mesh : nullptr;
  Status s = checkCall(*spec, mesh,
                       out.communicator
                           ? weft_communicator_coordinates(out.communicator)
                           : nullptr,
                       args, numArgs, results, numResults);
  if (!s.ok())
    return std::move(s).withPrefix(out.prefix);
  if (!out.communicator)
    return Status();
  // A failure left over from another caller of the table would otherwise
  // be reported as this call's.
  Status pending =
      Status::adopt(weft_collective_table_take_status(out.communicator));
  if (!pending.ok())
    return std::move(pending).withPrefix(
        out.prefix + "not run: the communicator holds an unreported failure "
                     "of an earlier call through its collective table: ");
  return Status::adopt(
      weft_collective_table_initialize(out.communicator, &out.table));
}

Status PreparedCall::takeCollectiveStatus() {
  if (!communicator)
    return Status();
  return Status::adopt(weft_collective_table_take_status(communicator))
      .withPrefix(prefix);
}

void **Descriptors::build() {
  static_assert(sizeof(void *) == sizeof(int64_t),
                "memref descriptors hold pointers in 8-byte fields");
  storage.assign(words, 0);
  pointers.clear();
  int64_t *p = storage.data();
  for (const Value &v : values) {
    pointers.push_back(p);
    std::memcpy(&p[0], &v.data, sizeof(void *)); // allocated
    std::memcpy(&p[1], &v.data, sizeof(void *)); // aligned
    p[2] = 0;                                    // offset
    int64_t stride = 1;
    for (int64_t d = v.rank - 1; d >= 0; --d) {
      p[3 + d] = v.shape[d];
      p[3 + v.rank + d] = stride;
      stride *= v.shape[d];
    }
    p += 3 + 2 * v.rank;
  }
  return pointers.data();
}

namespace {

/// weft_module_invoke and _invoke_on: the checks, the call on the host
/// tensors, and the status of its collectives.
Status invoke(weft_module &module, size_t fn, weft_communicator_t *given,
              weft_tensor_t *const *args, size_t numArgs,
              weft_tensor_t *const *results, size_t numResults) {
  PreparedCall call;
  WEFT_RETURN_IF_ERROR(prepareCall(module, fn, CallPlace{kCpuTarget, -1}, given,
                                   args, numArgs, results, numResults, call));
  Descriptors descriptors;
  for (size_t i = 0; i < numArgs; ++i)
    descriptors.add(*args[i], args[i]->data);
  for (size_t i = 0; i < numResults; ++i)
    descriptors.add(*results[i], results[i]->data);
  call.entry(descriptors.build(), call.collectives(), nullptr);
  return call.takeCollectiveStatus();
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

int64_t weft_module_mesh_rank(const weft_module_t *module) {
  return static_cast<int64_t>(module->manifest.mesh.shape.size());
}

const int64_t *weft_module_mesh_shape(const weft_module_t *module) {
  return module->manifest.hasMesh ? module->manifest.mesh.shape.data()
                                  : nullptr;
}

const char *weft_module_mesh_axis_name(const weft_module_t *module,
                                       int64_t axis) {
  const std::vector<std::string> &axes = module->manifest.mesh.axes;
  return axis >= 0 && axis < static_cast<int64_t>(axes.size())
             ? axes[axis].c_str()
             : nullptr;
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

weft_status_t weft_function_argument_slice(const weft_module_t *module,
                                           size_t fn, size_t i,
                                           const int64_t *coordinates,
                                           int64_t *offsets) {
  WEFT_CHECK_ARG(module);
  const FunctionSpec *spec = functionAt(module, fn);
  if (!spec)
    return functionIndexError(*module, fn).release();
  if (i >= spec->arguments.size())
    return error("function ", quote(spec->name), " has no argument ", i,
                 " (it has ", spec->arguments.size(), ")")
        .release();
  const ValueSpec &arg = spec->arguments[i];
  const MeshSpec &mesh = module->manifest.mesh;
  const int64_t meshRank = static_cast<int64_t>(mesh.shape.size());
  if (meshRank > 0)
    WEFT_CHECK_ARG(coordinates);
  if (!arg.shape.empty())
    WEFT_CHECK_ARG(offsets);
  for (int64_t axis = 0; axis < meshRank; ++axis)
    if (coordinates[axis] < 0 || coordinates[axis] >= mesh.shape[axis])
      return error("coordinates ", formatShape(coordinates, meshRank),
                   " are outside mesh ", quote(mesh.name), " ",
                   formatShape(mesh.shape.data(), meshRank), " along axis ",
                   axis)
          .release();
  std::vector<int64_t> slice = meshRank > 0
                                   ? sliceOffsets(mesh, arg, coordinates)
                                   : std::vector<int64_t>(arg.shape.size(), 0);
  std::copy(slice.begin(), slice.end(), offsets);
  return nullptr;
}

weft_status_t weft_module_invoke(weft_module_t *module, size_t fn,
                                 weft_tensor_t *const *args, size_t num_args,
                                 weft_tensor_t *const *results,
                                 size_t num_results) {
  WEFT_CHECK_ARG(module);
  return invoke(*module, fn, nullptr, args, num_args, results, num_results)
      .release();
}

weft_status_t weft_module_invoke_on(weft_module_t *module, size_t fn,
                                    weft_communicator_t *communicator,
                                    weft_tensor_t *const *args, size_t num_args,
                                    weft_tensor_t *const *results,
                                    size_t num_results) {
  WEFT_CHECK_ARG(module);
  return invoke(*module, fn, communicator, args, num_args, results, num_results)
      .release();
}

} // extern "C"
