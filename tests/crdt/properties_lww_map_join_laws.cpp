// LwwMap<K, V> on its own is a join-semilattice: join is idempotent,
// commutative and associative, with the empty map as identity. Any LwwMap is
// a valid state, so the maps are built from arbitrary writes and removals
// whose stamps come from a tiny range: stamps collide often, including the
// forged case of one stamp with two different values, which the register's
// tie-break must decide the same way on both sides. Maps of up to 8 keys take
// both join paths (entry-wise merge for small deltas, a linear merge of the
// sorted entries otherwise), by copy and by move.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "trellis/crdt/lww_map.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {
namespace {

using Map = LwwMap<std::string, int>;

struct MapWrite {
  std::string key;
  std::optional<int> value;  // nullopt: a removal (tombstone)
  Stamp stamp;
};

void showValue(const MapWrite& write, std::ostream& out) {
  out << write.key << " = " << (write.value ? std::to_string(*write.value) : "<removed>") << " @("
      << write.stamp.counter << ", r" << write.stamp.replica.value << ", " << write.stamp.seq
      << ")";
}

std::string describe(const Map& map) {
  std::string out = "{";
  for (const auto& entry : map.entries()) {
    out += " " + entry.key + "=" +
           (entry.reg.value ? std::to_string(*entry.reg.value) : std::string("<tombstone>")) +
           "@(" + std::to_string(entry.reg.stamp.counter) + "," +
           std::to_string(entry.reg.stamp.replica.value) + "," +
           std::to_string(entry.reg.stamp.seq) + ")";
  }
  return out + " }";
}

rc::Gen<MapWrite> map_write() {
  return rc::gen::apply(
      [](std::string key, bool removal, int value, std::uint64_t counter, std::uint64_t replica,
         std::uint64_t seq) {
        return MapWrite{std::move(key), removal ? std::nullopt : std::optional<int>(value),
                        Stamp{counter, ReplicaId{replica}, seq}};
      },
      rc::gen::element<std::string>("a", "b", "c", "d", "e", "f", "g", "h"),
      rc::gen::weightedElement<bool>({{3, false}, {1, true}}), rc::gen::inRange(0, 3),
      rc::gen::inRange<std::uint64_t>(1, 5), rc::gen::inRange<std::uint64_t>(1, 4),
      rc::gen::inRange<std::uint64_t>(1, 3));
}

Map random_map(const char* name) {
  const auto writes = *rc::gen::resize(
      100, rc::gen::scale(0.16, rc::gen::container<std::vector<MapWrite>>(map_write())));
  Map map;
  for (const MapWrite& write : writes) {
    if (write.value) {
      map.set(write.key, *write.value, write.stamp);
    } else {
      map.remove(write.key, write.stamp);
    }
  }
  RC_LOG() << name << " = " << describe(map) << "\n";
  return map;
}

void assert_same_map(const Map& left, const Map& right, const std::string& what) {
  if (!(left == right)) {
    RC_FAIL(what + ": maps differ\n  left:  " + describe(left) + "\n  right: " + describe(right));
  }
}

Map joined(const Map& left, const Map& right) {
  Map out = left;
  out.join(right);
  return out;
}

Map joined_by_move(const Map& left, Map right) {
  Map out = left;
  out.join(std::move(right));
  return out;
}

RC_GTEST_PROP(LwwMapJoinLaw, IsIdempotent, ()) {
  const Map a = random_map("a");
  assert_same_map(joined(a, a), a, "a ⊔ a == a");
}

RC_GTEST_PROP(LwwMapJoinLaw, IsCommutative, ()) {
  const Map a = random_map("a");
  const Map b = random_map("b");
  assert_same_map(joined(a, b), joined(b, a), "a ⊔ b == b ⊔ a");
}

RC_GTEST_PROP(LwwMapJoinLaw, JoiningByMoveEqualsJoiningByCopy, ()) {
  const Map a = random_map("a");
  const Map b = random_map("b");
  assert_same_map(joined_by_move(a, b), joined(a, b), "a ⊔ b by move vs by copy");
}

RC_GTEST_PROP(LwwMapJoinLaw, IsAssociative, ()) {
  const Map a = random_map("a");
  const Map b = random_map("b");
  const Map c = random_map("c");
  assert_same_map(joined(joined(a, b), c), joined(a, joined(b, c)), "(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)");
}

RC_GTEST_PROP(LwwMapJoinLaw, HasTheEmptyMapAsIdentity, ()) {
  const Map a = random_map("a");
  assert_same_map(joined(a, Map{}), a, "a ⊔ ⊥ == a");
  assert_same_map(joined(Map{}, a), a, "⊥ ⊔ a == a");
}

// Merging entries one at a time (what decoders and anti-entropy do) is the
// same as joining the whole map.
RC_GTEST_PROP(LwwMapJoinLaw, MergingEntryByEntryEqualsJoin, ()) {
  const Map a = random_map("a");
  const Map b = random_map("b");
  Map merged = a;
  for (const auto& entry : b.entries())
    merged.merge(entry.key, entry.reg);
  assert_same_map(merged, joined(a, b), "a merged with each entry of b == a ⊔ b");
}

}  // namespace
}  // namespace trellis::crdt
