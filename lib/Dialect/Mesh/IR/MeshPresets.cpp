//===- MeshPresets.cpp - Named machines -------------------------------------===//
//
// Hardware numbers of the machines Weft plans for. Sources: NVIDIA's H100 and
// H200 SXM datasheets (dense tensor-core peaks, HBM bandwidth and capacity;
// NVLink 4 at 900 GB/s bidirectional per GPU) and ConnectX-7 NDR InfiniBand
// (400 Gb/s per port, one port per GPU). Latencies are per collective step,
// in the range NCCL's tuning tables use. The CPU link is Open MPI's
// shared-memory transport between processes of one host, fitted by least
// squares to all_reduce/all_gather/reduce_scatter/all_to_all times on 2 and
// 4 ranks, 1 KiB to 64 MiB (benchmarks/collectives_cpu.py; the fit and its
// error are in docs/benchmarks.md).
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Mesh/IR/MeshPresets.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace weft::mesh;

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct DeviceNumbers {
  const char *name;
  double f64, f32, tf32, bf16, f16, f8;
  double memoryBandwidth, memoryCapacity;
};

constexpr DeviceNumbers kH100 = {"H100-SXM5-80GB", 6.7e13,  6.7e13,
                                 4.95e14,          9.89e14, 9.89e14,
                                 1.979e15,         3.35e12, 80 * kGiB};
constexpr DeviceNumbers kH200 = {"H200-SXM-141GB", 6.7e13,  6.7e13,
                                 4.95e14,          9.89e14, 9.89e14,
                                 1.979e15,         4.8e12,  141 * kGiB};
constexpr DeviceNumbers kCPU = {"CPU", 5.0e10, 1.0e11, 0, 0, 0, 0,
                                2.0e10, 16 * kGiB};

constexpr double kNVLinkBandwidth = 4.5e11, kNVLinkLatency = 3.0e-6;
constexpr double kIBBandwidth = 5.0e10, kIBLatency = 5.0e-6;
constexpr double kShmBandwidth = 2.6e9, kShmLatency = 3.6e-6;
constexpr int64_t kGPUsPerNode = 8;

DeviceAttr makeDevice(MLIRContext *context, const DeviceNumbers &numbers) {
  Builder b(context);
  SmallVector<NamedAttribute> peaks;
  auto add = [&](StringRef type, double flops) {
    if (flops > 0)
      peaks.push_back(b.getNamedAttr(type, b.getF64FloatAttr(flops)));
  };
  add("f64", numbers.f64);
  add("f32", numbers.f32);
  add("tf32", numbers.tf32);
  add("bf16", numbers.bf16);
  add("f16", numbers.f16);
  add("f8E4M3FN", numbers.f8);
  return DeviceAttr::get(context, numbers.name, b.getDictionaryAttr(peaks),
                         APFloat(numbers.memoryBandwidth),
                         APFloat(numbers.memoryCapacity));
}

enum class Fabric { NVLink, InfiniBand, SharedMemory };

struct Family {
  StringRef name;
  const DeviceNumbers *device;
  Fabric fabric;
};

constexpr Family kFamilies[] = {
    {"H100-NVLink", &kH100, Fabric::NVLink},
    {"H100-IB", &kH100, Fabric::InfiniBand},
    {"H200-NVLink", &kH200, Fabric::NVLink},
    {"H200-IB", &kH200, Fabric::InfiniBand},
    {"CPU", &kCPU, Fabric::SharedMemory},
};

/// Axis names for `rank` axes: `base` alone in 1-D, `base0, base1, ...`
/// otherwise.
SmallVector<std::string> numberedAxes(StringRef base, size_t rank) {
  SmallVector<std::string> names;
  for (size_t i = 0; i < rank; ++i)
    names.push_back(rank == 1 ? base.str() : (base + Twine(i)).str());
  return names;
}
} // namespace

ArrayRef<StringRef> weft::mesh::getMeshPresetFamilies() {
  static const SmallVector<StringRef> names = [] {
    SmallVector<StringRef> result;
    for (const Family &family : kFamilies)
      result.push_back(family.name);
    return result;
  }();
  return names;
}

FailureOr<MeshDescription>
weft::mesh::getMeshPreset(MLIRContext *context, StringRef name,
                          function_ref<InFlightDiagnostic()> emitError) {
  // Split "2x8xH100-IB" into the shape "2x8" and the family "H100-IB".
  MeshDescription mesh;
  StringRef rest = name;
  while (!rest.empty() && llvm::isDigit(rest.front())) {
    auto [size, tail] = rest.split('x');
    int64_t value;
    if (size.getAsInteger(10, value) || value <= 0 || tail.empty()) {
      emitError() << "expected a preset name <shape>x<family> (e.g. "
                     "2x8xH100-IB), got '"
                  << name << "'";
      return failure();
    }
    mesh.shape.push_back(value);
    rest = tail;
  }
  const Family *family = llvm::find_if(
      kFamilies, [&](const Family &f) { return f.name == rest; });
  if (mesh.shape.empty() || family == std::end(kFamilies)) {
    InFlightDiagnostic diag = emitError();
    diag << "unknown mesh preset '" << name
         << "'; expected <shape>x<family> with family one of: ";
    llvm::interleaveComma(getMeshPresetFamilies(), diag);
    return failure();
  }

  size_t rank = mesh.shape.size();
  std::optional<int64_t> devices = getDeviceCount(mesh.shape);
  if (!devices) {
    emitError() << "preset '" << name << "' has more than " << kMaxMeshDevices
                << " devices";
    return failure();
  }
  auto link = [&](double bandwidth, double latency) {
    return LinkAttr::get(context, APFloat(bandwidth), APFloat(latency));
  };
  switch (family->fabric) {
  case Fabric::NVLink:
    if (*devices > kGPUsPerNode) {
      emitError() << "preset '" << name << "' has " << *devices
                  << " devices but NVLink connects at most " << kGPUsPerNode
                  << " (one node); use an -IB family for several nodes";
      return failure();
    }
    mesh.axisNames = numberedAxes("gpu", rank);
    mesh.links.assign(rank, link(kNVLinkBandwidth, kNVLinkLatency));
    break;
  case Fabric::InfiniBand:
    if (rank != 2 || mesh.shape[1] > kGPUsPerNode) {
      emitError() << "preset '" << name
                  << "' must be nodes x GPUs with at most " << kGPUsPerNode
                  << " GPUs per node";
      return failure();
    }
    mesh.axisNames = {"node", "gpu"};
    mesh.links = {link(kIBBandwidth, kIBLatency),
                  link(kNVLinkBandwidth, kNVLinkLatency)};
    break;
  case Fabric::SharedMemory:
    mesh.axisNames = numberedAxes("rank", rank);
    mesh.links.assign(rank, link(kShmBandwidth, kShmLatency));
    break;
  }
  mesh.device = makeDevice(context, *family->device);
  return mesh;
}
