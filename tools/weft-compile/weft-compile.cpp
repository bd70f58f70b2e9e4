//===- weft-compile.cpp - Ahead-of-time compiler for xf model graphs ------===//
//
//   weft-compile model.mlir -o model.weft [--target=cpu] [--target-cpu=host]
//                [--mesh=2xCPU [--memory-budget=...] [--plan-summary=-]]
//                [--target=cuda --chip=sm_90 [--kernel-report=-]]
//
// Parses and verifies an xf module; with --mesh, shards it automatically
// (xf-auto-shard); partitions a sharded module into the program each device
// runs (xf-partition); records its entry functions in a manifest, lowers it
// for the target, generates the host library and writes the artifact
// (docs/artifact.md). MLIR's pass-manager and context flags
// (--mlir-print-ir-after-all, --mlir-timing, ...) apply to the lowering.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Xf/Transforms/Passes.h"
#include "weft/InitAllDialects.h"
#include "weft/InitAllPasses.h"
#include "weft/Target/CPU/HostCodegen.h"
#include "weft/Target/CPU/Passes.h"
#include "weft/Target/CUDA/DeviceCodegen.h"
#include "weft/Target/CUDA/KernelReport.h"
#include "weft/Target/CUDA/Passes.h"
#include "weft/Target/Manifest.h"
#include "weft/runtime/ArtifactWriter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("weft-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("output artifact (.weft)"),
                                cl::value_desc("path"), cl::Required,
                                cl::cat(category));
cl::opt<std::string> target("target",
                            cl::desc("cpu, or cuda (NVIDIA GPUs, --chip)"),
                            cl::init("cpu"), cl::cat(category));
cl::opt<std::string> chip("chip",
                          cl::desc("with --target=cuda: sm_80 (A100) or sm_90 "
                                   "(H100, H200)"),
                          cl::init("sm_80"), cl::cat(category));
cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("with --target=cuda: the CUDA toolkit whose ptxas "
                      "assembles the kernels (default: PATH, then the "
                      "toolkit Weft was built with)"),
             cl::cat(category));
cl::opt<std::string>
    targetCpu("target-cpu",
              cl::desc("CPU to generate code for: 'host' or an LLVM CPU name "
                       "such as x86-64-v3 (for artifacts run elsewhere)"),
              cl::init("host"), cl::cat(category));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::init(3), cl::Prefix, cl::cat(category));
cl::opt<bool> parallel("parallel",
                       cl::desc("run parallel loops on all cores (OpenMP)"),
                       cl::init(true), cl::cat(category));
cl::opt<int64_t> blockQ(
    "attention-block-q",
    cl::desc("query rows per attention block (default: 64 on the CPU; on "
             "CUDA 16 per warp for the tensor-core kernel (64 per "
             "warpgroup on sm_90), 32 for other attention)"),
    cl::init(0), cl::cat(category));
cl::opt<int64_t> blockKv("attention-block-kv",
                         cl::desc("keys per attention block (default: 64 on "
                                  "the CPU; on CUDA 64 for the tensor-core "
                                  "kernel (128 on sm_90), 16 for other "
                                  "attention)"),
                         cl::init(0), cl::cat(category));
cl::opt<int64_t> attentionWarps(
    "attention-warps",
    cl::desc("with --target=cuda: warps per block of the tensor-core "
             "attention kernel (default 4, each owning 16 or 32 query rows; "
             "on sm_90 8, in warpgroups of 4 owning 64 rows)"),
    cl::init(0), cl::cat(category));
cl::opt<bool> attentionWgmma(
    "attention-wgmma",
    cl::desc("with --target=cuda --chip=sm_90: the Hopper attention kernel "
             "(TMA copies, warpgroup MMA; sm_90a code); =false: the sm_80 "
             "kernel (mma.sync)"),
    cl::init(true), cl::cat(category));
cl::opt<std::string>
    meshOption("mesh",
               cl::desc("shard the model automatically over this mesh: a "
                        "preset such as 2xCPU or 2x4xH100-NVLink, or the "
                        "name of a mesh.mesh in the input"),
               cl::value_desc("preset|symbol"), cl::cat(category));
cl::opt<std::string>
    memoryBudget("memory-budget",
                 cl::desc("with --mesh: memory per device the plan must fit "
                          "(e.g. 80GiB, 512MiB; default: the device's)"),
                 cl::cat(category));
cl::opt<std::string>
    planSummary("plan-summary",
                cl::desc("with --mesh: write the plan's summary table here "
                         "('-' for stdout)"),
                cl::value_desc("path"), cl::cat(category));
cl::opt<std::string>
    planReport("plan-report",
               cl::desc("with --mesh: write the plan as JSON here"),
               cl::value_desc("path"), cl::cat(category));
cl::opt<bool> singleDevice(
    "single-device",
    cl::desc("ignore mesh.shard annotations and compile the whole model for "
             "one device"),
    cl::init(false), cl::cat(category));
cl::opt<cl::boolOrDefault> fuseRows(
    "fuse-rows",
    cl::desc("run each chain of row reductions (norms, softmax) and the "
             "elementwise ops around them as one loop nest over row tiles "
             "(weft-fuse-rows; default: on for cuda, off for cpu)"),
    cl::cat(category));
cl::opt<std::string> kernelReport(
    "kernel-report",
    cl::desc("with --target=cuda: write each kernel with the model ops it "
             "computes, and the kernels per transformer block, here ('-' "
             "for stdout)"),
    cl::value_desc("path"), cl::cat(category));
cl::opt<std::string> emitLLVMIR("emit-llvm-ir",
                                cl::desc("also write the optimized LLVM IR"),
                                cl::value_desc("path"), cl::cat(category));

/// Writes `text` to `path` through a tool output file (kept only on success).
LogicalResult writeTextFile(StringRef path, StringRef text) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "weft-compile: error: " << error << "\n";
    return failure();
  }
  file->os() << text;
  file->keep();
  return success();
}

/// --mesh runs xf-auto-shard; an annotated module (from it or the user) is
/// then partitioned, or stripped of its annotations with --single-device.
LogicalResult shard(ModuleOp module, TimingScope &root) {
  bool planOptions =
      !memoryBudget.empty() || !planSummary.empty() || !planReport.empty();
  if (meshOption.empty() && planOptions) {
    llvm::errs() << "weft-compile: error: --memory-budget, --plan-summary "
                    "and --plan-report need --mesh\n";
    return failure();
  }
  if (!meshOption.empty() && singleDevice) {
    llvm::errs() << "weft-compile: error: --mesh and --single-device "
                    "contradict each other\n";
    return failure();
  }
  PassManager pm(module->getContext(), ModuleOp::getOperationName());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  TimingScope scope = root.nest("Sharding");
  pm.enableTiming(scope);
  if (!meshOption.empty()) {
    weft::xf::XfAutoShardOptions options;
    options.meshName = meshOption;
    options.memoryBudget = memoryBudget;
    options.planSummary = planSummary;
    options.planReport = planReport;
    pm.addPass(weft::xf::createXfAutoShard(options));
  }
  if (failed(pm.run(module)))
    return failure();
  bool annotated = false;
  module.walk([&](weft::mesh::ShardOp) {
    annotated = true;
    return WalkResult::interrupt();
  });
  if (!annotated)
    return success();
  pm.clear();
  if (singleDevice)
    pm.addPass(weft::xf::createXfDropShardings());
  else
    pm.addPass(weft::xf::createXfPartition());
  return pm.run(module);
}

LogicalResult compile(MLIRContext &context, DefaultTimingManager &timing) {
  // 1. Parse and verify.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input) {
    llvm::errs() << "weft-compile: error: " << error << "\n";
    return failure();
  }
  sourceMgr.AddNewSourceBuffer(std::move(input), SMLoc());
  TimingScope root = timing.getRootScope();
  OwningOpRef<ModuleOp> module;
  {
    TimingScope parse = root.nest("Parse");
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module)
    return failure();

  if (target != "cpu" && target != "cuda") {
    llvm::errs() << "weft-compile: error: target '" << target
                 << "' is not supported (supported: cpu, cuda)\n";
    return failure();
  }
  if (target != "cuda" && !kernelReport.empty()) {
    llvm::errs() << "weft-compile: error: --kernel-report needs "
                    "--target=cuda\n";
    return failure();
  }
  if (target == "cuda" && !weft::cuda::isSupportedChip(chip)) {
    llvm::errs() << "weft-compile: error: chip '" << chip
                 << "' is not supported (supported: sm_80, sm_90)\n";
    return failure();
  }

  // 2. Sharding: a plan when asked for, then each device's program.
  if (failed(shard(*module, root)))
    return failure();

  // 3. Manifest from the xf-level signatures (whole shapes and each
  //    argument's slice for a partitioned program).
  SmallVector<weft::EntryFunction> entries;
  FailureOr<llvm::json::Object> manifest =
      weft::buildManifest(*module, target, entries);
  if (failed(manifest))
    return failure();

  // 4. Lower to LLVM dialect.
  PassManager pm(&context, ModuleOp::getOperationName());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  TimingScope lowering = root.nest("Lowering");
  pm.enableTiming(lowering);
  if (target == "cuda") {
    weft::cuda::CudaPipelineOptions pipeline;
    pipeline.chip = chip;
    pipeline.attentionBlockQ = blockQ;
    pipeline.attentionBlockKv = blockKv;
    pipeline.attentionWarps = attentionWarps;
    pipeline.attentionWgmma = attentionWgmma;
    if (fuseRows != cl::BOU_UNSET)
      pipeline.fuseRows = fuseRows == cl::BOU_TRUE;
    weft::cuda::buildCudaPipeline(pm, pipeline);
  } else {
    weft::cpu::CpuPipelineOptions pipeline;
    if (blockQ)
      pipeline.attentionBlockQ = blockQ;
    if (blockKv)
      pipeline.attentionBlockKv = blockKv;
    pipeline.parallel = parallel;
    pipeline.fuseRows = fuseRows == cl::BOU_TRUE;
    weft::cpu::buildCpuPipeline(pm, pipeline);
  }
  if (failed(pm.run(*module)))
    return failure();

  // A GPU program: its kernels out (PTX, and a cubin from ptxas), then the
  // host code that launches them down to LLVM.
  std::optional<weft::cuda::DeviceImage> image;
  if (target == "cuda") {
    TimingScope scope = lowering.nest("Device code generation");
    weft::cuda::DeviceCodegenOptions device;
    device.chip = chip;
    device.cudaPath = cudaPath;
    FailureOr<weft::cuda::DeviceImage> assembled =
        weft::cuda::emitDeviceImage(*module, device);
    if (failed(assembled))
      return failure();
    image = std::move(*assembled);
    scope.stop();
    PassManager host(&context, ModuleOp::getOperationName());
    if (failed(applyPassManagerCLOptions(host)))
      return failure();
    host.enableTiming(lowering);
    weft::cpu::buildHostToLLVMStage(host);
    if (failed(host.run(*module)))
      return failure();
  }
  lowering.stop();

  // 5. Host library.
  weft::cpu::HostCodegenOptions codegen;
  codegen.cpu = targetCpu;
  codegen.optLevel = optLevel;
  codegen.openmp = parallel && target == "cpu";
  codegen.deviceTable = target == "cuda";
  std::string llvmIR;
  FailureOr<weft::cpu::HostLibrary> library;
  {
    TimingScope scope = root.nest("Host code generation");
    library = weft::cpu::emitHostLibrary(
        *module, entries, codegen, emitLLVMIR.empty() ? nullptr : &llvmIR);
  }
  if (failed(library))
    return failure();
  if (!emitLLVMIR.empty() && failed(writeTextFile(emitLLVMIR, llvmIR)))
    return failure();

  // 6. The artifact.
  llvm::json::Array needed;
  for (const std::string &lib : library->needed)
    needed.push_back(lib);
  (*manifest)["host"] = llvm::json::Object{{"triple", library->triple},
                                           {"cpu", library->cpu},
                                           {"needed", std::move(needed)}};
  std::vector<weft::runtime::ArtifactSection> sections;
  if (image) {
    llvm::json::Array kernels;
    for (const weft::cuda::KernelResources &k : image->kernels)
      kernels.push_back(llvm::json::Object{
          {"name", k.name},
          {"launches", static_cast<int64_t>(k.launches.size())},
          {"registers", k.registers},
          {"stack_bytes", k.stackBytes},
          {"spill_store_bytes", k.spillStoreBytes},
          {"spill_load_bytes", k.spillLoadBytes},
          {"shared_bytes", k.sharedBytes}});
    weft::cuda::KernelReport report = weft::cuda::buildKernelReport(*image);
    (*manifest)["device"] = llvm::json::Object{
        {"chip", chip.getValue()},
        {"kernels", std::move(kernels)},
        {"kernels_per_block", weft::cuda::getBlocksJson(report)},
        {"kernels_outside_blocks", report.launchesOutsideBlocks}};
    if (!kernelReport.empty()) {
      std::string text;
      llvm::raw_string_ostream os(text);
      weft::cuda::printKernelReport(report, os);
      if (failed(writeTextFile(kernelReport, text)))
        return failure();
    }
  }
  std::string manifestText;
  llvm::raw_string_ostream(manifestText)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(*manifest)));
  TimingScope writeScope = root.nest("Write artifact");
  sections.push_back({"manifest", manifestText});
  sections.push_back({"hostlib", library->bytes});
  if (image && !image->ptx.empty()) {
    sections.push_back({"ptx", image->ptx});
    sections.push_back({"cubin", image->cubin});
  }
  std::string writeError = weft::runtime::writeArtifact(outputFile, sections);
  if (!writeError.empty()) {
    llvm::errs() << "weft-compile: error: " << writeError << "\n";
    return failure();
  }
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // --help shows weft-compile's options and MLIR's --mlir-* flags; the
  // code generators' own options (hundreds, for every LLVM target) are still
  // accepted and listed by --help-hidden.
  cl::HideUnrelatedOptions({&category, &cl::getGeneralCategory()});
  for (auto &[name, option] : cl::getRegisteredOptions())
    if (option->getOptionHiddenFlag() == cl::NotHidden &&
        llvm::is_contained(option->Categories, &cl::getGeneralCategory()) &&
        !name.starts_with("mlir-"))
      option->setHiddenFlag(cl::Hidden);
  cl::ParseCommandLineOptions(
      argc, argv,
      "weft-compile: compile an xf model graph into a .weft artifact\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // GPU kernels are serialized through LLVM IR inside the pipeline.
  registerAllToLLVMIRTranslations(registry);
  weft::registerAllDialects(registry);
  MLIRContext context(registry);
  // Diagnostics point at source locations; the op dump adds nothing there.
  context.printOpOnDiagnostic(false);

  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  return failed(compile(context, timing)) ? 1 : 0;
}
