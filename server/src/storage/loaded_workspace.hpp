#pragma once
// LoadedWorkspace: what storage holds of one workspace, as load() returns it
// — the stored snapshot joined with every delta stored after it, so the
// caller gets one ready GraphDoc (for sync::WorkspaceReplica) and does no
// decoding on its own strand. The sizes tell the caller when writing a new
// snapshot would pay off (for instance once delta_bytes exceeds
// snapshot_bytes).
//
// A plain value: no threading rules of its own.

#include <cstddef>
#include <cstdint>

#include "trellis/crdt/graph_doc.hpp"

namespace trellis::server {

struct LoadedWorkspace {
  // The joined state; a default-constructed (replica 0) GraphDoc, empty for
  // a workspace that was created and never written.
  crdt::GraphDoc doc;
  std::uint64_t snapshot_bytes = 0;  // 0 when no snapshot was written
  std::size_t delta_count = 0;       // deltas stored after the snapshot
  std::uint64_t delta_bytes = 0;     // their encoded size
};

}  // namespace trellis::server
