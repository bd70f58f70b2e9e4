//===- CollectivePlugin.h - Loading the collectives plugins -----*- C++ -*-===//
//
// The MPI and NCCL back ends live in their own shared libraries so that
// libweft_runtime.so never links libmpi or libnccl and loads on machines
// without them. This finds and dlopen()s them on first use.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_COLLECTIVEPLUGIN_H
#define WEFT_RUNTIME_SRC_COLLECTIVEPLUGIN_H

#include "CollectiveBackend.h"

#include <string>

namespace weft::runtime {

/// Where plugins are looked for: $WEFT_COLLECTIVES_PLUGIN_DIR when set,
/// else the directory of the object holding the runtime's code
/// (libweft_runtime.so, or an executable that links the runtime's objects).
std::string collectivePluginDirectory();

/// Loads `fileName` ("libweft_runtime_mpi.so") from that directory once per
/// process and returns its create function. Fails with "<backendName> back
/// end not available: <fileName>: <dlerror>" when the plugin or a library
/// it needs is missing, and names the plugin when it is not one of ours.
Status loadCollectivePlugin(const char *backendName, const char *fileName,
                            WeftCollectivePluginCreateFn &create);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_COLLECTIVEPLUGIN_H
