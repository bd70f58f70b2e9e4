//===- Manifest.cpp - The manifest of a .weft artifact --------------------===//
//
// Schema validation of the manifest JSON. Each reader takes the JSON path of
// the value it checks so that messages point at the offending field. The
// mesh is read first, so that argument shardings are checked against it.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"
#include "Json.h"
#include "Tensor.h"

#include <climits>
#include <initializer_list>

using namespace weft::runtime;
using json::Value;

namespace {

constexpr const char *kFormat = "weft-artifact";
constexpr int64_t kManifestVersion = 1;

std::string field(const std::string &path, const char *key) {
  return path.empty() ? key : path + "." + key;
}

std::string element(const std::string &path, size_t i) {
  return concat(path, "[", i, "]");
}

/// "path: " before a message about the value at `path` ("" at the root).
std::string at(const std::string &path) {
  return path.empty() ? "" : path + ": ";
}

Status typeError(const std::string &path, const char *expected,
                 const Value &found) {
  return error(at(path), "expected ", expected, ", found ",
               json::describe(found.kind()));
}

/// `value` is an object with every `required` key and no key outside
/// `required` and `optional`.
Status checkObject(const Value &value, const std::string &path,
                   std::initializer_list<const char *> required,
                   std::initializer_list<const char *> optional = {}) {
  if (!value.isObject())
    return typeError(path, "an object", value);
  for (const char *key : required)
    if (!value.find(key))
      return error(field(path, key), ": missing");
  for (size_t i = 0; i < value.size(); ++i) {
    bool known = false;
    for (auto keys : {required, optional})
      for (const char *key : keys)
        known |= value.key(i) == key;
    if (!known)
      return error(at(path), "unexpected field ", quote(value.key(i)));
  }
  return Status();
}

Status readString(const Value &object, const std::string &path,
                  const char *key, std::string &out) {
  const Value &value = *object.find(key);
  if (!value.isString())
    return typeError(field(path, key), "a string", value);
  if (value.getString().empty())
    return error(field(path, key), ": must not be empty");
  out = value.getString();
  return Status();
}

bool isIdentifier(const std::string &s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
    return false;
  for (char c : s)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9')))
      return false;
  return true;
}

Status readShape(const Value &value, const std::string &path,
                 weft_dtype_t dtype, std::vector<int64_t> &shape) {
  if (!value.isArray())
    return typeError(path, "an array of sizes", value);
  if (value.size() > WEFT_MAX_RANK)
    return error(path, ": rank ", value.size(), " exceeds ", WEFT_MAX_RANK);
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].isInteger() || value[i].getInteger() < 0)
      return error(element(path, i), ": expected a non-negative integer");
    shape.push_back(value[i].getInteger());
  }
  int64_t count = 0;
  size_t bytes = 0;
  Status s = checkShape(dtype, shape.data(), static_cast<int64_t>(shape.size()),
                        &count, &bytes);
  return std::move(s).withPrefix(path + ": ");
}

Status readDtype(const Value &object, const std::string &path,
                 weft_dtype_t &dtype) {
  std::string name;
  WEFT_RETURN_IF_ERROR(readString(object, path, "dtype", name));
  if (lookupDtype(name, dtype))
    return Status();
  return error(field(path, "dtype"), ": expected ", kDtypeNames, ", found ",
               quote(name));
}

Status readIndexBound(const Value &object, const std::string &path,
                      ValueSpec &spec) {
  const Value *bound = object.find("index_bound");
  if (!bound)
    return Status();
  std::string where = field(path, "index_bound");
  if (!bound->isInteger() || bound->getInteger() < 1)
    return error(where, ": expected a positive integer");
  if (spec.role != WEFT_ROLE_INPUT || !isIntegerDtype(spec.dtype))
    return error(where, ": only integer inputs take an index bound (this is ",
                 spec.dtype == WEFT_DTYPE_BF16 ? "a " : "an ",
                 weft_dtype_name(spec.dtype),
                 spec.role == WEFT_ROLE_INPUT ? " input)" : " weight)");
  spec.indexBound = bound->getInteger();
  return Status();
}

/// "sharding": one list of distinct mesh axes per leading dimension, each
/// axis used once in the whole list, whose devices divide the dimension.
/// Sets spec.localShape.
Status readSharding(const Value &object, const std::string &path,
                    const MeshSpec *mesh, ValueSpec &spec) {
  spec.localShape = spec.shape;
  const Value *sharding = object.find("sharding");
  if (!sharding)
    return Status();
  std::string where = field(path, "sharding");
  if (!mesh)
    return error(where, ": only arguments of a module with a mesh are split "
                        "(the manifest's mesh is null)");
  if (!sharding->isArray())
    return typeError(where, "an array of lists of mesh axes", *sharding);
  const size_t rank = spec.shape.size();
  if (sharding->size() > rank)
    return error(where, ": ", sharding->size(),
                 " dimensions listed for a value of rank ", rank);
  const int64_t meshRank = static_cast<int64_t>(mesh->shape.size());
  std::vector<std::string> seenAt(mesh->shape.size()); // Where each is used.
  for (size_t d = 0; d < sharding->size(); ++d) {
    const Value &axes = (*sharding)[d];
    std::string dimPath = element(where, d);
    if (!axes.isArray())
      return typeError(dimPath, "an array of mesh axes", axes);
    int64_t devices = 1;
    std::vector<int64_t> list;
    for (size_t k = 0; k < axes.size(); ++k) {
      std::string axisPath = element(dimPath, k);
      if (!axes[k].isInteger())
        return typeError(axisPath, "a mesh axis index", axes[k]);
      int64_t axis = axes[k].getInteger();
      if (axis < 0 || axis >= meshRank)
        return error(axisPath, ": mesh axis ", axis,
                     " is out of range for a mesh of ", meshRank,
                     meshRank == 1 ? " axis" : " axes");
      if (!seenAt[axis].empty())
        return error(axisPath, ": mesh axis ", axis, " is already used by ",
                     seenAt[axis]);
      seenAt[axis] = concat("sharding[", d, "][", k, "]");
      // The mesh has at most 2^31 - 1 devices: no overflow.
      devices *= mesh->shape[axis];
      list.push_back(axis);
    }
    if (spec.shape[d] % devices != 0)
      return error(dimPath, ": ", devices, " devices do not divide dimension ",
                   d, " of size ", spec.shape[d]);
    spec.localShape[d] = spec.shape[d] / devices;
    spec.sharding.push_back(std::move(list));
  }
  return Status();
}

Status readValue(const Value &value, const std::string &path, bool isArgument,
                 const MeshSpec *mesh, ValueSpec &spec) {
  if (isArgument)
    WEFT_RETURN_IF_ERROR(checkObject(value, path,
                                     {"name", "role", "dtype", "shape"},
                                     {"index_bound", "sharding"}));
  else if (value.isObject() && value.find("sharding"))
    return error(field(path, "sharding"),
                 ": results are whole on every device and take no sharding");
  else
    WEFT_RETURN_IF_ERROR(checkObject(value, path, {"name", "dtype", "shape"}));
  WEFT_RETURN_IF_ERROR(readString(value, path, "name", spec.name));
  if (isArgument) {
    std::string role;
    WEFT_RETURN_IF_ERROR(readString(value, path, "role", role));
    if (role != "input" && role != "weight")
      return error(field(path, "role"), ": expected 'input' or 'weight', found ",
                   quote(role));
    spec.role = role == "input" ? WEFT_ROLE_INPUT : WEFT_ROLE_WEIGHT;
  }
  WEFT_RETURN_IF_ERROR(readDtype(value, path, spec.dtype));
  WEFT_RETURN_IF_ERROR(
      readShape(*value.find("shape"), field(path, "shape"), spec.dtype,
                spec.shape));
  WEFT_RETURN_IF_ERROR(readSharding(value, path, mesh, spec));
  return isArgument ? readIndexBound(value, path, spec) : Status();
}

Status readValues(const Value &object, const std::string &path, const char *key,
                  const MeshSpec *mesh, std::vector<ValueSpec> &values) {
  const Value &list = *object.find(key);
  std::string listPath = field(path, key);
  if (!list.isArray())
    return typeError(listPath, "an array", list);
  bool isArgument = std::string_view(key) == "arguments";
  for (size_t i = 0; i < list.size(); ++i) {
    ValueSpec spec;
    WEFT_RETURN_IF_ERROR(
        readValue(list[i], element(listPath, i), isArgument, mesh, spec));
    for (const ValueSpec &other : values)
      if (other.name == spec.name)
        return error(field(element(listPath, i), "name"), ": duplicate name ",
                     quote(spec.name));
    values.push_back(std::move(spec));
  }
  return Status();
}

Status readFunction(const Value &value, const std::string &path,
                    const MeshSpec *mesh, FunctionSpec &fn) {
  WEFT_RETURN_IF_ERROR(
      checkObject(value, path, {"name", "symbol", "arguments", "results"}));
  WEFT_RETURN_IF_ERROR(readString(value, path, "name", fn.name));
  WEFT_RETURN_IF_ERROR(readString(value, path, "symbol", fn.symbol));
  if (!isIdentifier(fn.symbol))
    return error(field(path, "symbol"), ": ", quote(fn.symbol),
                 " is not a C identifier");
  WEFT_RETURN_IF_ERROR(
      readValues(value, path, "arguments", mesh, fn.arguments));
  return readValues(value, path, "results", mesh, fn.results);
}

/// A communicator's limits: MPI and NCCL ranks are int.
constexpr int64_t kMaxMeshDevices = INT32_MAX;

/// null, or {"name": ..., "shape": [...], "axes": [...]}: 1 to
/// WEFT_MAX_RANK axes with distinct, non-empty names and positive sizes,
/// as many devices as a communicator can have.
Status readMesh(const Value &value, Manifest &manifest) {
  if (value.isNull())
    return Status();
  WEFT_RETURN_IF_ERROR(checkObject(value, "mesh", {"name", "shape", "axes"}));
  MeshSpec mesh;
  WEFT_RETURN_IF_ERROR(readString(value, "mesh", "name", mesh.name));
  const Value &shape = *value.find("shape");
  const Value &axes = *value.find("axes");
  if (!shape.isArray())
    return typeError("mesh.shape", "an array", shape);
  if (!axes.isArray())
    return typeError("mesh.axes", "an array", axes);
  if (shape.size() != axes.size())
    return error("mesh: ", shape.size(), " sizes but ", axes.size(), " axes");
  if (shape.size() == 0 || shape.size() > WEFT_MAX_RANK)
    return error("mesh: ", shape.size(), " axes, expected 1 to ",
                 WEFT_MAX_RANK);
  int64_t devices = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!shape[i].isInteger() || shape[i].getInteger() < 1)
      return error(element("mesh.shape", i), ": expected a positive integer");
    if (!axes[i].isString())
      return typeError(element("mesh.axes", i), "a string", axes[i]);
    const std::string &axis = axes[i].getString();
    if (axis.empty())
      return error(element("mesh.axes", i), ": must not be empty");
    for (const std::string &other : mesh.axes)
      if (other == axis)
        return error(element("mesh.axes", i), ": duplicate axis ", quote(axis));
    if (__builtin_mul_overflow(devices, shape[i].getInteger(), &devices) ||
        devices > kMaxMeshDevices)
      return error("mesh.shape: more than 2^31 - 1 devices");
    mesh.shape.push_back(shape[i].getInteger());
    mesh.axes.push_back(axis);
  }
  manifest.hasMesh = true;
  manifest.mesh = std::move(mesh);
  return Status();
}

/// {"triple": ..., "cpu": ..., "needed": [...]}.
Status readHost(const Value &value, HostSpec &host) {
  WEFT_RETURN_IF_ERROR(
      checkObject(value, "host", {"triple", "cpu", "needed"}));
  WEFT_RETURN_IF_ERROR(readString(value, "host", "triple", host.triple));
  WEFT_RETURN_IF_ERROR(readString(value, "host", "cpu", host.cpu));
  const Value &needed = *value.find("needed");
  if (!needed.isArray())
    return typeError("host.needed", "an array", needed);
  for (size_t i = 0; i < needed.size(); ++i) {
    if (!needed[i].isString())
      return typeError(element("host.needed", i), "a string", needed[i]);
    if (needed[i].getString().empty())
      return error(element("host.needed", i), ": must not be empty");
    host.needed.push_back(needed[i].getString());
  }
  return Status();
}

/// A non-negative integer field of `object`.
Status readCount(const Value &object, const std::string &path, const char *key,
                 int64_t &out) {
  const Value &value = *object.find(key);
  if (!value.isInteger() || value.getInteger() < 0)
    return error(field(path, key), ": expected a non-negative integer");
  out = value.getInteger();
  return Status();
}

/// {"chip": "sm_90", "kernels": [{"name", "registers", "stack_bytes",
/// "spill_store_bytes", "spill_load_bytes", "shared_bytes"}, ...]}.
Status readDevice(const Value &value, DeviceSpec &device) {
  WEFT_RETURN_IF_ERROR(checkObject(value, "device", {"chip", "kernels"}));
  WEFT_RETURN_IF_ERROR(readString(value, "device", "chip", device.chip));
  const Value &kernels = *value.find("kernels");
  if (!kernels.isArray())
    return typeError("device.kernels", "an array", kernels);
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::string path = element("device.kernels", i);
    KernelSpec k;
    WEFT_RETURN_IF_ERROR(checkObject(
        kernels[i], path,
        {"name", "registers", "stack_bytes", "spill_store_bytes",
         "spill_load_bytes", "shared_bytes"}));
    WEFT_RETURN_IF_ERROR(readString(kernels[i], path, "name", k.name));
    if (!isIdentifier(k.name))
      return error(field(path, "name"), ": ", quote(k.name),
                   " is not a kernel symbol");
    WEFT_RETURN_IF_ERROR(readCount(kernels[i], path, "registers", k.registers));
    WEFT_RETURN_IF_ERROR(
        readCount(kernels[i], path, "stack_bytes", k.stackBytes));
    WEFT_RETURN_IF_ERROR(
        readCount(kernels[i], path, "spill_store_bytes", k.spillStoreBytes));
    WEFT_RETURN_IF_ERROR(
        readCount(kernels[i], path, "spill_load_bytes", k.spillLoadBytes));
    WEFT_RETURN_IF_ERROR(
        readCount(kernels[i], path, "shared_bytes", k.sharedBytes));
    device.kernels.push_back(std::move(k));
  }
  return Status();
}

Status readHeader(const Value &root, Manifest &manifest) {
  WEFT_RETURN_IF_ERROR(checkObject(root, "",
                                   {"format", "version", "target", "functions"},
                                   {"mesh", "host", "device"}));
  std::string format;
  WEFT_RETURN_IF_ERROR(readString(root, "", "format", format));
  if (format != kFormat)
    return error("format: expected '", kFormat, "', found ", quote(format));
  const Value &version = *root.find("version");
  if (!version.isInteger())
    return typeError("version", "an integer", version);
  if (version.getInteger() != kManifestVersion)
    return error("version: this runtime reads version ", kManifestVersion,
                 ", found ", version.getInteger());
  WEFT_RETURN_IF_ERROR(readString(root, "", "target", manifest.target));
  if (const Value *host = root.find("host")) {
    manifest.hasHost = true;
    WEFT_RETURN_IF_ERROR(readHost(*host, manifest.host));
  }
  if (const Value *device = root.find("device")) {
    manifest.hasDevice = true;
    WEFT_RETURN_IF_ERROR(readDevice(*device, manifest.device));
  }
  const Value *mesh = root.find("mesh");
  return mesh ? readMesh(*mesh, manifest) : Status();
}

} // namespace

Status weft::runtime::parseManifest(std::string_view text,
                                    Manifest &manifest) {
  Value root;
  Status parsed = json::parse(text, root);
  if (!parsed.ok())
    return std::move(parsed).withPrefix("invalid JSON: ");
  Manifest result;
  WEFT_RETURN_IF_ERROR(readHeader(root, result));
  const Value &functions = *root.find("functions");
  if (!functions.isArray() || functions.size() == 0)
    return error("functions: expected a non-empty array");
  for (size_t i = 0; i < functions.size(); ++i) {
    FunctionSpec fn;
    WEFT_RETURN_IF_ERROR(readFunction(functions[i], element("functions", i),
                                      result.hasMesh ? &result.mesh : nullptr,
                                      fn));
    for (const FunctionSpec &other : result.functions)
      if (other.name == fn.name)
        return error(field(element("functions", i), "name"),
                     ": duplicate function ", quote(fn.name));
    result.functions.push_back(std::move(fn));
  }
  manifest = std::move(result);
  return Status();
}

std::vector<int64_t> weft::runtime::sliceOffsets(const MeshSpec &mesh,
                                                 const ValueSpec &value,
                                                 const int64_t *coordinates) {
  std::vector<int64_t> offsets(value.shape.size(), 0);
  for (size_t d = 0; d < value.sharding.size(); ++d) {
    int64_t block = 0;
    for (int64_t axis : value.sharding[d])
      block = block * mesh.shape[axis] + coordinates[axis];
    offsets[d] = block * value.localShape[d];
  }
  return offsets;
}
