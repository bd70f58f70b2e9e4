//===- Communicator.cpp - Communicators, mesh groups, collectives ---------===//
//
// The C API of weft/collectives.h over the back-end interface: choosing and
// creating the back end, checking every argument before anything is sent,
// turning mesh axes into groups (formed once per set of axes and cached),
// and turning tensor dimensions into the flat, group-ordered buffers back
// ends exchange.
//
// Groups are formed per *set* of axes, numbered row-major over the axes in
// ascending order (what MPI_Comm_split with that key gives). A collective
// listing the axes in another order numbers the same devices differently;
// the permutation between the two is applied when packing and unpacking, so
// [0, 1] and [1, 0] share one group.
//
//===----------------------------------------------------------------------===//

#include "Communicator.h"
#include "CollectivePlugin.h"
#include "Tensor.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

using namespace weft::runtime;

struct weft_communicator {
  std::atomic<int64_t> references{1};
  weft_collective_backend_t kind = WEFT_COLLECTIVE_BACKEND_SINGLE;
  std::vector<int64_t> meshShape;
  std::vector<int64_t> coordinates;
  int64_t rank = 0;
  int64_t size = 1;
  double timeout = 0;
  std::unique_ptr<CollectiveBackend> backend;
  // Declared after `backend`, so destroyed before it: groups hold the back
  // end's communicators.
  std::map<uint32_t, std::unique_ptr<CollectiveGroup>> groups;
  // Set by the first back-end failure: the library may still hold requests
  // on the failed call's buffers, so nothing may be sent any more.
  bool failed = false;
  std::string failure;
  // The first failure of a call through the function table.
  Status deferred;
  // Scratch memory of failed calls, which the library may still write.
  std::vector<void *> abandonedScratch;
};

namespace {

constexpr double kDefaultTimeoutSeconds = 300;
constexpr int64_t kMaxDevices = INT32_MAX; // MPI and NCCL ranks are int.

/// The int an enum argument holds. C callers may pass any int, which a C++
/// enum without a fixed underlying type need not be able to represent, so
/// the value is read from the object's bytes, never loaded as the enum,
/// until it has been checked.
template <typename Enum> int rawValue(const Enum &value) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized");
  int raw;
  std::memcpy(&raw, &value, sizeof(raw));
  return raw;
}

//===----------------------------------------------------------------------===//
// Back ends
//===----------------------------------------------------------------------===//

Status parseBackend(std::string_view name, weft_collective_backend_t &out) {
  for (int b = WEFT_COLLECTIVE_BACKEND_AUTO; b <= WEFT_COLLECTIVE_BACKEND_NCCL;
       ++b) {
    auto candidate = static_cast<weft_collective_backend_t>(b);
    if (name == weft_collective_backend_name(candidate)) {
      out = candidate;
      return Status();
    }
  }
  return error("unknown collective back end ", quote(name),
               ": expected auto, single, mpi or nccl");
}

/// Option (unless AUTO), then $WEFT_COLLECTIVE_BACKEND (unless auto), then
/// whether mpirun launched us.
Status chooseBackend(const weft_collective_backend_t &requested,
                     weft_collective_backend_t &out) {
  const int raw = rawValue(requested);
  if (raw < WEFT_COLLECTIVE_BACKEND_AUTO || raw > WEFT_COLLECTIVE_BACKEND_NCCL)
    return error("unknown collective back end ", raw,
                 " in the options: expected WEFT_COLLECTIVE_BACKEND_AUTO (0), "
                 "_SINGLE (1), _MPI (2) or _NCCL (3)");
  out = requested;
  if (out == WEFT_COLLECTIVE_BACKEND_AUTO) {
    if (const char *env = std::getenv("WEFT_COLLECTIVE_BACKEND"); env && *env)
      WEFT_RETURN_IF_ERROR(
          parseBackend(env, out).withPrefix("WEFT_COLLECTIVE_BACKEND: "));
  }
  if (out == WEFT_COLLECTIVE_BACKEND_AUTO)
    out = launchedByMpi() ? WEFT_COLLECTIVE_BACKEND_MPI
                          : WEFT_COLLECTIVE_BACKEND_SINGLE;
  return Status();
}

/// Option (unless 0), then $WEFT_COLLECTIVE_TIMEOUT_S, then 300 s.
Status chooseTimeout(double option, double &seconds, const char *&source) {
  if (option != 0) {
    if (!(option > 0) || !std::isfinite(option))
      return error("timeout_s ", option,
                   " in the options: expected a positive number of seconds, "
                   "or 0 for the default");
    seconds = option;
    source = "options";
    return Status();
  }
  const char *env = std::getenv("WEFT_COLLECTIVE_TIMEOUT_S");
  if (!env || !*env) {
    seconds = kDefaultTimeoutSeconds;
    source = "the default";
    return Status();
  }
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(env, &end);
  if (end == env || *end || errno || !(value > 0) || !std::isfinite(value))
    return error("WEFT_COLLECTIVE_TIMEOUT_S: expected a positive number of "
                 "seconds, found ",
                 quote(env));
  seconds = value;
  source = "WEFT_COLLECTIVE_TIMEOUT_S";
  return Status();
}

Status loadAndCreate(const char *backendName, const char *fileName,
                     const CollectiveBackendOptions &options,
                     std::unique_ptr<CollectiveBackend> bootstrap,
                     std::unique_ptr<CollectiveBackend> &out) {
  WeftCollectivePluginCreateFn create = nullptr;
  WEFT_RETURN_IF_ERROR(loadCollectivePlugin(backendName, fileName, create));
  CollectiveBackend *backend = nullptr;
  WEFT_RETURN_IF_ERROR(
      Status::adopt(create(&options, bootstrap.release(), &backend)));
  out.reset(backend);
  return Status();
}

Status createBackend(weft_collective_backend_t kind, int64_t devices,
                     const CollectiveBackendOptions &options,
                     std::unique_ptr<CollectiveBackend> &out) {
  switch (kind) {
  case WEFT_COLLECTIVE_BACKEND_MPI:
    return loadAndCreate("MPI", "libweft_runtime_mpi.so", options, nullptr,
                         out);
  case WEFT_COLLECTIVE_BACKEND_NCCL: {
    // Load NCCL first: a machine without it should not start MPI for
    // nothing. One device outside mpirun needs no id exchange.
    WeftCollectivePluginCreateFn create = nullptr;
    WEFT_RETURN_IF_ERROR(
        loadCollectivePlugin("NCCL", "libweft_runtime_nccl.so", create));
    std::unique_ptr<CollectiveBackend> bootstrap;
    if (devices > 1 || launchedByMpi())
      WEFT_RETURN_IF_ERROR(
          createBackend(WEFT_COLLECTIVE_BACKEND_MPI, devices, options,
                        bootstrap)
              .withPrefix("NCCL back end: its unique ids are exchanged over "
                          "the MPI back end: "));
    return loadAndCreate("NCCL", "libweft_runtime_nccl.so", options,
                         std::move(bootstrap), out);
  }
  default:
    out = createSingleBackend();
    return Status();
  }
}

//===----------------------------------------------------------------------===//
// Mesh groups
//===----------------------------------------------------------------------===//

/// The group a list of mesh axes spans, seen from this device.
struct GroupInfo {
  std::vector<int64_t> axes; // As listed.
  uint32_t mask = 0;
  int64_t size = 1;
  /// This device's index in listed order.
  int64_t index = 0;
  /// Listed order is the group's (ascending axes) order.
  bool identity = true;
  /// order[i]: the group rank of listed index i, when !identity.
  std::vector<int> order;
  /// MPI_Comm_split arguments: index over the other axes, and over the
  /// listed ones in ascending order.
  int color = 0;
  int key = 0;

  int64_t groupRank(int64_t listed) const {
    return identity ? listed : order[listed];
  }
};

/// Row-major index of `coordinates[axes[i]]` over `shape[axes[i]]`.
int64_t linearIndex(const std::vector<int64_t> &shape,
                    const std::vector<int64_t> &coordinates,
                    const std::vector<int64_t> &axes) {
  int64_t index = 0;
  for (int64_t axis : axes)
    index = index * shape[axis] + coordinates[axis];
  return index;
}

Status resolveGroup(const weft_communicator &c, const int64_t *axes,
                    int64_t numAxes, GroupInfo &g) {
  const int64_t meshRank = static_cast<int64_t>(c.meshShape.size());
  if (numAxes < 0 || numAxes > meshRank)
    return error("num_mesh_axes ", numAxes, " is outside [0, ", meshRank,
                 "] for mesh ", formatShape(c.meshShape.data(), meshRank));
  if (numAxes > 0 && !axes)
    return error("'mesh_axes' is null");
  for (int64_t i = 0; i < numAxes; ++i) {
    int64_t axis = axes[i];
    if (axis < 0 || axis >= meshRank)
      return error("mesh axis ", axis, " is outside [0, ", meshRank,
                   ") for mesh ", formatShape(c.meshShape.data(), meshRank));
    if (g.mask & (1u << axis))
      return error("mesh axis ", axis, " is listed twice in mesh_axes ",
                   formatShape(axes, numAxes));
    g.mask |= 1u << axis;
    g.axes.push_back(axis);
    g.size *= c.meshShape[axis];
  }
  std::vector<int64_t> sorted = g.axes, others;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t axis = 0; axis < meshRank; ++axis)
    if (!(g.mask & (1u << axis)))
      others.push_back(axis);
  g.identity = sorted == g.axes;
  g.index = linearIndex(c.meshShape, c.coordinates, g.axes);
  g.key = static_cast<int>(linearIndex(c.meshShape, c.coordinates, sorted));
  g.color = static_cast<int>(linearIndex(c.meshShape, c.coordinates, others));
  if (!g.identity) {
    g.order.resize(g.size);
    std::vector<int64_t> coordinates(meshRank, 0);
    for (int64_t i = 0; i < g.size; ++i) {
      int64_t rest = i;
      for (size_t k = g.axes.size(); k-- > 0;) {
        coordinates[g.axes[k]] = rest % c.meshShape[g.axes[k]];
        rest /= c.meshShape[g.axes[k]];
      }
      g.order[i] =
          static_cast<int>(linearIndex(c.meshShape, coordinates, sorted));
    }
  }
  return Status();
}

/// The world rank of the device of this device's group at `coordinates`
/// along the group's axes.
int64_t worldRank(const weft_communicator &c, const GroupInfo &g,
                  const int64_t *coordinates) {
  std::vector<int64_t> device = c.coordinates;
  for (size_t k = 0; k < g.axes.size(); ++k)
    device[g.axes[k]] = coordinates[k];
  int64_t rank = 0;
  for (size_t axis = 0; axis < device.size(); ++axis)
    rank = rank * c.meshShape[axis] + device[axis];
  return rank;
}

/// "mesh axes [1] (ranks {2, 3} of mesh [2, 2])", ranks in group order.
std::string describeGroup(const weft_communicator &c, const GroupInfo &g) {
  constexpr int64_t kShown = 8;
  std::string ranks;
  std::vector<int64_t> coordinates(g.axes.size());
  for (int64_t i = 0; i < g.size && i < kShown; ++i) {
    int64_t rest = i;
    for (size_t k = g.axes.size(); k-- > 0;) {
      coordinates[k] = rest % c.meshShape[g.axes[k]];
      rest /= c.meshShape[g.axes[k]];
    }
    ranks += concat(i ? ", " : "", worldRank(c, g, coordinates.data()));
  }
  if (g.size > kShown)
    ranks += concat(", ... (", g.size, " in all)");
  return concat(
      "mesh axes ",
      formatShape(g.axes.data(), static_cast<int64_t>(g.axes.size())),
      " (ranks {", ranks, "} of mesh ",
      formatShape(c.meshShape.data(), static_cast<int64_t>(c.meshShape.size())),
      ")");
}

/// The cached group for `g`, formed on first use.
Status getGroup(weft_communicator &c, const GroupInfo &g,
                CollectiveGroup *&out) {
  auto it = c.groups.find(g.mask);
  if (it == c.groups.end()) {
    std::unique_ptr<CollectiveGroup> group;
    WEFT_RETURN_IF_ERROR(c.backend->createGroup(g.color, g.key, group)
                             .withPrefix("forming the group: "));
    if (group->size() != g.size || group->rank() != g.key)
      return error("forming the group: the back end made this device rank ",
                   group->rank(), " of ", group->size(), ", expected rank ",
                   g.key, " of ", g.size);
    it = c.groups.emplace(g.mask, std::move(group)).first;
  }
  out = it->second.get();
  return Status();
}

//===----------------------------------------------------------------------===//
// Argument checks
//===----------------------------------------------------------------------===//

Status checkUsable(const weft_communicator &c) {
  if (c.failed)
    return error("the communicator failed earlier and cannot be used: ",
                 c.failure);
  return Status();
}

Status checkReduction(int reduction) {
  if (reduction < WEFT_REDUCTION_SUM || reduction > WEFT_REDUCTION_PROD)
    return error("invalid reduction ", reduction,
                 ": expected sum (0), max (1), min (2) or prod (3)");
  return Status();
}

Status checkDtype(int dtype) {
  if (dtype < WEFT_DTYPE_F16 || dtype > WEFT_DTYPE_I64)
    return error("invalid dtype ", dtype, ": expected ", kDtypeNames);
  return Status();
}

/// A flat buffer of `count` elements of a checked dtype.
Status checkCount(weft_dtype_t dtype, int64_t count, size_t &bytes) {
  if (count < 0)
    return error("count ", count, " is negative");
  if (__builtin_mul_overflow(static_cast<uint64_t>(count),
                             weft_dtype_size(dtype), &bytes) ||
      bytes > static_cast<size_t>(INT64_MAX))
    return error("count ", count, " of ", weft_dtype_name(dtype),
                 " needs more bytes than fit in 63 bits");
  return Status();
}

/// A tensor buffer of a checked dtype.
Status checkTensor(weft_dtype_t dtype, int64_t rank, const int64_t *shape,
                   size_t &bytes) {
  int64_t elements = 0;
  return checkShape(dtype, shape, rank, &elements, &bytes);
}

Status checkDim(const char *what, int64_t dim, int64_t rank,
                const int64_t *shape) {
  if (dim < 0 || dim >= rank)
    return error(what, " ", dim, " is outside [0, ", rank, ") for shape ",
                 formatShape(shape, rank));
  return Status();
}

Status checkDivisible(const char *what, int64_t dim, int64_t rank,
                      const int64_t *shape, int64_t groupSize) {
  if (shape[dim] % groupSize)
    return error(what, " ", dim, " of shape ", formatShape(shape, rank),
                 " has size ", shape[dim], ", which the group size ", groupSize,
                 " does not divide");
  return Status();
}

Status checkBuffer(const char *what, const void *buffer, size_t bytes) {
  if (bytes && !buffer)
    return error("'", what, "' is null but holds ", bytes, " bytes");
  return Status();
}

/// Send and recv may be the same buffer only where `sameAllowed`.
Status checkDisjoint(const void *send, size_t sendBytes, const void *recv,
                     size_t recvBytes, bool sameAllowed) {
  auto s = reinterpret_cast<uintptr_t>(send);
  auto r = reinterpret_cast<uintptr_t>(recv);
  if (!sendBytes || !recvBytes || (sameAllowed && s == r))
    return Status();
  if (s < r + recvBytes && r < s + sendBytes)
    return error("'send' [", send, ", +", sendBytes, ") and 'recv' [", recv,
                 ", +", recvBytes, ") overlap",
                 sameAllowed ? " without being the same buffer" : "");
  return Status();
}

Status checkCoordinates(const weft_communicator &c, const GroupInfo &g,
                        const char *what, const int64_t *coordinates) {
  if (!g.axes.empty() && !coordinates)
    return error("'", what, "' is null");
  for (size_t k = 0; k < g.axes.size(); ++k) {
    int64_t size = c.meshShape[g.axes[k]];
    if (coordinates[k] < 0 || coordinates[k] >= size)
      return error(what, " coordinate ", coordinates[k], " along mesh axis ",
                   g.axes[k], " is outside [0, ", size, ")");
  }
  return Status();
}

/// Product of shape[begin, end).
size_t product(const int64_t *shape, int64_t begin, int64_t end) {
  size_t p = 1;
  for (int64_t i = begin; i < end; ++i)
    p *= static_cast<size_t>(shape[i]);
  return p;
}

//===----------------------------------------------------------------------===//
// Running a collective
//===----------------------------------------------------------------------===//

/// Scratch memory from the back end for one collective, which run() owns:
/// freed once the collective is over, unless it failed (the library may
/// still write into it: then it stays allocated as long as the back end).
class Scratch {
public:
  explicit Scratch(weft_communicator &c) : c(c) {}
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  ~Scratch() {
    for (void *p : buffers)
      c.backend->deallocate(p);
  }
  /// `bytes` of scratch in `out`, valid until the collective is over.
  Status allocate(size_t bytes, char *&out) {
    void *p = nullptr;
    WEFT_RETURN_IF_ERROR(c.backend->allocate(bytes, &p));
    buffers.push_back(p);
    out = static_cast<char *>(p);
    return Status();
  }
  /// Hands every buffer to the communicator, which keeps it.
  void abandon() {
    c.abandonedScratch.insert(c.abandonedScratch.end(), buffers.begin(),
                              buffers.end());
    buffers.clear();
  }

private:
  weft_communicator &c;
  std::vector<void *> buffers;
};

char *bytesAt(void *p, size_t offset) {
  return static_cast<char *>(p) + offset;
}
const char *bytesAt(const void *p, size_t offset) {
  return static_cast<const char *>(p) + offset;
}

/// Copies `bytes` from `send` to `recv` in the back end's memory: what a
/// collective over a group of one device does.
Status copyLocal(weft_communicator &c, const void *send, void *recv,
                 size_t bytes) {
  if (send == recv || !bytes)
    return Status();
  WEFT_RETURN_IF_ERROR(c.backend->copy2D(recv, bytes, send, bytes, bytes, 1));
  return c.backend->synchronize();
}

/// Prefixes an argument error with the collective's name.
weft_status_t argumentError(const char *name, Status status) {
  return std::move(status).withPrefix(concat(name, ": ")).release();
}

/// Runs `body`, which talks to the back end and takes its scratch memory
/// from the pool it is given. A failure marks the communicator failed,
/// keeps the scratch and names the collective and its group.
template <typename Body>
weft_status_t run(weft_communicator &c, const char *name, const GroupInfo &g,
                  Body &&body) {
  Scratch scratch(c);
  Status status = body(scratch);
  if (status.ok())
    return nullptr;
  scratch.abandon();
  std::string message =
      concat(name, " over ", describeGroup(c, g), ": ", status.message());
  c.failed = true;
  c.failure = message;
  return Status::error(std::move(message)).release();
}

/// How every entry point ends: a failed argument check as an argument
/// error, nothing to do for an empty buffer, else `body` under run().
template <typename Body>
weft_status_t finish(weft_communicator &c, const char *name, Status checked,
                     const GroupInfo &g, size_t bytes, Body &&body) {
  if (!checked.ok())
    return argumentError(name, std::move(checked));
  if (!bytes)
    return nullptr;
  return run(c, name, g, std::forward<Body>(body));
}

/// The group a collective runs over in `group`; or, for a group of this
/// device alone, the result copied locally and `group` left null.
Status groupOrLocalCopy(weft_communicator &c, const GroupInfo &g,
                        const void *send, void *recv, size_t bytes,
                        CollectiveGroup *&group) {
  group = nullptr;
  if (g.size == 1)
    return copyLocal(c, send, recv, bytes);
  return getGroup(c, g, group);
}

/// Packs `send` (outer rows of n slices of `chunk` bytes) so that the
/// slice for listed index i becomes block groupRank(i) of `packed`.
Status packSlices(weft_communicator &c, const GroupInfo &g, const void *send,
                  char *packed, size_t outer, size_t chunk) {
  const size_t n = static_cast<size_t>(g.size);
  for (size_t i = 0; i < n; ++i)
    WEFT_RETURN_IF_ERROR(c.backend->copy2D(
        packed + static_cast<size_t>(g.groupRank(i)) * outer * chunk, chunk,
        bytesAt(send, i * chunk), n * chunk, chunk, outer));
  return Status();
}

/// The inverse: block groupRank(i) of `blocks` (outer rows of `chunk`
/// bytes) becomes slice i of every row of `recv`.
Status unpackSlices(weft_communicator &c, const GroupInfo &g,
                    const char *blocks, void *recv, size_t outer,
                    size_t chunk) {
  const size_t n = static_cast<size_t>(g.size);
  for (size_t i = 0; i < n; ++i)
    WEFT_RETURN_IF_ERROR(c.backend->copy2D(
        bytesAt(recv, i * chunk), n * chunk,
        blocks + static_cast<size_t>(g.groupRank(i)) * outer * chunk, chunk,
        chunk, outer));
  return c.backend->synchronize();
}

/// Runs `exchange`, a collective that writes the group's blocks (`outer`
/// rows of `chunk` bytes each, `bytes` in all) in group order, into
/// `recv`: straight there when that is already recv's layout (one row, the
/// group ordered as listed), else into scratch and then unpacked.
template <typename Exchange>
Status exchangeIntoSlices(Scratch &scratch, weft_communicator &c,
                          const GroupInfo &g, void *recv, size_t bytes,
                          size_t outer, size_t chunk, Exchange exchange) {
  if (outer == 1 && g.identity)
    return exchange(recv);
  char *blocks = nullptr;
  WEFT_RETURN_IF_ERROR(scratch.allocate(bytes, blocks));
  WEFT_RETURN_IF_ERROR(exchange(blocks));
  return unpackSlices(c, g, blocks, recv, outer, chunk);
}

//===----------------------------------------------------------------------===//
// The function table
//===----------------------------------------------------------------------===//

int32_t deferStatus(weft_communicator_t *c, weft_status_t status) {
  if (!status)
    return 0;
  if (c && c->deferred.ok())
    c->deferred = Status::adopt(status);
  else
    weft_status_free(status);
  return 1;
}

/// The table's enum arguments arrive as int32_t: check them before they
/// become enums.
Status checkTableEnums(const char *name, int32_t dtype,
                       int32_t reduction = WEFT_REDUCTION_SUM) {
  Status s = checkDtype(dtype);
  if (s.ok())
    s = checkReduction(reduction);
  return std::move(s).withPrefix(concat(name, ": "));
}

#define WEFT_CHECK_TABLE_ENUMS(...)                                            \
  do {                                                                         \
    if (Status s = checkTableEnums(__VA_ARGS__); !s.ok())                      \
      return deferStatus(c, s.release());                                      \
  } while (false)

int32_t tableAllReduce(weft_communicator_t *c, const int64_t *axes,
                       int64_t numAxes, int32_t reduction, int32_t dtype,
                       int64_t count, const void *send, void *recv) {
  WEFT_CHECK_TABLE_ENUMS("all_reduce", dtype, reduction);
  return deferStatus(
      c, weft_communicator_all_reduce(
             c, axes, numAxes, static_cast<weft_reduction_t>(reduction),
             static_cast<weft_dtype_t>(dtype), count, send, recv));
}

int32_t tableAllGather(weft_communicator_t *c, const int64_t *axes,
                       int64_t numAxes, int32_t dtype, int64_t rank,
                       const int64_t *shape, int64_t gatherDim,
                       const void *send, void *recv) {
  WEFT_CHECK_TABLE_ENUMS("all_gather", dtype);
  return deferStatus(c, weft_communicator_all_gather(
                            c, axes, numAxes, static_cast<weft_dtype_t>(dtype),
                            rank, shape, gatherDim, send, recv));
}

int32_t tableReduceScatter(weft_communicator_t *c, const int64_t *axes,
                           int64_t numAxes, int32_t reduction, int32_t dtype,
                           int64_t rank, const int64_t *shape,
                           int64_t scatterDim, const void *send, void *recv) {
  WEFT_CHECK_TABLE_ENUMS("reduce_scatter", dtype, reduction);
  return deferStatus(c, weft_communicator_reduce_scatter(
                            c, axes, numAxes,
                            static_cast<weft_reduction_t>(reduction),
                            static_cast<weft_dtype_t>(dtype), rank, shape,
                            scatterDim, send, recv));
}

int32_t tableAllToAll(weft_communicator_t *c, const int64_t *axes,
                      int64_t numAxes, int32_t dtype, int64_t rank,
                      const int64_t *shape, int64_t splitDim, int64_t concatDim,
                      const void *send, void *recv) {
  WEFT_CHECK_TABLE_ENUMS("all_to_all", dtype);
  return deferStatus(c, weft_communicator_all_to_all(
                            c, axes, numAxes, static_cast<weft_dtype_t>(dtype),
                            rank, shape, splitDim, concatDim, send, recv));
}

int32_t tableBroadcast(weft_communicator_t *c, const int64_t *axes,
                       int64_t numAxes, const int64_t *root, int32_t dtype,
                       int64_t count, const void *send, void *recv) {
  WEFT_CHECK_TABLE_ENUMS("broadcast", dtype);
  return deferStatus(
      c, weft_communicator_broadcast(c, axes, numAxes, root,
                                     static_cast<weft_dtype_t>(dtype), count,
                                     send, recv));
}

int32_t tableSend(weft_communicator_t *c, const int64_t *axes, int64_t numAxes,
                  const int64_t *destination, int32_t dtype, int64_t count,
                  const void *buffer) {
  WEFT_CHECK_TABLE_ENUMS("send", dtype);
  return deferStatus(c, weft_communicator_send(c, axes, numAxes, destination,
                                               static_cast<weft_dtype_t>(dtype),
                                               count, buffer));
}

int32_t tableRecv(weft_communicator_t *c, const int64_t *axes, int64_t numAxes,
                  const int64_t *source, int32_t dtype, int64_t count,
                  void *buffer) {
  WEFT_CHECK_TABLE_ENUMS("recv", dtype);
  return deferStatus(c, weft_communicator_recv(c, axes, numAxes, source,
                                               static_cast<weft_dtype_t>(dtype),
                                               count, buffer));
}

#undef WEFT_CHECK_TABLE_ENUMS

/// Moves a failed communicator's back end, groups and scratch memory to a
/// list that lives until the process ends: pending requests may still use
/// them, so tearing them down could hang or crash. The list keeps them
/// reachable, which also tells leak checkers that this is deliberate.
void keepUntilExit(weft_communicator &c) {
  struct Kept {
    std::unique_ptr<CollectiveBackend> backend;
    std::map<uint32_t, std::unique_ptr<CollectiveGroup>> groups;
    std::vector<void *> scratch;
  };
  static std::mutex mutex;
  static auto *kept = new std::vector<Kept>(); // Never destroyed.
  std::lock_guard<std::mutex> lock(mutex);
  kept->push_back(Kept{std::move(c.backend), std::move(c.groups),
                       std::move(c.abandonedScratch)});
}

} // namespace

bool weft::runtime::launchedByMpi() {
  // Open MPI, then PMIx and PMI-1/2 launchers (MPICH's hydra, Slurm's srun).
  for (const char *name :
       {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (const char *value = std::getenv(name); value && *value)
      return true;
  return false;
}

Status weft::runtime::createCommunicator(
    const std::vector<int64_t> &meshShape, weft_collective_backend_t kind,
    double timeout, std::unique_ptr<CollectiveBackend> backend,
    weft_communicator_t **out) {
  int64_t devices = 1;
  for (int64_t size : meshShape)
    devices *= size;
  if (backend->size() != devices) {
    const char *name = weft_collective_backend_name(kind);
    return error(
        "mesh ",
        formatShape(meshShape.data(), static_cast<int64_t>(meshShape.size())),
        " has ", devices, " devices but the ", name, " back end has ",
        backend->size(), " ranks: launch one process per device (mpirun -np ",
        devices, ")");
  }
  auto c = std::make_unique<weft_communicator>();
  c->kind = kind;
  c->meshShape = meshShape;
  c->rank = backend->rank();
  c->size = backend->size();
  c->timeout = timeout;
  c->coordinates.resize(meshShape.size());
  int64_t rest = c->rank;
  for (size_t axis = meshShape.size(); axis-- > 0;) {
    c->coordinates[axis] = rest % meshShape[axis];
    rest /= meshShape[axis];
  }
  c->backend = std::move(backend);
  *out = c.release();
  return Status();
}

extern "C" {

const char *weft_collective_backend_name(weft_collective_backend_t backend) {
  switch (rawValue(backend)) {
  case WEFT_COLLECTIVE_BACKEND_AUTO:
    return "auto";
  case WEFT_COLLECTIVE_BACKEND_SINGLE:
    return "single";
  case WEFT_COLLECTIVE_BACKEND_MPI:
    return "mpi";
  case WEFT_COLLECTIVE_BACKEND_NCCL:
    return "nccl";
  }
  return "unknown";
}

weft_status_t
weft_collective_backend_parse(const char *name,
                              weft_collective_backend_t *out_backend) {
  WEFT_CHECK_ARG(name);
  WEFT_CHECK_ARG(out_backend);
  return parseBackend(name, *out_backend).release();
}

const char *weft_reduction_name(weft_reduction_t reduction) {
  switch (rawValue(reduction)) {
  case WEFT_REDUCTION_SUM:
    return "sum";
  case WEFT_REDUCTION_MAX:
    return "max";
  case WEFT_REDUCTION_MIN:
    return "min";
  case WEFT_REDUCTION_PROD:
    return "prod";
  }
  return "unknown";
}

void weft_communicator_options_initialize(
    weft_communicator_options_t *options) {
  if (!options)
    return;
  std::memset(options, 0, sizeof(*options));
  options->backend = WEFT_COLLECTIVE_BACKEND_AUTO;
  options->mesh_rank = 0;
  options->mesh_shape = nullptr;
  options->timeout_s = 0;
  options->device_ordinal = -1;
}

weft_status_t
weft_communicator_create(const weft_communicator_options_t *options,
                         weft_communicator_t **out_communicator) {
  WEFT_CHECK_ARG(options);
  WEFT_CHECK_ARG(out_communicator);
  const int64_t meshRank = options->mesh_rank;
  if (meshRank < 1 || meshRank > WEFT_MAX_RANK)
    return error("mesh_rank ", meshRank, " is outside [1, ", WEFT_MAX_RANK,
                 "]: a communicator needs a mesh of at least one axis")
        .release();
  if (!options->mesh_shape)
    return error("mesh_shape is null").release();
  std::vector<int64_t> shape(options->mesh_shape,
                             options->mesh_shape + meshRank);
  int64_t devices = 1;
  for (int64_t axis = 0; axis < meshRank; ++axis) {
    if (shape[axis] < 1)
      return error("mesh ", formatShape(shape.data(), meshRank), " has size ",
                   shape[axis], " along axis ", axis,
                   ": every axis needs at least one device")
          .release();
    if (__builtin_mul_overflow(devices, shape[axis], &devices) ||
        devices > kMaxDevices)
      return error("mesh ", formatShape(shape.data(), meshRank),
                   " has more than 2^31 - 1 devices")
          .release();
  }

  weft_collective_backend_t kind;
  if (Status s = chooseBackend(options->backend, kind); !s.ok())
    return s.release();
  CollectiveBackendOptions backendOptions;
  if (Status s =
          chooseTimeout(options->timeout_s, backendOptions.timeoutSeconds,
                        backendOptions.timeoutSource);
      !s.ok())
    return s.release();
  backendOptions.deviceOrdinal = options->device_ordinal;
  if (kind == WEFT_COLLECTIVE_BACKEND_SINGLE && devices > 1)
    return error("mesh ", formatShape(shape.data(), meshRank), " has ", devices,
                 " devices but the single-rank back end runs one: launch "
                 "with mpirun -np ",
                 devices, " to use the MPI back end")
        .release();

  std::unique_ptr<CollectiveBackend> backend;
  if (Status s = createBackend(kind, devices, backendOptions, backend); !s.ok())
    return s.release();
  return createCommunicator(shape, kind, backendOptions.timeoutSeconds,
                            std::move(backend), out_communicator)
      .release();
}

void weft_communicator_retain(weft_communicator_t *communicator) {
  if (communicator)
    communicator->references.fetch_add(1, std::memory_order_relaxed);
}

void weft_communicator_release(weft_communicator_t *communicator) {
  if (communicator &&
      communicator->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    if (communicator->failed)
      keepUntilExit(*communicator);
    delete communicator;
  }
}

weft_collective_backend_t
weft_communicator_backend(const weft_communicator_t *communicator) {
  return communicator ? communicator->kind : WEFT_COLLECTIVE_BACKEND_AUTO;
}

int64_t weft_communicator_rank(const weft_communicator_t *communicator) {
  return communicator ? communicator->rank : 0;
}

int64_t weft_communicator_size(const weft_communicator_t *communicator) {
  return communicator ? communicator->size : 0;
}

int64_t weft_communicator_mesh_rank(const weft_communicator_t *communicator) {
  return communicator ? static_cast<int64_t>(communicator->meshShape.size())
                      : 0;
}

const int64_t *
weft_communicator_mesh_shape(const weft_communicator_t *communicator) {
  return communicator ? communicator->meshShape.data() : nullptr;
}

const int64_t *
weft_communicator_coordinates(const weft_communicator_t *communicator) {
  return communicator ? communicator->coordinates.data() : nullptr;
}

double weft_communicator_timeout(const weft_communicator_t *communicator) {
  return communicator ? communicator->timeout : 0;
}

void weft_communicator_abort(weft_communicator_t *communicator,
                             weft_status_t status) {
  const char *message = status ? weft_status_message(status) : "aborted";
  if (communicator)
    std::fprintf(stderr, "weft: rank %lld of %lld: %s\n",
                 static_cast<long long>(communicator->rank),
                 static_cast<long long>(communicator->size), message);
  else
    std::fprintf(stderr, "weft: %s\n", message);
  std::fflush(stderr);
  if (communicator && communicator->backend)
    communicator->backend->abort(1);
  std::_Exit(1);
}

weft_status_t weft_communicator_all_reduce(weft_communicator_t *communicator,
                                           const int64_t *mesh_axes,
                                           int64_t num_mesh_axes,
                                           weft_reduction_t reduction,
                                           weft_dtype_t dtype, int64_t count,
                                           const void *send, void *recv) {
  WEFT_CHECK_ARG(communicator);
  constexpr const char *name = "all_reduce";
  weft_communicator &c = *communicator;
  GroupInfo g;
  size_t bytes = 0;
  Status checked = [&]() -> Status {
    WEFT_RETURN_IF_ERROR(checkUsable(c));
    WEFT_RETURN_IF_ERROR(checkReduction(rawValue(reduction)));
    WEFT_RETURN_IF_ERROR(checkDtype(rawValue(dtype)));
    WEFT_RETURN_IF_ERROR(checkCount(dtype, count, bytes));
    WEFT_RETURN_IF_ERROR(checkBuffer("send", send, bytes));
    WEFT_RETURN_IF_ERROR(checkBuffer("recv", recv, bytes));
    WEFT_RETURN_IF_ERROR(checkDisjoint(send, bytes, recv, bytes, true));
    return resolveGroup(c, mesh_axes, num_mesh_axes, g);
  }();
  return finish(
      c, name, std::move(checked), g, bytes, [&](Scratch &) -> Status {
        CollectiveGroup *group = nullptr;
        if (Status s = groupOrLocalCopy(c, g, send, recv, bytes, group);
            !s.ok() || !group)
          return s;
        return group->allReduce(send, recv, count, dtype, reduction);
      });
}

weft_status_t weft_communicator_all_gather(
    weft_communicator_t *communicator, const int64_t *mesh_axes,
    int64_t num_mesh_axes, weft_dtype_t dtype, int64_t rank,
    const int64_t *shape, int64_t gather_dim, const void *send, void *recv) {
  WEFT_CHECK_ARG(communicator);
  constexpr const char *name = "all_gather";
  weft_communicator &c = *communicator;
  GroupInfo g;
  size_t bytes = 0, recvBytes = 0;
  Status checked = [&]() -> Status {
    WEFT_RETURN_IF_ERROR(checkUsable(c));
    WEFT_RETURN_IF_ERROR(checkDtype(rawValue(dtype)));
    WEFT_RETURN_IF_ERROR(checkTensor(dtype, rank, shape, bytes));
    WEFT_RETURN_IF_ERROR(checkDim("gather_dim", gather_dim, rank, shape));
    WEFT_RETURN_IF_ERROR(resolveGroup(c, mesh_axes, num_mesh_axes, g));
    if (__builtin_mul_overflow(bytes, static_cast<size_t>(g.size),
                               &recvBytes) ||
        recvBytes > static_cast<size_t>(INT64_MAX))
      return error("the gathered shape of ", formatShape(shape, rank), " over ",
                   g.size,
                   " devices needs more bytes than fit in "
                   "63 bits");
    WEFT_RETURN_IF_ERROR(checkBuffer("send", send, bytes));
    WEFT_RETURN_IF_ERROR(checkBuffer("recv", recv, recvBytes));
    return checkDisjoint(send, bytes, recv, recvBytes, false);
  }();
  return finish(
      c, name, std::move(checked), g, bytes, [&](Scratch &scratch) -> Status {
        CollectiveGroup *group = nullptr;
        if (Status s = groupOrLocalCopy(c, g, send, recv, bytes, group);
            !s.ok() || !group)
          return s;
        const size_t outer = product(shape, 0, gather_dim);
        const size_t chunk = bytes / outer;
        // Gathering along the leading dimension in group order is the flat
        // gather itself; anything else goes through a temporary.
        return exchangeIntoSlices(
            scratch, c, g, recv, recvBytes, outer, chunk, [&](void *into) {
              return group->allGather(send, into,
                                      static_cast<int64_t>(bytes));
            });
      });
}

weft_status_t weft_communicator_reduce_scatter(
    weft_communicator_t *communicator, const int64_t *mesh_axes,
    int64_t num_mesh_axes, weft_reduction_t reduction, weft_dtype_t dtype,
    int64_t rank, const int64_t *shape, int64_t scatter_dim, const void *send,
    void *recv) {
  WEFT_CHECK_ARG(communicator);
  constexpr const char *name = "reduce_scatter";
  weft_communicator &c = *communicator;
  GroupInfo g;
  size_t bytes = 0;
  Status checked = [&]() -> Status {
    WEFT_RETURN_IF_ERROR(checkUsable(c));
    WEFT_RETURN_IF_ERROR(checkReduction(rawValue(reduction)));
    WEFT_RETURN_IF_ERROR(checkDtype(rawValue(dtype)));
    WEFT_RETURN_IF_ERROR(checkTensor(dtype, rank, shape, bytes));
    WEFT_RETURN_IF_ERROR(checkDim("scatter_dim", scatter_dim, rank, shape));
    WEFT_RETURN_IF_ERROR(resolveGroup(c, mesh_axes, num_mesh_axes, g));
    WEFT_RETURN_IF_ERROR(
        checkDivisible("scatter_dim", scatter_dim, rank, shape, g.size));
    WEFT_RETURN_IF_ERROR(checkBuffer("send", send, bytes));
    WEFT_RETURN_IF_ERROR(checkBuffer("recv", recv, bytes / g.size));
    return checkDisjoint(send, bytes, recv, bytes / g.size, false);
  }();
  return finish(
      c, name, std::move(checked), g, bytes, [&](Scratch &scratch) -> Status {
        CollectiveGroup *group = nullptr;
        if (Status s = groupOrLocalCopy(c, g, send, recv, bytes, group);
            !s.ok() || !group)
          return s;
        const size_t n = static_cast<size_t>(g.size);
        const size_t outer = product(shape, 0, scatter_dim);
        const size_t chunk = bytes / outer / n;
        const int64_t count =
            static_cast<int64_t>(bytes / n / weft_dtype_size(dtype));
        if (outer == 1 && g.identity)
          return group->reduceScatter(send, recv, count, dtype, reduction);
        char *packed = nullptr;
        WEFT_RETURN_IF_ERROR(scratch.allocate(bytes, packed));
        WEFT_RETURN_IF_ERROR(packSlices(c, g, send, packed, outer, chunk));
        return group->reduceScatter(packed, recv, count, dtype, reduction);
      });
}

weft_status_t
weft_communicator_all_to_all(weft_communicator_t *communicator,
                             const int64_t *mesh_axes, int64_t num_mesh_axes,
                             weft_dtype_t dtype, int64_t rank,
                             const int64_t *shape, int64_t split_dim,
                             int64_t concat_dim, const void *send, void *recv) {
  WEFT_CHECK_ARG(communicator);
  constexpr const char *name = "all_to_all";
  weft_communicator &c = *communicator;
  GroupInfo g;
  size_t bytes = 0;
  Status checked = [&]() -> Status {
    WEFT_RETURN_IF_ERROR(checkUsable(c));
    WEFT_RETURN_IF_ERROR(checkDtype(rawValue(dtype)));
    WEFT_RETURN_IF_ERROR(checkTensor(dtype, rank, shape, bytes));
    WEFT_RETURN_IF_ERROR(checkDim("split_dim", split_dim, rank, shape));
    WEFT_RETURN_IF_ERROR(checkDim("concat_dim", concat_dim, rank, shape));
    WEFT_RETURN_IF_ERROR(resolveGroup(c, mesh_axes, num_mesh_axes, g));
    WEFT_RETURN_IF_ERROR(
        checkDivisible("split_dim", split_dim, rank, shape, g.size));
    WEFT_RETURN_IF_ERROR(checkBuffer("send", send, bytes));
    WEFT_RETURN_IF_ERROR(checkBuffer("recv", recv, bytes));
    return checkDisjoint(send, bytes, recv, bytes, false);
  }();
  return finish(
      c, name, std::move(checked), g, bytes, [&](Scratch &scratch) -> Status {
        CollectiveGroup *group = nullptr;
        if (Status s = groupOrLocalCopy(c, g, send, recv, bytes, group);
            !s.ok() || !group)
          return s;
        const size_t n = static_cast<size_t>(g.size);
        const size_t block = bytes / n;
        // Sent blocks: slices along split_dim, as reduce_scatter cuts them.
        const size_t sendOuter = product(shape, 0, split_dim);
        const size_t sendChunk = block / sendOuter;
        // Received blocks have the sliced shape and are concatenated along
        // concat_dim, as all_gather interleaves them.
        std::vector<int64_t> sliced(shape, shape + rank);
        sliced[split_dim] /= g.size;
        const size_t recvOuter = product(sliced.data(), 0, concat_dim);
        const size_t recvChunk = block / recvOuter;

        const void *source = send;
        if (sendOuter != 1 || !g.identity) {
          char *packed = nullptr;
          WEFT_RETURN_IF_ERROR(scratch.allocate(bytes, packed));
          WEFT_RETURN_IF_ERROR(
              packSlices(c, g, send, packed, sendOuter, sendChunk));
          source = packed;
        }
        return exchangeIntoSlices(
            scratch, c, g, recv, bytes, recvOuter, recvChunk,
            [&](void *into) {
              return group->allToAll(source, into,
                                     static_cast<int64_t>(block));
            });
      });
}

weft_status_t weft_communicator_broadcast(weft_communicator_t *communicator,
                                          const int64_t *mesh_axes,
                                          int64_t num_mesh_axes,
                                          const int64_t *root,
                                          weft_dtype_t dtype, int64_t count,
                                          const void *send, void *recv) {
  WEFT_CHECK_ARG(communicator);
  constexpr const char *name = "broadcast";
  weft_communicator &c = *communicator;
  GroupInfo g;
  size_t bytes = 0;
  int64_t rootIndex = 0;
  Status checked = [&]() -> Status {
    WEFT_RETURN_IF_ERROR(checkUsable(c));
    WEFT_RETURN_IF_ERROR(checkDtype(rawValue(dtype)));
    WEFT_RETURN_IF_ERROR(checkCount(dtype, count, bytes));
    WEFT_RETURN_IF_ERROR(resolveGroup(c, mesh_axes, num_mesh_axes, g));
    WEFT_RETURN_IF_ERROR(checkCoordinates(c, g, "root", root));
    for (size_t k = 0; k < g.axes.size(); ++k)
      rootIndex = rootIndex * c.meshShape[g.axes[k]] + root[k];
    WEFT_RETURN_IF_ERROR(checkBuffer("recv", recv, bytes));
    if (rootIndex != g.index)
      return Status();
    WEFT_RETURN_IF_ERROR(checkBuffer("send", send, bytes));
    return checkDisjoint(send, bytes, recv, bytes, true);
  }();
  return finish(
      c, name, std::move(checked), g, bytes, [&](Scratch &) -> Status {
        if (rootIndex == g.index)
          WEFT_RETURN_IF_ERROR(copyLocal(c, send, recv, bytes));
        if (g.size == 1)
          return Status();
        CollectiveGroup *group = nullptr;
        WEFT_RETURN_IF_ERROR(getGroup(c, g, group));
        return group->broadcast(recv, static_cast<int64_t>(bytes),
                                static_cast<int>(g.groupRank(rootIndex)));
      });
}

namespace {

/// send and recv: the peer's world rank, after the checks they share.
weft_status_t pointToPoint(weft_communicator &c, const char *name,
                           const char *peerName, const int64_t *mesh_axes,
                           int64_t num_mesh_axes, const int64_t *peer,
                           const weft_dtype_t &dtype, int64_t count,
                           const void *buffer, bool sending) {
  GroupInfo g;
  size_t bytes = 0;
  int64_t peerRank = 0;
  Status checked = [&]() -> Status {
    WEFT_RETURN_IF_ERROR(checkUsable(c));
    WEFT_RETURN_IF_ERROR(checkDtype(rawValue(dtype)));
    WEFT_RETURN_IF_ERROR(checkCount(dtype, count, bytes));
    WEFT_RETURN_IF_ERROR(resolveGroup(c, mesh_axes, num_mesh_axes, g));
    WEFT_RETURN_IF_ERROR(checkCoordinates(c, g, peerName, peer));
    peerRank = worldRank(c, g, peer);
    if (peerRank == c.rank)
      return error(peerName, " ",
                   formatShape(peer, static_cast<int64_t>(g.axes.size())),
                   " is this device (rank ", c.rank, ")");
    return checkBuffer("buffer", buffer, bytes);
  }();
  return finish(
      c, name, std::move(checked), g, bytes, [&](Scratch &) -> Status {
        Status s = sending
                       ? c.backend->send(buffer, static_cast<int64_t>(bytes),
                                         static_cast<int>(peerRank))
                       : c.backend->recv(const_cast<void *>(buffer),
                                         static_cast<int64_t>(bytes),
                                         static_cast<int>(peerRank));
        if (!s.ok())
          s = std::move(s).withPrefix(
              concat(sending ? "to" : "from", " rank ", peerRank, ": "));
        return s;
      });
}

} // namespace

weft_status_t weft_communicator_send(weft_communicator_t *communicator,
                                     const int64_t *mesh_axes,
                                     int64_t num_mesh_axes,
                                     const int64_t *destination,
                                     weft_dtype_t dtype, int64_t count,
                                     const void *buffer) {
  WEFT_CHECK_ARG(communicator);
  return pointToPoint(*communicator, "send", "destination", mesh_axes,
                      num_mesh_axes, destination, dtype, count, buffer, true);
}

weft_status_t weft_communicator_recv(weft_communicator_t *communicator,
                                     const int64_t *mesh_axes,
                                     int64_t num_mesh_axes,
                                     const int64_t *source, weft_dtype_t dtype,
                                     int64_t count, void *buffer) {
  WEFT_CHECK_ARG(communicator);
  return pointToPoint(*communicator, "recv", "source", mesh_axes, num_mesh_axes,
                      source, dtype, count, buffer, false);
}

weft_status_t
weft_collective_table_initialize(weft_communicator_t *communicator,
                                 weft_collective_table_t *out_table) {
  WEFT_CHECK_ARG(communicator);
  WEFT_CHECK_ARG(out_table);
  weft_collective_table_t table;
  std::memset(&table, 0, sizeof(table));
  table.version = WEFT_COLLECTIVE_TABLE_VERSION;
  table.struct_size = sizeof(table);
  table.communicator = communicator;
  table.mesh_rank = static_cast<int64_t>(communicator->meshShape.size());
  table.mesh_shape = communicator->meshShape.data();
  table.coordinates = communicator->coordinates.data();
  table.rank = communicator->rank;
  table.size = communicator->size;
  table.all_reduce = tableAllReduce;
  table.all_gather = tableAllGather;
  table.reduce_scatter = tableReduceScatter;
  table.all_to_all = tableAllToAll;
  table.broadcast = tableBroadcast;
  table.send = tableSend;
  table.recv = tableRecv;
  *out_table = table;
  return nullptr;
}

weft_status_t
weft_collective_table_take_status(weft_communicator_t *communicator) {
  if (!communicator)
    return nullptr;
  return communicator->deferred.release();
}

} // extern "C"
