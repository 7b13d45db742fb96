#pragma once
// Shared by the unit tests in tests/crdt: printers, so that a failing
// assertion shows dots, stamps and the graph each replica renders rather than
// raw bytes; unwrapping a mutator's result; checking a failed mutator.

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/dot.hpp"
#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/crdt/replica_id.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/crdt/stamp.hpp"
#include "trellis/crdt/version_vector.hpp"

namespace trellis::crdt {

// The replicas of the unit tests.
inline constexpr ReplicaId kAlice{1};
inline constexpr ReplicaId kBob{2};
inline constexpr ReplicaId kCarol{3};

// Printers, found by GoogleTest through argument-dependent lookup.
inline void PrintTo(ErrorCode code, std::ostream* out) {
  *out << to_string(code);
}
inline void PrintTo(ReplicaId replica, std::ostream* out) {
  *out << "r" << replica.value;
}
inline void PrintTo(Dot dot, std::ostream* out) {
  *out << "(r" << dot.replica.value << ", " << dot.seq << ")";
}
inline void PrintTo(const Stamp& stamp, std::ostream* out) {
  *out << "Stamp{" << stamp.counter << ", r" << stamp.replica.value << ", seq " << stamp.seq << "}";
}
inline void PrintTo(const FieldKey& key, std::ostream* out) {
  *out << to_string(key);
}
inline void PrintTo(const VersionVector& vector, std::ostream* out) {
  *out << "[";
  for (const auto& [replica, seq] : vector.entries())
    *out << " r" << replica.value << ":" << seq;
  *out << " ]";
}
inline void PrintTo(const CausalContext& context, std::ostream* out) {
  PrintTo(context.version_vector(), out);
  *out << " cloud {";
  for (const Dot& dot : context.cloud()) {
    *out << " ";
    PrintTo(dot, out);
  }
  *out << " }";
}

inline void PrintTo(const GraphDoc& doc, std::ostream* out) {
  *out << "GraphDoc{replica " << doc.replica().value << ", dots " << doc.context().dot_count()
       << ", nodes known " << doc.nodes().size() << ", edges known " << doc.edges().size()
       << ", view " << graph_view(doc).dump() << "}";
}

// A causal context holding exactly `dots`.
inline CausalContext make_context(const std::vector<Dot>& dots) {
  CausalContext context;
  for (Dot dot : dots)
    context.insert(dot);
  return context;
}

// An edge as a mutator takes it.
inline Json edge(const std::string& id, const std::string& source, const std::string& target) {
  return {{"id", id}, {"source", source}, {"target", target}};
}

namespace testing {

// The delta of a mutation the test expects to succeed. A failure is reported
// with the library's message and yields an empty delta, so the test goes on
// and fails on its own assertions.
inline GraphDoc applied(Result<GraphDoc> result) {
  if (!result.ok()) {
    ADD_FAILURE() << "mutation failed: " << to_string(result.error().code) << ": "
                  << result.error().message;
    return GraphDoc{};
  }
  return std::move(result).value();
}

// Success when `result` is an error with `code`.
inline ::testing::AssertionResult fails_with(const Result<GraphDoc>& result, ErrorCode code) {
  if (result.ok()) {
    return ::testing::AssertionFailure() << "expected " << to_string(code) << ", got a delta";
  }
  if (result.error().code != code) {
    return ::testing::AssertionFailure()
           << "expected " << to_string(code) << ", got " << to_string(result.error().code) << ": "
           << result.error().message;
  }
  return ::testing::AssertionSuccess();
}

// A failed mutator changes nothing: neither the CRDT state nor the clock.
inline void expect_unchanged(const GraphDoc& doc, const GraphDoc& before) {
  EXPECT_EQ(doc, before);
  EXPECT_EQ(doc.clock().counter(), before.clock().counter());
}

}  // namespace testing
}  // namespace trellis::crdt
