//===- KernelCalls.h - Kernel declarations' calls become launches --------===//
//
// The dedicated tensor-core kernels are chosen on tensors, where an outline
// pass replaces the ops they take by calls of private kernel declarations
// on buffers (bufferization and deallocation cannot see into the kernels'
// warp-level operations, which declare no memory effects). Once buffers are
// settled, each declaration becomes one kernel and each call a launch of
// it; this is that step, shared by every such kernel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TARGET_CUDA_KERNELCALLS_H
#define WEFT_TARGET_CUDA_KERNELCALLS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseMap.h"

#include <array>

namespace weft::cuda {

/// The kernel declarations an outline pass creates: private func.func ops
/// of the kernel's signature on buffers carrying `attrName` = the kernel's
/// configuration. Ops alike (the layers of a model) share one declaration,
/// hence one kernel.
class KernelDeclarations {
public:
  KernelDeclarations(mlir::ModuleOp module, llvm::StringRef attrName)
      : module(module), symbols(module), attrName(attrName) {}

  /// The declaration of `type` and `config`, created at the module's end
  /// as `name` (renamed on a clash) unless one exists.
  mlir::func::FuncOp getOrCreate(mlir::OpBuilder &b, mlir::Location loc,
                                 llvm::StringRef name,
                                 mlir::FunctionType type,
                                 mlir::DictionaryAttr config);

private:
  mlir::ModuleOp module;
  mlir::SymbolTable symbols;
  llvm::StringRef attrName;
  llvm::DenseMap<std::pair<mlir::Type, mlir::Attribute>, mlir::func::FuncOp>
      declarations;
};

/// How a call of a kernel declaration launches its kernel.
struct KernelLaunchShape {
  std::array<int64_t, 3> grid;
  int64_t threads;     ///< one-dimensional blocks
  int64_t sharedBytes; ///< dynamic shared memory
};

/// Replaces each call in `module` of a private declaration carrying
/// `attrName` by a gpu.launch_func of a kernel built once per declaration:
/// a gpu.func of the declaration's name and type in the gpu.module
/// `kernelModuleName` (created), with a known block size, whose body
/// `buildBody` fills (the builder before its gpu.return; `arguments` are
/// the entry block's, one per call operand). `shape` checks a call and
/// gives its launch shape, reporting what is wrong itself; the calls of one
/// declaration share its types and configuration, hence one shape. The
/// declarations are erased.
///
/// `hostOperands`, when given, builds on the host, before each launch, the
/// values a kernel takes beyond the call's operands (the tensor maps of
/// TMA copies); they follow the call's operands in the launch and in the
/// kernel's arguments, and every call of a declaration gives the same types.
mlir::LogicalResult replaceKernelCalls(
    mlir::ModuleOp module, llvm::StringRef attrName,
    llvm::StringRef kernelModuleName,
    llvm::function_ref<mlir::FailureOr<KernelLaunchShape>(
        mlir::func::CallOp call, mlir::func::FuncOp declaration)>
        shape,
    llvm::function_ref<void(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::func::CallOp call,
                            mlir::func::FuncOp declaration,
                            mlir::ValueRange arguments)>
        buildBody,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(
        mlir::OpBuilder &b, mlir::func::CallOp call,
        mlir::func::FuncOp declaration)>
        hostOperands = nullptr);

/// replaceKernelCalls for a kernel whose declarations carry a `Config`
/// (read with `Config::fromAttr(attr, declaration)`) and whose calls
/// `describe` checks into a `Description`, from which `shape` gives the
/// launch and `build` the body.
template <typename Config, typename Description>
mlir::LogicalResult replaceKernelCalls(
    mlir::ModuleOp module, llvm::StringRef attrName,
    llvm::StringRef kernelModuleName,
    mlir::FailureOr<Description> (*describe)(mlir::func::CallOp,
                                             const Config &),
    llvm::function_ref<KernelLaunchShape(const Description &)> shape,
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                            const Description &, mlir::ValueRange)>
        build,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(
        mlir::OpBuilder &, mlir::func::CallOp, const Description &)>
        hostOperands = nullptr) {
  auto read = [&](mlir::func::CallOp call, mlir::func::FuncOp declaration)
      -> mlir::FailureOr<Description> {
    mlir::FailureOr<Config> config =
        Config::fromAttr(declaration->getAttr(attrName), declaration);
    if (mlir::failed(config))
      return mlir::failure();
    return describe(call, *config);
  };
  return replaceKernelCalls(
      module, attrName, kernelModuleName,
      [&](mlir::func::CallOp call, mlir::func::FuncOp declaration)
          -> mlir::FailureOr<KernelLaunchShape> {
        mlir::FailureOr<Description> d = read(call, declaration);
        if (mlir::failed(d))
          return mlir::failure();
        return shape(*d);
      },
      [&](mlir::OpBuilder &b, mlir::Location loc, mlir::func::CallOp call,
          mlir::func::FuncOp declaration, mlir::ValueRange args) {
        build(b, loc, *read(call, declaration), args); // checked by `shape`
      },
      hostOperands ? llvm::function_ref<llvm::SmallVector<mlir::Value>(
                         mlir::OpBuilder &, mlir::func::CallOp,
                         mlir::func::FuncOp)>(
                         [&](mlir::OpBuilder &b, mlir::func::CallOp call,
                             mlir::func::FuncOp declaration) {
                           return hostOperands(b, call,
                                               *read(call, declaration));
                         })
                   : nullptr);
}

} // namespace weft::cuda

#endif // WEFT_TARGET_CUDA_KERNELCALLS_H
