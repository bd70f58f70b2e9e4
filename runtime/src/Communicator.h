//===- Communicator.h - Communicators over a back end -----------*- C++ -*-===//
//
// The part of weft_communicator_create that follows the choice of a back
// end, exposed so that the unit tests can run the communicator's checks and
// layouts over a back end of their own.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_COMMUNICATOR_H
#define WEFT_RUNTIME_SRC_COMMUNICATOR_H

#include "CollectiveBackend.h"

#include <vector>

namespace weft::runtime {

/// A communicator over `meshShape` (already validated) and `backend`, whose
/// size must be the mesh's device count. `kind` is what
/// weft_communicator_backend reports.
Status createCommunicator(const std::vector<int64_t> &meshShape,
                          weft_collective_backend_t kind, double timeout,
                          std::unique_ptr<CollectiveBackend> backend,
                          weft_communicator_t **out);

/// True when the environment says mpirun (or another PMI launcher) started
/// this process.
bool launchedByMpi();

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_COMMUNICATOR_H
