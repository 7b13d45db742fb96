// DeltaLog keeps each delta with the dots it covers, as runs, in one block,
// and bounds the memory its entries hold: these tests pin what an entry
// gives back, which entries a peer is served, and the bound.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "trellis/sync/delta_log.hpp"

namespace trellis::sync {
namespace {

using crdt::CausalContext;
using crdt::Dot;
using crdt::ReplicaId;

constexpr ReplicaId kLogAlice{1};
constexpr ReplicaId kLogBob{2};

CausalContext context_of(std::vector<Dot> dots) {
  CausalContext context;
  for (const Dot& dot : dots)
    context.insert(dot);
  return context;
}

std::vector<std::uint8_t> bytes_of(std::size_t size, std::uint8_t fill) {
  return std::vector<std::uint8_t>(size, fill);
}

TEST(DeltaLogEntry, GivesBackItsDeltaAndEveryDotItCovers) {
  // A version-vector entry, two runs and a lone dot of the cloud.
  const CausalContext covers = context_of({{kLogAlice, 1},
                                           {kLogAlice, 2},
                                           {kLogAlice, 3},
                                           {kLogBob, 4},
                                           {kLogBob, 5},
                                           {kLogBob, 9},
                                           {kLogBob, 10},
                                           {kLogBob, 12}});
  const auto delta = bytes_of(13, 0xab);  // not a whole number of words
  const DeltaLog::Entry entry(covers, delta);
  EXPECT_EQ(entry.covers(), covers);
  EXPECT_EQ(std::vector<std::uint8_t>(entry.delta().begin(), entry.delta().end()), delta);
}

TEST(DeltaLogEntry, AnEmptyDeltaAndAnEmptyContextAreKeptAsSuch) {
  const DeltaLog::Entry entry(CausalContext{}, {});
  EXPECT_TRUE(entry.covers().empty());
  EXPECT_TRUE(entry.delta().empty());
  EXPECT_TRUE(entry.seen_by(CausalContext{}));
}

TEST(DeltaLogEntry, IsSeenOnlyByAContextHoldingEveryDotOfIt) {
  const DeltaLog::Entry entry(context_of({{kLogBob, 4}, {kLogBob, 5}, {kLogAlice, 7}}),
                              bytes_of(4, 1));
  EXPECT_TRUE(entry.seen_by(context_of({{kLogBob, 4}, {kLogBob, 5}, {kLogAlice, 7}})));
  // The version vector covers Bob's run, the cloud Alice's dot.
  CausalContext known;
  known.insert_up_to(kLogBob, 6);
  known.insert(Dot{kLogAlice, 7});
  EXPECT_TRUE(entry.seen_by(known));
  // One dot of the run missing, in the vector's part or the cloud's.
  EXPECT_FALSE(entry.seen_by(context_of({{kLogBob, 4}, {kLogAlice, 7}})));
  EXPECT_FALSE(entry.seen_by(context_of({{kLogBob, 5}, {kLogAlice, 7}})));
  CausalContext short_vector;
  short_vector.insert_up_to(kLogBob, 4);
  short_vector.insert(Dot{kLogAlice, 7});
  EXPECT_FALSE(entry.seen_by(short_vector));
  EXPECT_FALSE(entry.seen_by(context_of({{kLogBob, 4}, {kLogBob, 5}})));
}

TEST(DeltaLog, ServesAPeerExactlyTheEntriesItHasNotSeen) {
  DeltaLog log;
  for (std::uint64_t seq = 1; seq <= 5; ++seq)
    log.append(context_of({{kLogAlice, seq}}), bytes_of(8, static_cast<std::uint8_t>(seq)));
  CausalContext known;
  known.insert_up_to(kLogAlice, 2);
  known.insert(Dot{kLogAlice, 4});
  const auto missing = log.missing_for(known);
  ASSERT_TRUE(missing.has_value());
  ASSERT_EQ(missing->size(), 2u);
  EXPECT_EQ((*missing)[0]->delta()[0], 3);
  EXPECT_EQ((*missing)[1]->delta()[0], 5);
}

TEST(DeltaLog, CountsTheMemoryOfItsEntriesAndEvictsPastItsBound) {
  constexpr std::size_t kBound = 4096;
  DeltaLog log(kBound);
  constexpr std::uint64_t kEdits = 200;
  for (std::uint64_t seq = 1; seq <= kEdits; ++seq)
    log.append(context_of({{kLogAlice, seq}}), bytes_of(40, 7));
  const DeltaLog::Entry sample(context_of({{kLogAlice, 1}}), bytes_of(40, 7));
  // An edit's entry holds more than its 40 bytes of encoding: the bound is
  // on that, so the log keeps as many as fit, and no more.
  EXPECT_GT(sample.footprint(), 40u + 24u);
  EXPECT_EQ(log.size(), kBound / sample.footprint());
  EXPECT_EQ(log.bytes(), log.size() * sample.footprint());
  // The evicted edits are the horizon; the kept ones are the latest.
  const std::uint64_t evicted = kEdits - log.size();
  CausalContext expected_horizon;
  expected_horizon.insert_up_to(kLogAlice, evicted);
  EXPECT_EQ(log.horizon(), expected_horizon);
  EXPECT_FALSE(log.missing_for(CausalContext{}).has_value());
  const auto missing = log.missing_for(expected_horizon);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->size(), log.size());
}

TEST(DeltaLog, ADeltaPastTheBoundGoesStraightToTheHorizon) {
  DeltaLog log(256);
  log.append(context_of({{kLogAlice, 1}}), bytes_of(8, 1));
  ASSERT_EQ(log.size(), 1u);
  log.append(context_of({{kLogAlice, 2}}), bytes_of(300, 2));
  EXPECT_EQ(log.size(), 0u);
  EXPECT_EQ(log.bytes(), 0u);
  CausalContext both;
  both.insert_up_to(kLogAlice, 2);
  EXPECT_EQ(log.horizon(), both);
  const auto missing = log.missing_for(both);
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(missing->empty());
}

TEST(ContextIncludes, AgreesWithTheDotsOfBothContexts) {
  CausalContext outer;
  outer.insert_up_to(kLogAlice, 3);
  outer.insert(Dot{kLogAlice, 5});
  outer.insert(Dot{kLogBob, 2});
  EXPECT_TRUE(context_includes(outer, context_of({{kLogAlice, 2}, {kLogAlice, 5}, {kLogBob, 2}})));
  EXPECT_TRUE(context_includes(outer, CausalContext{}));
  EXPECT_FALSE(context_includes(outer, context_of({{kLogAlice, 4}})));
  EXPECT_FALSE(context_includes(outer, context_of({{kLogBob, 1}})));
  CausalContext longer;
  longer.insert_up_to(kLogAlice, 4);
  EXPECT_FALSE(context_includes(outer, longer));
}

}  // namespace
}  // namespace trellis::sync
