#include "trellis/sync/transaction.hpp"

namespace trellis::sync {

std::optional<crdt::Dot> transaction_dot(const crdt::GraphDoc& delta, crdt::ReplicaId self) {
  std::optional<crdt::Dot> newest;
  delta.context().for_each_dot([&](crdt::Dot dot) {
    if (dot.replica == self && (!newest || newest->seq < dot.seq)) newest = dot;
  });
  return newest;
}

}  // namespace trellis::sync
