//===- HostCodegen.cpp - LLVM dialect to a host shared library ------------===//
//
// See HostCodegen.h. Object code comes from LLVM's own code generator in
// process; only the final link runs an external program (the C compiler
// driver), because producing a correct ELF shared object with its dynamic
// dependencies is the linker's job.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/CPU/HostCodegen.h"

#include "weft/Target/ExternalTools.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#ifndef WEFT_OPENMP_LIBRARY_DIR
#define WEFT_OPENMP_LIBRARY_DIR "/usr/lib/llvm-22/lib"
#endif

using namespace mlir;

namespace weft::cpu {

namespace {

/// Adds `void weft_entry_<name>(void **args, const weft_collective_table_t
/// *collectives, const weft_device_table_t *device)` calling the C
/// interface with args[0..n) as descriptor pointers, the device table first
/// for GPU programs, and the collective table right after the arguments for
/// functions that communicate (convert-mesh-to-runtime gave them that
/// parameter). Hides every other definition so that the library exports
/// exactly the entry points.
LogicalResult addEntryWrappers(ModuleOp module, llvm::Module &llvmModule,
                               ArrayRef<EntryFunction> entries,
                               bool deviceTable) {
  llvm::LLVMContext &ctx = llvmModule.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  for (llvm::Function &fn : llvmModule.functions())
    if (!fn.isDeclaration())
      fn.setLinkage(llvm::GlobalValue::InternalLinkage);

  for (const EntryFunction &entry : entries) {
    llvm::Function *ciface =
        llvmModule.getFunction("_mlir_ciface_" + entry.name);
    unsigned buffers = entry.numArguments + entry.numResults;
    unsigned fixed = buffers + (deviceTable ? 1 : 0);
    bool takesCollectives = ciface && ciface->arg_size() == fixed + 1;
    if (!ciface || (ciface->arg_size() != fixed && !takesCollectives) ||
        !ciface->getReturnType()->isVoidTy())
      return emitError(module.getLoc(), "lowering of entry function '")
             << entry.name << "' did not produce a C interface taking "
             << buffers << " buffers";
    auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                         {ptr, ptr, ptr}, /*isVarArg=*/false);
    auto *wrapper =
        llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                               "weft_entry_" + entry.name, llvmModule);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
    SmallVector<llvm::Value *> args;
    if (deviceTable)
      args.push_back(wrapper->getArg(2));
    for (unsigned i = 0; i < buffers; ++i) {
      if (takesCollectives && i == entry.numArguments)
        args.push_back(wrapper->getArg(1));
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, wrapper->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    if (takesCollectives && entry.numResults == 0)
      args.push_back(wrapper->getArg(1));
    b.CreateCall(ciface, args);
    b.CreateRetVoid();
  }
  return success();
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(ModuleOp module, const HostCodegenOptions &options,
                    std::string &cpuName) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    emitError(module.getLoc(), "no LLVM target for ") << triple.str() << ": " << error;
    return nullptr;
  }
  std::string features;
  cpuName = options.cpu;
  if (cpuName == "host") {
    cpuName = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures set;
    for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      set.AddFeature(feature, enabled);
    features = set.getString();
  }
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
               : options.optLevel == 0 ? llvm::CodeGenOptLevel::None
                                       : llvm::CodeGenOptLevel::Default;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, level));
  if (!machine)
    emitError(module.getLoc(), "cannot create a target machine for CPU '")
        << cpuName << "'";
  return machine;
}

} // namespace

FailureOr<HostLibrary> emitHostLibrary(ModuleOp module,
                                       ArrayRef<EntryFunction> entries,
                                       const HostCodegenOptions &options,
                                       std::string *llvmIR) {
  // 1. LLVM dialect → LLVM IR.
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "weft_host");
  if (!llvmModule)
    return emitError(module.getLoc(), "translation to LLVM IR failed"), failure();

  // 2. Entry wrappers, target, optimization.
  if (failed(addEntryWrappers(module, *llvmModule, entries,
                               options.deviceTable)))
    return failure();
  HostLibrary library;
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(module, options, library.cpu);
  if (!machine)
    return failure();
  library.triple = machine->getTargetTriple().str();
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  auto optimize = makeOptimizingTransformer(options.optLevel, /*sizeLevel=*/0,
                                            machine.get());
  if (llvm::Error err = optimize(llvmModule.get())) {
    emitError(module.getLoc(), "LLVM optimization failed: ")
        << llvm::toString(std::move(err));
    return failure();
  }
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return emitError(module.getLoc(), "optimized LLVM IR does not verify"), failure();
  if (llvmIR) {
    llvm::raw_string_ostream os(*llvmIR);
    llvmModule->print(os, nullptr);
  }

  // 3. Object file, in memory then on disk for the linker.
  SmallString<0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return emitError(module.getLoc(), "the target cannot emit object files"),
             failure();
    codegen.run(*llvmModule);
  }
  TempFiles temps;
  FailureOr<std::string> objectPath = temps.create(module, "host", "o");
  FailureOr<std::string> libraryPath = temps.create(module, "host", "so");
  FailureOr<std::string> logPath = temps.create(module, "host", "log");
  if (failed(objectPath) || failed(libraryPath) || failed(logPath))
    return failure();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(*objectPath, ec);
    if (ec)
      return emitError(module.getLoc(), "cannot write ") << *objectPath << ": "
                                               << ec.message(),
             failure();
    os << object;
  }

  // 4. Link: a shared object that resolves everything it needs (-z defs).
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return emitError(module.getLoc(), "no C compiler driver 'cc' on PATH to link the "
                            "host library"),
           failure();
  SmallVector<std::string> args{*cc, "-shared", "-o", *libraryPath,
                                *objectPath, "-Wl,-z,defs"};
  if (options.openmp) {
    args.push_back("-L" WEFT_OPENMP_LIBRARY_DIR);
    args.push_back("-Wl,-rpath," WEFT_OPENMP_LIBRARY_DIR);
    args.push_back("-lomp");
    library.needed.push_back("libomp.so.5");
  }
  args.push_back("-lm");
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  if (failed(runTool(module, "linking the host library", *cc, argRefs,
                     *logPath)))
    return failure();
  auto bytes = llvm::MemoryBuffer::getFile(*libraryPath);
  if (!bytes)
    return emitError(module.getLoc(), "cannot read the linked host library: ")
               << bytes.getError().message(),
           failure();
  library.bytes = (*bytes)->getBuffer().str();
  return library;
}

} // namespace weft::cpu
