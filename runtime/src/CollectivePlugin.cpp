//===- CollectivePlugin.cpp - Loading the collectives plugins -------------===//
//
// Plugins are looked for beside the runtime, found through dladdr() on one
// of its own functions, so an installed or a build tree works without
// LD_LIBRARY_PATH. They are loaded RTLD_NODELETE and never unloaded: MPI
// cannot be initialized twice in a process, and the MPI plugin's exit
// handler must stay mapped.
//
//===----------------------------------------------------------------------===//

#include "CollectivePlugin.h"

#include <climits>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <mutex>

using namespace weft::runtime;

std::string weft::runtime::collectivePluginDirectory() {
  if (const char *dir = std::getenv("WEFT_COLLECTIVES_PLUGIN_DIR"); dir && *dir)
    return dir;
  std::string object;
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&collectivePluginDirectory), &info) &&
      info.dli_fname && *info.dli_fname) {
    // The main program comes back as argv[0], possibly relative.
    char resolved[PATH_MAX];
    if (realpath(info.dli_fname, resolved))
      object = resolved;
  }
  if (object.empty()) {
    char resolved[PATH_MAX];
    if (realpath("/proc/self/exe", resolved))
      object = resolved;
  }
  size_t slash = object.rfind('/');
  return slash == std::string::npos ? "." : object.substr(0, slash);
}

Status
weft::runtime::loadCollectivePlugin(const char *backendName,
                                    const char *fileName,
                                    WeftCollectivePluginCreateFn &create) {
  static std::mutex mutex;
  static std::map<std::string, WeftCollectivePluginCreateFn> loaded;
  std::string path = collectivePluginDirectory() + "/" + fileName;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = loaded.find(path); it != loaded.end()) {
    create = it->second;
    return Status();
  }

  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char *message = dlerror();
    return error(backendName, " back end not available: ", fileName, ": ",
                 message ? message : "unknown dlopen error");
  }
  auto version = reinterpret_cast<WeftCollectivePluginAbiVersionFn>(
      dlsym(handle, "weft_collective_plugin_abi_version"));
  auto factory = reinterpret_cast<WeftCollectivePluginCreateFn>(
      dlsym(handle, "weft_collective_plugin_create"));
  if (!version || !factory)
    return error(backendName, " back end not available: ", path,
                 " is not a Weft collectives plugin (it lacks "
                 "weft_collective_plugin_abi_version or "
                 "weft_collective_plugin_create)");
  if (int found = version(); found != kCollectivePluginAbiVersion)
    return error(backendName, " back end not available: ", path,
                 " was built for plugin ABI version ", found,
                 ", this runtime needs version ", kCollectivePluginAbiVersion,
                 ": rebuild it with the runtime");
  loaded.emplace(path, factory);
  create = factory;
  return Status();
}
