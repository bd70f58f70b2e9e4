//===- weft-run.cpp - Runs a function of a .weft artifact -----------------===//
//
// The command-line runner of compiled models, following iree-run-module's
// conventions: inputs as literals ("2x3xf32=[1 2 3][4 5 6]") or .npy files
// ("@ids.npy"), weights bound by name from .safetensors files, results
// printed, written to .npy and compared with expected outputs. It uses only
// the runtime's C API (weft/runtime.h, weft/collectives.h).
//
// A module compiled for target cuda runs on a CUDA device (--device=cuda):
// the runtime copies the host tensors in and the results out, and times
// the function with CUDA events.
//
// A module compiled for a mesh runs as one process per device under mpirun:
// each rank reads only its slice of every weight, cuts its slice of every
// input, and runs the function on a communicator over the mesh; rank 0
// prints and checks the results. An error on any rank ends every rank.
//
// Exit codes: 0 success, 1 an error or a mismatch, 2 a usage error.
//
//===----------------------------------------------------------------------===//

#include "weft/collectives.h"
#include "weft/cuda.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

const char *const kHelp = R"(OVERVIEW: weft-run - runs a function of a .weft artifact

USAGE: weft-run --module=model.weft [options]

  --module=PATH             the artifact written by weft-compile (required)
  --device=DEVICE           where to run, as the artifact's target says:
                              cpu       the host (default; target cpu)
                              cuda      CUDA device 0 (target cuda; on a
                                        mesh, the rank's local rank on its
                                        node modulo the device count)
                              cuda:N    CUDA device N
  --function=NAME           the function to run; may be omitted when the
                            artifact has exactly one
  --input=VALUE             one per input-role argument, in manifest order:
                              @file.npy                a NumPy array
                              2x3xf32=[1 2 3][4 5 6]   a literal (row-major;
                                                       brackets, commas and
                                                       spaces separate values)
                              f32=2.5 / 4xi32=1 2 3 4  scalar / flat literal
                              2x2xf32=0                one value fills all
  --weights=FILE            .safetensors file binding every weight-role
                            argument by name; repeat for sharded checkpoints
                            (each name is looked up in the files in order)
  --output=@FILE.npy        writes a result; one flag per result in result
                            order, an empty value (--output=) skips one;
                            bf16 results are written as f32 (exactly: .npy
                            has no bf16)
  --expected_output=VALUE   the expected value of a result (@file.npy or a
                            literal), one per result in order, empty skips;
                            weft-run prints SUCCESS or the first mismatch and
                            exits with 1 on a mismatch
  --expected_f16_threshold=T    (default 1e-3)
  --expected_bf16_threshold=T   (default 1e-2)
  --expected_f32_threshold=T    (default 1e-4)
  --expected_f64_threshold=T    (default 1e-8)
                            tolerance for results of that type: a float
                            element a matches its expected value b when
                              |a - b| <= T + T * |b|
                            (absolute and relative tolerance both T); NaN
                            matches NaN, infinities match themselves, and
                            integer results must be equal
  --repeat=N                runs the function N times and reports the mean
                            and minimum time per run (default 1): wall time
                            on the host, device time between CUDA events on
                            a GPU (copies excluded)
  --print_max_element_count=N
                            prints the first N elements of each result
                            (default 8; 0 prints only the types)
  --collectives=BACKEND     for a module compiled for a mesh: auto (default:
                            nccl on a GPU, else mpi under mpirun, else
                            single), single, mpi or nccl
  --collective_timeout_s=S  seconds a collective waits for the other ranks
                            before failing (default 0: $WEFT_COLLECTIVE_
                            TIMEOUT_S, else 300)
  --help                    prints this text

Results print as "result[0] 'logits': 1x16x512xf32" followed by their first
elements. Expected outputs may be of another float type than the result
(.npy has no bf16, so bf16 results compare with f16/f32 files); the
threshold is the result type's.

CUDA: with --device=cuda the run first prints the device,
    device: NVIDIA H100 80GB HBM3 (sm_90)
then how its kernels were loaded: "kernels: cubin", or the PTX, which the
driver JIT-compiles, when the artifact was compiled for another chip. The
time is the device's, between CUDA events around the function:
    time: mean X ms, min Y ms per run (device, N runs)
The CUDA driver is libcuda.so.1, or the library $WEFT_CUDA_DRIVER names.

MESHES: a module compiled for a mesh of N devices runs as N processes,
  mpirun -np N weft-run ..., one per device (rank r holds the device at the
  row-major coordinates of r). Every rank takes the same flags, reads only
  its slice of each weight, takes its slice of each (whole) input, and
  prints
    weights: rank R of N read B of T bytes (P %)
  (B: bytes it read from the --weights files, T: bytes of the whole weight
  arguments). Rank 0 alone prints the results and the time (the slowest
  rank's), writes --output files and checks --expected_output. An error on
  any rank aborts every rank ("weft: rank R of N: ...").

EXAMPLES:
  weft-run --module=add.weft --input="2x3xf32=[1 2 3][4 5 6]" \
      --input=2x3xf32=1 --expected_output="2x3xf32=[2 3 4][5 6 7]"
  weft-run --module=gpt2.weft --weights=model.safetensors \
      --input=@ids.npy --output=@logits.npy --repeat=10
  weft-run --module=gpt2-sm90.weft --device=cuda --weights=model.safetensors \
      --input=@ids.npy --expected_output=@logits.npy --repeat=10
  mpirun -np 4 weft-run --module=gpt2-2x2.weft --weights=model.safetensors \
      --input=@ids.npy --expected_output=@logits.npy

EXIT CODES: 0 success, 1 error or mismatch, 2 usage error.
)";

//===----------------------------------------------------------------------===//
// Errors and C API ownership
//===----------------------------------------------------------------------===//

/// An error message; empty means success. A usage error (exit code 2)
/// says so.
class [[nodiscard]] Error {
public:
  Error() = default;
  explicit Error(std::string message) : text(std::move(message)) {}
  static Error usage(std::string message) {
    Error e(std::move(message));
    e.isUsage = true;
    return e;
  }
  /// Takes ownership of a runtime status.
  static Error from(weft_status_t status) {
    if (!status)
      return Error();
    std::string message = weft_status_message(status);
    weft_status_free(status);
    return Error(message.empty() ? "unknown error" : message);
  }
  explicit operator bool() const { return !text.empty(); }
  const std::string &message() const { return text; }
  bool usageError() const { return isUsage; }

private:
  std::string text;
  bool isUsage = false;
};

#define RETURN_IF_ERROR(expr)                                                  \
  do {                                                                         \
    if (Error e_ = (expr))                                                     \
      return e_;                                                               \
  } while (false)

struct TensorDeleter {
  void operator()(weft_tensor_t *t) const { weft_tensor_free(t); }
};
struct ModuleDeleter {
  void operator()(weft_module_t *m) const { weft_module_close(m); }
};
struct CudaDeviceDeleter {
  void operator()(weft_cuda_device_t *d) const { weft_cuda_device_close(d); }
};
struct SafetensorsDeleter {
  void operator()(weft_safetensors_t *f) const { weft_safetensors_close(f); }
};
using Tensor = std::unique_ptr<weft_tensor_t, TensorDeleter>;
using Module = std::unique_ptr<weft_module_t, ModuleDeleter>;
using CudaDevice = std::unique_ptr<weft_cuda_device_t, CudaDeviceDeleter>;
using Safetensors = std::unique_ptr<weft_safetensors_t, SafetensorsDeleter>;

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

/// "2x3xf32", the literal notation.
std::string typeString(weft_dtype_t dtype, int64_t rank,
                       const int64_t *shape) {
  std::string out;
  for (int64_t i = 0; i < rank; ++i)
    out += std::to_string(shape[i]) + "x";
  return out + weft_dtype_name(dtype);
}

std::string typeString(const weft_tensor_t *t) {
  return typeString(weft_tensor_dtype(t), weft_tensor_rank(t),
                    weft_tensor_shape(t));
}

std::string typeString(const weft_value_info_t &info) {
  return typeString(info.dtype, info.rank, info.shape);
}

/// "f32 [2, 3]", the runtime's notation in its messages.
std::string runtimeType(weft_dtype_t dtype, int64_t rank,
                        const int64_t *shape) {
  std::string out = std::string(weft_dtype_name(dtype)) + " [";
  for (int64_t i = 0; i < rank; ++i)
    out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

//===----------------------------------------------------------------------===//
// Flags
//===----------------------------------------------------------------------===//

struct Options {
  bool help = false;
  std::string module;
  std::string device = "cpu";
  bool cuda = false;        // --device=cuda or cuda:N.
  int32_t cudaOrdinal = -1; // N; -1 for the default.
  std::string function;
  std::vector<std::string> inputs;
  std::vector<std::string> weights;
  std::vector<std::string> outputs;
  std::vector<std::string> expected;
  double f16Threshold = 1e-3;
  double bf16Threshold = 1e-2;
  double f32Threshold = 1e-4;
  double f64Threshold = 1e-8;
  int64_t repeat = 1;
  int64_t printMax = 8;
  weft_collective_backend_t collectives = WEFT_COLLECTIVE_BACKEND_AUTO;
  double collectiveTimeout = 0; // 0: the runtime's default.
};

Error parseNumber(std::string_view flag, const std::string &text,
                  double &out) {
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < 0)
    return Error("--" + std::string(flag) +
                 " expects a non-negative number, got " + quote(text));
  out = value;
  return Error();
}

Error parseCount(std::string_view flag, const std::string &text,
                 int64_t minimum, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < minimum)
    return Error("--" + std::string(flag) + " expects an integer >= " +
                 std::to_string(minimum) + ", got " + quote(text));
  out = value;
  return Error();
}

/// A "--name=value" flag and what its value does to the options.
struct Flag {
  const char *name;
  std::function<Error(std::string_view name, const std::string &value)> apply;
};

/// Every flag of --help, writing into `options`.
std::vector<Flag> flagsOf(Options &options) {
  auto set = [](std::string &target) {
    return [&target](std::string_view, const std::string &value) {
      target = value;
      return Error();
    };
  };
  auto append = [](std::vector<std::string> &target) {
    return [&target](std::string_view, const std::string &value) {
      target.push_back(value);
      return Error();
    };
  };
  auto threshold = [](double &target) {
    return [&target](std::string_view name, const std::string &value) {
      return parseNumber(name, value, target);
    };
  };
  auto count = [](int64_t minimum, int64_t &target) {
    return [minimum, &target](std::string_view name, const std::string &value) {
      return parseCount(name, value, minimum, target);
    };
  };
  return {
      {"module", set(options.module)},
      {"device", set(options.device)},
      {"function", set(options.function)},
      {"input", append(options.inputs)},
      {"weights", append(options.weights)},
      {"output", append(options.outputs)},
      {"expected_output", append(options.expected)},
      {"expected_f16_threshold", threshold(options.f16Threshold)},
      {"expected_bf16_threshold", threshold(options.bf16Threshold)},
      {"expected_f32_threshold", threshold(options.f32Threshold)},
      {"expected_f64_threshold", threshold(options.f64Threshold)},
      {"repeat", count(1, options.repeat)},
      {"print_max_element_count", count(0, options.printMax)},
      {"collectives",
       [&options](std::string_view name, const std::string &value) {
         Error e = Error::from(weft_collective_backend_parse(
             value.c_str(), &options.collectives));
         return e ? Error("--" + std::string(name) + ": " + e.message()) : e;
       }},
      {"collective_timeout_s", threshold(options.collectiveTimeout)},
  };
}

/// "cpu", "cuda" or "cuda:N".
Error parseDevice(Options &options) {
  const std::string &device = options.device;
  options.cuda = device.compare(0, 4, "cuda") == 0;
  if (device == "cpu" || device == "cuda")
    return Error();
  int64_t ordinal = -1;
  if (options.cuda && device[4] == ':' &&
      !parseCount("device", device.substr(5), 0, ordinal) &&
      ordinal <= INT32_MAX) {
    options.cudaOrdinal = static_cast<int32_t>(ordinal);
    return Error();
  }
  return Error("unknown device " + quote(device) +
               " (expected 'cpu', 'cuda' or 'cuda:N')");
}

/// Parses argv. Every message is a usage error.
Error parseFlags(int argc, char **argv, Options &options) {
  std::vector<Flag> flags = flagsOf(options);
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg.substr(0, 2) != "--")
      return Error("unexpected argument " + quote(arg) +
                   " (flags are --name=value)");
    arg.remove_prefix(2);
    size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    auto flag = std::find_if(flags.begin(), flags.end(),
                             [&](const Flag &f) { return name == f.name; });
    if (flag == flags.end())
      return Error("unknown flag '--" + name + "'");
    if (eq == std::string_view::npos)
      return Error("flag '--" + name + "' needs a value (--" + name + "=...)");
    RETURN_IF_ERROR(flag->apply(name, std::string(arg.substr(eq + 1))));
  }
  if (options.help)
    return Error();
  if (options.module.empty())
    return Error("--module=FILE.weft is required");
  return parseDevice(options);
}

//===----------------------------------------------------------------------===//
// Binding arguments
//===----------------------------------------------------------------------===//

/// "@file.npy" or a literal.
Error loadTensor(const std::string &value, Tensor &out) {
  weft_tensor_t *t = nullptr;
  if (!value.empty() && value[0] == '@') {
    RETURN_IF_ERROR(Error::from(weft_tensor_read_npy(value.c_str() + 1, &t)));
  } else {
    Error e = Error::from(weft_tensor_parse(value.c_str(), &t));
    if (e && value.find('=') == std::string::npos &&
        value.size() > 4 && value.compare(value.size() - 4, 4, ".npy") == 0)
      return Error(e.message() + " (did you mean '@" + value + "'?)");
    RETURN_IF_ERROR(std::move(e));
  }
  out.reset(t);
  return Error();
}

/// Where this process runs the function: alone (no communicator), or as
/// one device of the module's mesh; on the host, or on a CUDA device.
struct Device {
  weft_cuda_device_t *cuda = nullptr; // --device=cuda.
  weft_communicator_t *communicator = nullptr;
  int64_t rank = 0;
  int64_t size = 1;
  const int64_t *coordinates = nullptr;
  /// The rank that prints, writes and checks results.
  bool leader() const { return rank == 0; }
};

struct CommunicatorDeleter {
  void operator()(weft_communicator_t *c) const {
    weft_communicator_release(c);
  }
};
using Communicator = std::unique_ptr<weft_communicator_t, CommunicatorDeleter>;

/// The CUDA device of --device=cuda:N; for --device=cuda, device 0, or on
/// a mesh the rank's local rank on its node modulo the device count (the
/// NCCL back end's choice), so that the ranks of a node share its GPUs.
Error openCudaDevice(const Options &options, bool mesh, CudaDevice &out) {
  int32_t ordinal = std::max(options.cudaOrdinal, 0);
  const char *localRank = nullptr;
  for (const char *name :
       {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (!localRank)
      localRank = std::getenv(name);
  if (options.cudaOrdinal < 0 && mesh && localRank) {
    int32_t count = 0;
    RETURN_IF_ERROR(Error::from(weft_cuda_device_count(&count)));
    if (count > 0)
      ordinal =
          static_cast<int32_t>(std::strtol(localRank, nullptr, 10) % count);
  }
  weft_cuda_device_t *device = nullptr;
  RETURN_IF_ERROR(Error::from(weft_cuda_device_open(ordinal, &device)));
  out.reset(device);
  return Error();
}

/// A communicator over the module's mesh, of the --collectives back end
/// (auto: nccl on a CUDA device).
Error joinMesh(weft_module_t *module, const Options &options,
               Communicator &communicator, Device &device) {
  weft_communicator_options_t settings;
  weft_communicator_options_initialize(&settings);
  settings.backend = options.collectives;
  if (device.cuda) {
    if (settings.backend == WEFT_COLLECTIVE_BACKEND_AUTO)
      settings.backend = WEFT_COLLECTIVE_BACKEND_NCCL;
    settings.device_ordinal = weft_cuda_device_ordinal(device.cuda);
  }
  settings.mesh_rank = weft_module_mesh_rank(module);
  settings.mesh_shape = weft_module_mesh_shape(module);
  settings.timeout_s = options.collectiveTimeout;
  weft_communicator_t *raw = nullptr;
  if (Error e = Error::from(weft_communicator_create(&settings, &raw)))
    return Error("cannot create a communicator for the module's mesh: " +
                 e.message());
  communicator.reset(raw);
  device.communicator = raw;
  device.rank = weft_communicator_rank(raw);
  device.size = weft_communicator_size(raw);
  device.coordinates = weft_communicator_coordinates(raw);
  return Error();
}

struct Call {
  weft_module_t *module = nullptr;
  std::string functionName;
  size_t function = 0;
  std::vector<weft_value_info_t> arguments;
  std::vector<weft_value_info_t> results;
  std::vector<Tensor> argumentTensors;
  std::vector<Tensor> resultTensors;
};

Error selectFunction(weft_module_t *module, const Options &options,
                     Call &call) {
  call.module = module;
  size_t count = weft_module_function_count(module);
  if (!options.function.empty()) {
    RETURN_IF_ERROR(Error::from(weft_module_lookup(
        module, options.function.c_str(), &call.function)));
  } else if (count != 1) {
    std::string names;
    for (size_t i = 0; i < count; ++i)
      names += (i ? ", " : "") + quote(weft_module_function_name(module, i));
    return Error("the artifact has " + std::to_string(count) +
                 " functions (" + names + "); choose one with --function");
  }
  call.functionName = weft_module_function_name(module, call.function);
  call.arguments.resize(weft_function_argument_count(module, call.function));
  for (size_t i = 0; i < call.arguments.size(); ++i)
    weft_function_argument(module, call.function, i, &call.arguments[i]);
  call.results.resize(weft_function_result_count(module, call.function));
  for (size_t i = 0; i < call.results.size(); ++i)
    weft_function_result(module, call.function, i, &call.results[i]);
  return Error();
}

std::string describeValues(const std::vector<weft_value_info_t> &values,
                           weft_role_t role) {
  std::string out;
  for (const weft_value_info_t &v : values)
    if (v.role == role)
      out += (out.empty() ? "" : ", ") + quote(v.name) + ": " + typeString(v);
  return out;
}

/// True when a device holds less than the whole of `arg`.
bool isSplit(const weft_value_info_t &arg) {
  return !std::equal(arg.shape, arg.shape + arg.rank, arg.local_shape);
}

/// The offsets of this device's slice of argument `i`.
Error sliceOf(const Call &call, size_t i, const Device &device,
              std::vector<int64_t> &offsets) {
  offsets.assign(call.arguments[i].rank, 0);
  return Error::from(weft_function_argument_slice(
      call.module, call.function, i, device.coordinates, offsets.data()));
}

/// On a mesh, replaces the whole input `i` by this device's slice of it.
/// The whole input is checked first, so that a wrong shape is named as
/// such rather than as a slice out of bounds.
Error takeSlice(const Call &call, size_t i, const Device &device,
                Tensor &tensor) {
  const weft_value_info_t &arg = call.arguments[i];
  const weft_tensor_t *whole = tensor.get();
  if (weft_tensor_dtype(whole) != arg.dtype ||
      weft_tensor_rank(whole) != arg.rank ||
      !std::equal(arg.shape, arg.shape + arg.rank, weft_tensor_shape(whole)))
    return Error("function " + quote(call.functionName) + ": input " +
                 quote(arg.name) + " (argument " + std::to_string(i) +
                 "): expected " + runtimeType(arg.dtype, arg.rank, arg.shape) +
                 ", found " +
                 runtimeType(weft_tensor_dtype(whole), weft_tensor_rank(whole),
                             weft_tensor_shape(whole)) +
                 " (the whole input: each rank takes its slice)");
  if (!isSplit(arg))
    return Error();
  std::vector<int64_t> offsets;
  RETURN_IF_ERROR(sliceOf(call, i, device, offsets));
  weft_tensor_t *slice = nullptr;
  RETURN_IF_ERROR(Error::from(
      weft_tensor_create(arg.dtype, arg.rank, arg.local_shape, &slice)));
  Tensor owned(slice);
  RETURN_IF_ERROR(
      Error::from(weft_tensor_copy_slice(whole, offsets.data(), slice)));
  tensor = std::move(owned);
  return Error();
}

/// Binds the --input values to the input-role arguments in order.
Error bindInputs(const Options &options, const Device &device, Call &call) {
  size_t expected = 0;
  for (const weft_value_info_t &a : call.arguments)
    expected += a.role == WEFT_ROLE_INPUT;
  if (options.inputs.size() != expected)
    return Error("function " + quote(call.functionName) + " takes " +
                 std::to_string(expected) + " inputs (" +
                 describeValues(call.arguments, WEFT_ROLE_INPUT) + "), got " +
                 std::to_string(options.inputs.size()) + " --input");
  size_t next = 0;
  for (size_t i = 0; i < call.arguments.size(); ++i) {
    if (call.arguments[i].role != WEFT_ROLE_INPUT)
      continue;
    Error e = loadTensor(options.inputs[next++], call.argumentTensors[i]);
    if (e)
      return Error("input " + quote(call.arguments[i].name) + ": " +
                   e.message());
    if (device.communicator)
      RETURN_IF_ERROR(takeSlice(call, i, device, call.argumentTensors[i]));
  }
  return Error();
}

/// Reads weight `i` from `file`: the whole tensor, or on a mesh this
/// device's slice of it, after checking the file's tensor is the whole
/// weight (a larger one could hold the slice and be read silently).
Error readWeight(const weft_safetensors_t *file, const std::string &path,
                 const Call &call, size_t i, const Device &device,
                 Tensor &out) {
  const weft_value_info_t &arg = call.arguments[i];
  weft_tensor_t *t = nullptr;
  RETURN_IF_ERROR(Error::from(
      weft_tensor_create(arg.dtype, arg.rank, arg.local_shape, &t)));
  out.reset(t);
  if (!device.communicator)
    return Error::from(weft_safetensors_read(file, arg.name, t));
  weft_dtype_t dtype;
  int64_t rank = 0;
  const int64_t *shape = nullptr;
  RETURN_IF_ERROR(Error::from(
      weft_safetensors_tensor_type(file, arg.name, &dtype, &rank, &shape)));
  if (dtype != arg.dtype || rank != arg.rank ||
      !std::equal(shape, shape + rank, arg.shape))
    return Error("safetensors file " + quote(path) + ": tensor " +
                 quote(arg.name) + ": expected " +
                 runtimeType(arg.dtype, arg.rank, arg.shape) + ", found " +
                 runtimeType(dtype, rank, shape));
  std::vector<int64_t> offsets;
  RETURN_IF_ERROR(sliceOf(call, i, device, offsets));
  return Error::from(
      weft_safetensors_read_slice(file, arg.name, offsets.data(), t));
}

/// "weights: rank R of N read B of T bytes (P %)": how much of the weights
/// this device read. End-to-end tests parse this line.
void printWeightsRead(const Device &device, uint64_t read, uint64_t total) {
  double percent =
      total ? 100.0 * static_cast<double>(read) / static_cast<double>(total)
            : 0.0;
  std::printf("weights: rank %" PRId64 " of %" PRId64 " read %" PRIu64
              " of %" PRIu64 " bytes (%.1f %%)\n",
              device.rank, device.size, read, total, percent);
  std::fflush(stdout);
}

/// Binds every weight-role argument by name from the --weights files; on a
/// mesh, reports the bytes read.
Error bindWeights(const Options &options, const Device &device, Call &call) {
  std::string weights = describeValues(call.arguments, WEFT_ROLE_WEIGHT);
  if (weights.empty()) {
    if (device.communicator)
      printWeightsRead(device, 0, 0);
    return Error();
  }
  if (options.weights.empty())
    return Error("function " + quote(call.functionName) + " has weights (" +
                 weights + "); pass --weights=FILE.safetensors");
  std::vector<Safetensors> files;
  std::unordered_map<std::string, size_t> owner; // First file wins.
  for (const std::string &path : options.weights) {
    weft_safetensors_t *file = nullptr;
    RETURN_IF_ERROR(Error::from(weft_safetensors_open(path.c_str(), &file)));
    files.emplace_back(file);
    for (size_t i = 0; i < weft_safetensors_count(file); ++i)
      owner.emplace(weft_safetensors_name(file, i), files.size() - 1);
  }
  uint64_t total = 0;
  for (size_t i = 0; i < call.arguments.size(); ++i) {
    const weft_value_info_t &arg = call.arguments[i];
    if (arg.role != WEFT_ROLE_WEIGHT)
      continue;
    auto it = owner.find(arg.name);
    if (it == owner.end()) {
      std::string paths;
      for (const std::string &p : options.weights)
        paths += (paths.empty() ? "" : ", ") + quote(p);
      return Error("weight " + quote(arg.name) + " (" + typeString(arg) +
                   ") is not in " + paths);
    }
    RETURN_IF_ERROR(readWeight(files[it->second].get(),
                               options.weights[it->second], call, i, device,
                               call.argumentTensors[i]));
    uint64_t bytes = weft_dtype_size(arg.dtype);
    for (int64_t d = 0; d < arg.rank; ++d)
      bytes *= static_cast<uint64_t>(arg.shape[d]);
    total += bytes;
  }
  if (device.communicator) {
    // The files were opened here, so their counts are this call's reads.
    uint64_t read = 0;
    for (const Safetensors &file : files)
      read += weft_safetensors_bytes_read(file.get());
    printWeightsRead(device, read, total);
  }
  return Error();
}

Error allocateResults(Call &call) {
  for (const weft_value_info_t &r : call.results) {
    weft_tensor_t *t = nullptr;
    RETURN_IF_ERROR(
        Error::from(weft_tensor_create(r.dtype, r.rank, r.shape, &t)));
    call.resultTensors.emplace_back(t);
  }
  return Error();
}

//===----------------------------------------------------------------------===//
// Results: printing, writing, comparing
//===----------------------------------------------------------------------===//

bool isInteger(weft_dtype_t dtype) {
  return dtype == WEFT_DTYPE_I32 || dtype == WEFT_DTYPE_I64;
}

std::string formatElement(const weft_tensor_t *t, int64_t i,
                          int precision = 6) {
  char buffer[64];
  if (isInteger(weft_tensor_dtype(t)))
    std::snprintf(buffer, sizeof(buffer), "%" PRId64,
                  weft_tensor_element_i64(t, i));
  else
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision,
                  weft_tensor_element_f64(t, i));
  return buffer;
}

/// "[1, 2]" for the flat index of an element.
std::string formatIndex(const weft_tensor_t *t, int64_t flat) {
  int64_t rank = weft_tensor_rank(t);
  const int64_t *shape = weft_tensor_shape(t);
  std::vector<int64_t> index(rank);
  for (int64_t d = rank - 1; d >= 0; --d) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::string out = "[";
  for (int64_t d = 0; d < rank; ++d)
    out += (d ? ", " : "") + std::to_string(index[d]);
  return out + "]";
}

void printResults(const Call &call, int64_t printMax) {
  for (size_t r = 0; r < call.results.size(); ++r) {
    const weft_tensor_t *t = call.resultTensors[r].get();
    std::printf("result[%zu] '%s': %s\n", r, call.results[r].name,
                typeString(t).c_str());
    if (printMax == 0)
      continue;
    int64_t count = weft_tensor_num_elements(t);
    std::string line = "  [";
    for (int64_t i = 0; i < count && i < printMax; ++i)
      line += (i ? " " : "") + formatElement(t, i);
    if (count > printMax)
      line += " ...";
    std::printf("%s]\n", line.c_str());
  }
}

/// .npy has no bf16: such a result is written as f32, which holds every
/// bf16 value exactly.
Error widenBf16(const weft_tensor_t *t, Tensor &out) {
  weft_tensor_t *wide = nullptr;
  RETURN_IF_ERROR(Error::from(weft_tensor_create(
      WEFT_DTYPE_F32, weft_tensor_rank(t), weft_tensor_shape(t), &wide)));
  out.reset(wide);
  auto *data = static_cast<float *>(weft_tensor_data(wide));
  for (int64_t i = 0, n = weft_tensor_num_elements(t); i < n; ++i)
    data[i] = static_cast<float>(weft_tensor_element_f64(t, i));
  return Error();
}

Error writeOutputs(const Options &options, const Call &call) {
  for (size_t r = 0; r < options.outputs.size(); ++r) {
    const std::string &value = options.outputs[r];
    if (value.empty())
      continue;
    const weft_tensor_t *result = call.resultTensors[r].get();
    Tensor wide;
    if (weft_tensor_dtype(result) == WEFT_DTYPE_BF16) {
      RETURN_IF_ERROR(widenBf16(result, wide));
      result = wide.get();
    }
    Error e = Error::from(weft_tensor_write_npy(result, value.c_str() + 1));
    if (e)
      return Error("result " + quote(call.results[r].name) + ": " +
                   e.message());
  }
  return Error();
}

double thresholdFor(weft_dtype_t dtype, const Options &options) {
  switch (dtype) {
  case WEFT_DTYPE_F16:
    return options.f16Threshold;
  case WEFT_DTYPE_BF16:
    return options.bf16Threshold;
  case WEFT_DTYPE_F64:
    return options.f64Threshold;
  default:
    return options.f32Threshold;
  }
}

bool sameShape(const weft_tensor_t *a, const weft_tensor_t *b) {
  int64_t rank = weft_tensor_rank(a);
  return rank == weft_tensor_rank(b) &&
         std::equal(weft_tensor_shape(a), weft_tensor_shape(a) + rank,
                    weft_tensor_shape(b));
}

/// Compares a result with its expected value. Returns an empty string when
/// they match, else what differs.
std::string compare(const weft_tensor_t *result, const weft_tensor_t *expected,
                    double threshold) {
  weft_dtype_t rt = weft_tensor_dtype(result), et = weft_tensor_dtype(expected);
  if (!sameShape(result, expected) || isInteger(rt) != isInteger(et) ||
      (isInteger(rt) && rt != et))
    return "expected " + typeString(expected) + ", the result is " +
           typeString(result);
  auto mismatchAt = [&](int64_t i) {
    return "element " + formatIndex(result, i) + ": result " +
           formatElement(result, i, 9) + ", expected " +
           formatElement(expected, i, 9);
  };
  int64_t count = weft_tensor_num_elements(result);
  for (int64_t i = 0; i < count; ++i) {
    if (isInteger(rt)) {
      if (weft_tensor_element_i64(result, i) !=
          weft_tensor_element_i64(expected, i))
        return mismatchAt(i);
      continue;
    }
    double a = weft_tensor_element_f64(result, i);
    double b = weft_tensor_element_f64(expected, i);
    if (std::isnan(a) || std::isnan(b)) {
      if (std::isnan(a) && std::isnan(b))
        continue;
      return mismatchAt(i);
    }
    if (a == b) // Also equal infinities, whose difference is NaN.
      continue;
    double difference = std::fabs(a - b);
    double allowed = threshold + threshold * std::fabs(b);
    if (!(difference <= allowed)) {
      char buffer[128];
      std::snprintf(buffer, sizeof(buffer),
                    ", |difference| %.6g > %.6g allowed", difference, allowed);
      return mismatchAt(i) + buffer;
    }
  }
  return "";
}

/// Loads the expected outputs before the run, so a typo fails fast.
Error loadExpected(const Options &options, const Call &call,
                   std::vector<Tensor> &expected) {
  if (options.expected.size() > call.results.size())
    return Error(std::to_string(options.expected.size()) +
                 " --expected_output flags for " +
                 std::to_string(call.results.size()) + " results");
  expected.resize(options.expected.size());
  for (size_t r = 0; r < options.expected.size(); ++r) {
    if (options.expected[r].empty())
      continue;
    Error e = loadTensor(options.expected[r], expected[r]);
    if (e)
      return Error("--expected_output for result " +
                   quote(call.results[r].name) + ": " + e.message());
  }
  return Error();
}

Error checkOutputFlags(const Options &options, const Call &call) {
  if (options.outputs.size() > call.results.size())
    return Error(std::to_string(options.outputs.size()) +
                 " --output flags for " + std::to_string(call.results.size()) +
                 " results");
  for (const std::string &value : options.outputs)
    if (!value.empty() && (value[0] != '@' || value.size() == 1))
      return Error("--output expects @FILE.npy or an empty value, got " +
                   quote(value));
  return Error();
}

/// Prints one line per checked result and a summary; false on a mismatch.
bool checkExpected(const Options &options, const Call &call,
                   const std::vector<Tensor> &expected) {
  size_t checked = 0, failed = 0;
  for (size_t r = 0; r < expected.size(); ++r) {
    if (!expected[r])
      continue;
    const weft_tensor_t *result = call.resultTensors[r].get();
    std::string mismatch =
        compare(result, expected[r].get(),
                thresholdFor(weft_tensor_dtype(result), options));
    ++checked;
    failed += !mismatch.empty();
    std::printf("check result[%zu] '%s': %s\n", r, call.results[r].name,
                mismatch.empty() ? "SUCCESS" : ("FAILED, " + mismatch).c_str());
  }
  if (checked == 0)
    return true;
  if (failed)
    std::printf("FAILED: %zu of %zu results differ from the expected output\n",
                failed, checked);
  else
    std::printf("SUCCESS\n");
  return failed == 0;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// Runs the function `repeat` times, timing each run: wall time on the
/// host, the runtime's CUDA event time on a device. On a mesh, `total` and
/// `best` are the slowest rank's (an all_reduce max over the mesh).
Error invoke(const Device &device, Call &call, int64_t repeat, double &total,
             double &best) {
  std::vector<weft_tensor_t *> args, results;
  for (const Tensor &t : call.argumentTensors)
    args.push_back(t.get());
  for (const Tensor &t : call.resultTensors)
    results.push_back(t.get());
  total = 0;
  best = INFINITY;
  for (int64_t i = 0; i < repeat; ++i) {
    double ms = 0;
    if (device.cuda) {
      RETURN_IF_ERROR(Error::from(weft_module_invoke_on_device(
          call.module, call.function, device.cuda, device.communicator,
          args.data(), args.size(), results.data(), results.size(), &ms)));
    } else {
      auto start = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(Error::from(weft_module_invoke_on(
          call.module, call.function, device.communicator, args.data(),
          args.size(), results.data(), results.size())));
      ms = std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - start)
               .count();
    }
    total += ms;
    best = std::min(best, ms);
  }
  if (!device.communicator)
    return Error();
  int64_t axes[WEFT_MAX_RANK];
  int64_t meshRank = weft_communicator_mesh_rank(device.communicator);
  for (int64_t a = 0; a < meshRank; ++a)
    axes[a] = a;
  double times[2] = {total, best};
  auto reduce = [&](void *buffer) {
    return Error::from(weft_communicator_all_reduce(
        device.communicator, axes, meshRank, WEFT_REDUCTION_MAX, WEFT_DTYPE_F64,
        2, buffer, buffer));
  };
  if (!device.cuda) {
    RETURN_IF_ERROR(reduce(times));
  } else {
    // The back end on a CUDA device (NCCL) reduces device memory only.
    uint64_t staged = 0;
    RETURN_IF_ERROR(
        Error::from(weft_cuda_alloc(device.cuda, sizeof(times), &staged)));
    Error error = Error::from(
        weft_cuda_copy_to_device(device.cuda, staged, times, sizeof(times)));
    if (!error) {
      // After a failed collective the library may still write the buffer,
      // so it stays allocated.
      RETURN_IF_ERROR(
          reduce(reinterpret_cast<void *>(static_cast<uintptr_t>(staged))));
      error = Error::from(
          weft_cuda_copy_to_host(device.cuda, times, staged, sizeof(times)));
    }
    Error freed = Error::from(weft_cuda_free(device.cuda, staged));
    RETURN_IF_ERROR(error ? std::move(error) : std::move(freed));
  }
  total = times[0];
  best = times[1];
  return Error();
}

void printTime(double total, double best, int64_t repeat, bool onDevice) {
  // Significant digits, not decimals: small functions run in microseconds.
  const char *clock = onDevice ? "device, " : "";
  if (repeat == 1)
    std::printf("time: %.4g ms%s\n", total, onDevice ? " (device)" : "");
  else
    std::printf("time: mean %.4g ms, min %.4g ms per run (%s%" PRId64
                " runs)\n",
                total / static_cast<double>(repeat), best, clock, repeat);
}

/// "device: NVIDIA H100 80GB HBM3 (sm_90)".
void printCudaDevice(const weft_cuda_device_t *device) {
  int32_t major = 0, minor = 0;
  weft_cuda_device_compute_capability(device, &major, &minor);
  std::printf("device: %s (sm_%d)\n", weft_cuda_device_name(device),
              major * 10 + minor);
}

/// How the runtime loaded the module's kernels on the device, once the
/// function has run there (nothing for a module without kernels).
void printKernels(const weft_module_t *module,
                  const weft_cuda_device_t *device) {
  const char *image = weft_module_device_image(module, device);
  if (!image)
    return;
  if (std::string_view(image) == "cubin")
    std::printf("kernels: cubin\n");
  else
    std::printf("kernels: PTX, JIT-compiled by the driver (the artifact's "
                "cubin is for another chip)\n");
}

/// Binds, runs and reports the selected function, on this device of the
/// mesh when there is one. Sets `mismatch` when outputs differ.
Error runFunction(const Options &options, const Device &device, Call &call,
                  bool &mismatch) {
  call.argumentTensors.resize(call.arguments.size());
  RETURN_IF_ERROR(checkOutputFlags(options, call));
  std::vector<Tensor> expected;
  if (device.leader())
    RETURN_IF_ERROR(loadExpected(options, call, expected));
  if (device.cuda && device.leader())
    printCudaDevice(device.cuda);
  RETURN_IF_ERROR(bindInputs(options, device, call));
  RETURN_IF_ERROR(bindWeights(options, device, call));
  RETURN_IF_ERROR(allocateResults(call));

  double total = 0, best = 0;
  RETURN_IF_ERROR(invoke(device, call, options.repeat, total, best));
  if (!device.leader())
    return Error();
  if (device.cuda)
    printKernels(call.module, device.cuda);
  std::printf("EXEC @%s\n", call.functionName.c_str());
  printResults(call, options.printMax);
  printTime(total, best, options.repeat, device.cuda != nullptr);
  RETURN_IF_ERROR(writeOutputs(options, call));
  mismatch = !checkExpected(options, call, expected);
  return Error();
}

/// Fails, as a usage error, unless --device suits the artifact's target.
Error checkTarget(const Options &options, const weft_module_t *module) {
  std::string_view target = weft_module_target(module);
  if (target == (options.cuda ? "cuda" : "cpu"))
    return Error();
  return Error::usage("artifact " + quote(options.module) +
                      " was compiled for target " + quote(target) +
                      "; run it with --device=" +
                      (target == "cuda" ? "cuda (or cuda:N)" : "cpu") +
                      ", not --device=" + options.device);
}

/// Everything after flag parsing. Sets `mismatch` when outputs differ.
Error run(const Options &options, bool &mismatch) {
  // Closed after the module, which keeps its kernels loaded on it.
  CudaDevice cuda;
  weft_module_t *raw = nullptr;
  RETURN_IF_ERROR(Error::from(weft_module_open(options.module.c_str(), &raw)));
  Module module(raw);
  RETURN_IF_ERROR(checkTarget(options, module.get()));
  Call call;
  RETURN_IF_ERROR(selectFunction(module.get(), options, call));
  const bool mesh = weft_module_mesh_rank(module.get()) > 0;
  Device device;
  if (options.cuda) {
    RETURN_IF_ERROR(openCudaDevice(options, mesh, cuda));
    device.cuda = cuda.get();
  }
  if (!mesh)
    return runFunction(options, device, call, mismatch);

  Communicator communicator;
  RETURN_IF_ERROR(joinMesh(module.get(), options, communicator, device));
  Error e = runFunction(options, device, call, mismatch);
  if (e) {
    // The other ranks may be waiting in a collective for this one: end
    // them all rather than leave them to time out.
    std::fflush(stdout);
    std::fprintf(stderr,
                 "weft-run: error: rank %" PRId64 " of %" PRId64 ": %s\n",
                 device.rank, device.size, e.message().c_str());
    weft_communicator_abort(device.communicator, nullptr);
  }
  return Error();
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (Error e = parseFlags(argc, argv, options)) {
    std::fprintf(stderr, "weft-run: error: %s (see --help)\n",
                 e.message().c_str());
    return kExitUsage;
  }
  if (options.help) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  bool mismatch = false;
  if (Error e = run(options, mismatch)) {
    std::fflush(stdout);
    std::fprintf(stderr, "weft-run: error: %s%s\n", e.message().c_str(),
                 e.usageError() ? " (see --help)" : "");
    return e.usageError() ? kExitUsage : kExitFailure;
  }
  return mismatch ? kExitFailure : 0;
}
