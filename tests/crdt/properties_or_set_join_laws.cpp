// OrSet<K> on its own is a join-semilattice: join is idempotent, commutative
// and associative, with the empty set as identity. The states are those of 3
// to 5 replicas adding and removing elements of a small pool while their
// deltas are delivered out of order, duplicated or not at all, and replicas
// sometimes join full states: every snapshot and every delta is a candidate.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "trellis/crdt/or_set.hpp"

namespace trellis::crdt {
namespace {

using Set = OrSet<std::string>;

std::string describe(const Set& set) {
  std::string out = "{elements:";
  for (const std::string& element : set.elements()) {
    out += " " + element + "[";
    for (Dot dot : set.entries().at(element)) {
      out += " (" + std::to_string(dot.replica.value) + "," + std::to_string(dot.seq) + ")";
    }
    out += " ]";
  }
  out += ", vv:";
  for (const auto& [replica, seq] : set.context().version_vector().entries()) {
    out += " " + std::to_string(replica.value) + ":" + std::to_string(seq);
  }
  out += ", cloud:";
  for (Dot dot : set.context().cloud()) {
    out += " (" + std::to_string(dot.replica.value) + "," + std::to_string(dot.seq) + ")";
  }
  return out + "}";
}

void assert_same_set(const Set& left, const Set& right, const std::string& what) {
  if (!(left == right)) {
    RC_FAIL(what + ": sets differ\n  left:  " + describe(left) + "\n  right: " + describe(right));
  }
}

Set joined(const Set& left, const Set& right) {
  Set out = left;
  out.join(right);
  return out;
}

struct OrSetStep {
  enum class Kind : std::uint8_t { add, remove, deliver, sync_state };
  Kind kind = Kind::add;
  std::uint8_t replica = 0;  // modulo the replica count
  std::uint8_t element = 0;  // index into a pool of 4 elements
  std::uint8_t pick = 0;     // pending message, or sender of a state
};

void showValue(const OrSetStep& step, std::ostream& out) {
  static const char* const kinds[] = {"add", "remove", "deliver", "sync_state"};
  out << kinds[static_cast<int>(step.kind)] << "(r" << int(step.replica) << ", e"
      << int(step.element) << ", #" << int(step.pick) << ")";
}

rc::Gen<OrSetStep> or_set_step() {
  return rc::gen::apply(
      [](OrSetStep::Kind kind, std::uint8_t replica, std::uint8_t element, std::uint8_t pick) {
        return OrSetStep{kind, replica, element, pick};
      },
      rc::gen::weightedElement<OrSetStep::Kind>({{4, OrSetStep::Kind::add},
                                                 {3, OrSetStep::Kind::remove},
                                                 {4, OrSetStep::Kind::deliver},
                                                 {1, OrSetStep::Kind::sync_state}}),
      rc::gen::inRange<std::uint8_t>(0, 5), rc::gen::inRange<std::uint8_t>(0, 4),
      rc::gen::inRange<std::uint8_t>(0, 16));
}

// Runs a random history; returns every snapshot, every delta and the final
// replica states.
std::vector<Set> states_of_a_random_history() {
  const auto replica_count = *rc::gen::inRange<std::size_t>(3, 6);
  const auto steps = *rc::gen::resize(
      100, rc::gen::scale(0.48, rc::gen::container<std::vector<OrSetStep>>(or_set_step())));
  std::vector<Set> replicas(replica_count);
  std::vector<std::vector<std::size_t>> pending(replica_count);
  std::vector<Set> deltas;
  std::vector<Set> pool;
  for (const OrSetStep& step : steps) {
    const std::size_t r = step.replica % replica_count;
    const std::string element = "e" + std::to_string(step.element);
    switch (step.kind) {
      case OrSetStep::Kind::add:
      case OrSetStep::Kind::remove: {
        Set delta = step.kind == OrSetStep::Kind::add ? replicas[r].add(ReplicaId{r + 1}, element)
                                                      : replicas[r].remove(element);
        for (std::size_t other = 0; other < replica_count; ++other) {
          if (other != r) pending[other].push_back(deltas.size());
        }
        deltas.push_back(std::move(delta));
        break;
      }
      case OrSetStep::Kind::deliver: {
        if (pending[r].empty()) continue;
        const std::size_t at = step.pick % pending[r].size();
        replicas[r].join(deltas[pending[r][at]]);
        pending[r].erase(pending[r].begin() + static_cast<std::ptrdiff_t>(at));
        break;
      }
      case OrSetStep::Kind::sync_state: {
        const std::size_t sender = step.pick % replica_count;
        if (sender != r) replicas[r].join(replicas[sender]);
        break;
      }
    }
    pool.push_back(replicas[r]);
  }
  pool.insert(pool.end(), deltas.begin(), deltas.end());
  pool.insert(pool.end(), replicas.begin(), replicas.end());
  return pool;
}

const Set& pick_set(const std::vector<Set>& pool, const char* name) {
  const auto index = *rc::gen::inRange<std::size_t>(0, pool.size());
  RC_LOG() << name << " = state #" << index << ": " << describe(pool[index]) << "\n";
  return pool[index];
}

RC_GTEST_PROP(OrSetJoinLaw, IsIdempotent, ()) {
  const auto pool = states_of_a_random_history();
  const Set& a = pick_set(pool, "a");
  assert_same_set(joined(a, a), a, "a ⊔ a == a");
}

RC_GTEST_PROP(OrSetJoinLaw, IsCommutative, ()) {
  const auto pool = states_of_a_random_history();
  const Set& a = pick_set(pool, "a");
  const Set& b = pick_set(pool, "b");
  assert_same_set(joined(a, b), joined(b, a), "a ⊔ b == b ⊔ a");
}

RC_GTEST_PROP(OrSetJoinLaw, IsAssociative, ()) {
  const auto pool = states_of_a_random_history();
  const Set& a = pick_set(pool, "a");
  const Set& b = pick_set(pool, "b");
  const Set& c = pick_set(pool, "c");
  assert_same_set(joined(joined(a, b), c), joined(a, joined(b, c)), "(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)");
}

RC_GTEST_PROP(OrSetJoinLaw, HasTheEmptySetAsIdentity, ()) {
  const auto pool = states_of_a_random_history();
  const Set& a = pick_set(pool, "a");
  assert_same_set(joined(a, Set{}), a, "a ⊔ ⊥ == a");
  assert_same_set(joined(Set{}, a), a, "⊥ ⊔ a == a");
}

}  // namespace
}  // namespace trellis::crdt
