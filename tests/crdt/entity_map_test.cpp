// EntityMap: GraphDoc's open-addressing id -> EntityState map. Unit tests of
// its contract (references stay put across inserts, erase while iterating
// visits every element once, copies and equality) and a model test: random
// inserts, lookups and erases (by id and while iterating) against std::map,
// over ids drawn from a small set so that probe clusters form, grow past
// several rehashes and are cut by erases.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "trellis/crdt/entity_map.hpp"

namespace trellis::crdt {
namespace {

// A state that says which id it was stored under (its only dot's seq).
EntityState state_for(std::uint64_t marker) {
  EntityState state;
  state.dots.push_back(Dot{ReplicaId{1}, marker});
  return state;
}

std::uint64_t marker_of(const EntityState& state) {
  return state.dots.at(0).seq;
}

TEST(EntityMap, FindsWhatWasInsertedAndNothingElse) {
  EntityMap map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.find("n1"), map.end());
  EXPECT_EQ(map.count("n1"), 0u);
  for (std::uint64_t i = 1; i <= 100; ++i) {
    auto [it, inserted] = map.emplace("n" + std::to_string(i), state_for(i));
    EXPECT_TRUE(inserted);
    EXPECT_EQ(it->first, "n" + std::to_string(i));
  }
  EXPECT_EQ(map.size(), 100u);
  for (std::uint64_t i = 1; i <= 100; ++i)
    EXPECT_EQ(marker_of(map.at("n" + std::to_string(i))), i);
  EXPECT_EQ(map.find("n0"), map.end());
  EXPECT_EQ(map.find("n101"), map.end());
  EXPECT_THROW(map.at("n0"), std::out_of_range);
}

TEST(EntityMap, EmplaceOfAPresentIdKeepsTheStateThere) {
  EntityMap map;
  map.emplace("a", state_for(1));
  auto [it, inserted] = map.emplace("a", state_for(2));
  EXPECT_FALSE(inserted);
  EXPECT_EQ(marker_of(it->second), 1u);
  EXPECT_EQ(map.size(), 1u);
  map["b"].dots.push_back(Dot{ReplicaId{1}, 3});
  EXPECT_EQ(marker_of(map.at("b")), 3u);
  EXPECT_EQ(map.size(), 2u);
}

TEST(EntityMap, ReferencesToIdsAndStatesSurviveGrowth) {
  EntityMap map;
  const std::string& id = map.try_emplace("first").first->first;
  EntityState& state = map["first"];
  state.dots.push_back(Dot{ReplicaId{1}, 7});
  for (int i = 0; i < 1000; ++i)
    map["n" + std::to_string(i)];
  EXPECT_EQ(&map.find("first")->first, &id);
  EXPECT_EQ(&map.at("first"), &state);
  EXPECT_EQ(marker_of(state), 7u);
}

TEST(EntityMap, ErasingWhileIteratingVisitsEveryElementOnce) {
  EntityMap map;
  for (std::uint64_t i = 0; i < 200; ++i)
    map.emplace("n" + std::to_string(i), state_for(i));
  std::multiset<std::uint64_t> visited;
  for (auto it = map.begin(); it != map.end();) {
    visited.insert(marker_of(it->second));
    if (marker_of(it->second) % 3 == 0) {
      it = map.erase(it);
    } else {
      ++it;
    }
  }
  ASSERT_EQ(visited.size(), 200u);
  for (std::uint64_t i = 0; i < 200; ++i)
    EXPECT_EQ(visited.count(i), 1u) << i;
  EXPECT_EQ(map.size(), 200u - 67u);
  for (std::uint64_t i = 0; i < 200; ++i)
    EXPECT_EQ(map.count("n" + std::to_string(i)), i % 3 == 0 ? 0u : 1u) << i;
}

TEST(EntityMap, CopiesAreDeepAndEqualityIgnoresOrder) {
  EntityMap a;
  EntityMap b;
  for (std::uint64_t i = 0; i < 50; ++i) {
    a.emplace("n" + std::to_string(i), state_for(i));
    b.emplace("n" + std::to_string(49 - i), state_for(49 - i));
  }
  EXPECT_EQ(a, b);
  EntityMap copy = a;
  EXPECT_EQ(copy, a);
  copy["n3"].dots.push_back(Dot{ReplicaId{2}, 1});
  EXPECT_NE(copy, a);
  EXPECT_EQ(a.at("n3").dots.size(), 1u);
  copy = b;
  EXPECT_EQ(copy, a);
  b.erase("n0");
  EXPECT_NE(a, b);
  EntityMap moved = std::move(b);
  EXPECT_EQ(moved.size(), 49u);
  moved.clear();
  EXPECT_TRUE(moved.empty());
  EXPECT_EQ(moved.find("n1"), moved.end());
  moved["n1"];
  EXPECT_EQ(moved.size(), 1u);
}

TEST(EntityMap, ReserveKeepsEveryElement) {
  EntityMap map;
  for (std::uint64_t i = 0; i < 10; ++i)
    map.emplace("n" + std::to_string(i), state_for(i));
  map.reserve(5000);
  for (std::uint64_t i = 0; i < 10; ++i)
    EXPECT_EQ(marker_of(map.at("n" + std::to_string(i))), i);
}

// One step of the model test.
struct MapOp {
  enum Kind { insert, erase_id, erase_where, copy } kind;
  int id;  // the id "e<id>"; erase_where: erase every id divisible by it
};

void showValue(const MapOp& op, std::ostream& out) {
  static const char* const names[] = {"insert", "erase", "erase_where", "copy"};
  out << names[op.kind] << " " << op.id;
}

}  // namespace
}  // namespace trellis::crdt

namespace rc {
template <>
struct Arbitrary<trellis::crdt::MapOp> {
  static Gen<trellis::crdt::MapOp> arbitrary() {
    using trellis::crdt::MapOp;
    return gen::apply(
        [](int kind, int id) {
          return MapOp{static_cast<MapOp::Kind>(kind), id};
        },
        gen::weightedElement<int>(
            {{8, MapOp::insert}, {4, MapOp::erase_id}, {1, MapOp::erase_where}, {1, MapOp::copy}}),
        gen::inRange(1, 300));
  }
};
}  // namespace rc

namespace trellis::crdt {
namespace {

RC_GTEST_PROP(EntityMapModel, BehavesAsAnOrderedMapOfTheSameIds, (const std::vector<MapOp>& ops)) {
  EntityMap map;
  std::map<std::string, std::uint64_t> model;
  for (const MapOp& op : ops) {
    const std::string id = "e" + std::to_string(op.id);
    switch (op.kind) {
      case MapOp::insert: {
        const bool inserted = map.emplace(id, state_for(op.id)).second;
        RC_ASSERT(inserted == model.emplace(id, op.id).second);
        break;
      }
      case MapOp::erase_id:
        RC_ASSERT(map.erase(id) == model.erase(id));
        break;
      case MapOp::erase_where: {
        std::size_t visits = 0;
        const std::size_t before = map.size();
        for (auto it = map.begin(); it != map.end();) {
          ++visits;
          if (marker_of(it->second) % op.id == 0) {
            it = map.erase(it);
          } else {
            ++it;
          }
        }
        RC_ASSERT(visits == before);
        std::erase_if(model, [&](const auto& entry) { return entry.second % op.id == 0; });
        break;
      }
      case MapOp::copy:
        map = EntityMap(map);
        break;
    }
    RC_ASSERT(map.size() == model.size());
  }
  for (const auto& [id, marker] : model) {
    const auto it = map.find(id);
    RC_ASSERT(it != map.end());
    RC_ASSERT(it->first == id);
    RC_ASSERT(marker_of(it->second) == marker);
  }
  for (int i = 1; i <= 300; ++i) {
    const std::string id = "e" + std::to_string(i);
    RC_ASSERT(map.count(id) == model.count(id));
  }
  std::map<std::string, std::uint64_t> iterated;
  for (const auto& [id, state] : map)
    iterated.emplace(id, marker_of(state));
  RC_ASSERT(iterated == model);
}

}  // namespace
}  // namespace trellis::crdt
