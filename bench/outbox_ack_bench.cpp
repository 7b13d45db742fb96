// trellis_outbox_bench: what a native client spends on acknowledgements
// when many of its edits are in flight (a flood, or an outbox of offline
// edits resent on reconnect). N edits wait in a ClientSession's outbox; the
// server's acks arrive one per edit, in order, in two shapes:
//   cumulative  each durable up to its edit (one more dot each time). The
//               reference is the first code of the ack branch: std::erase_if
//               over a std::vector per ack, which moves every later entry.
//   one dot     each holding its edit's dot only, as trellisd sends them
//               (past the first, a dot cloud). The reference is the code of
//               2026-11-28 morning: the covered prefix skipped, then a pass
//               over every later entry whenever the ack holds a cloud.
// References run on the same outbox in the same process, alternated
// (docs/performance.md, "Native client acks").
//
//   trellis_outbox_bench [--reps R]      one JSON line per N, medians over R

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/sync/client_session.hpp"
#include "trellis/sync/delta_log.hpp"
#include "trellis/sync/message_codec.hpp"

namespace {

using trellis::crdt::Dot;
using trellis::crdt::GraphDoc;
using trellis::crdt::Json;
using trellis::crdt::ReplicaId;
using trellis::sync::Ack;
using trellis::sync::CausalContext;
using trellis::sync::ClientSession;
using trellis::sync::OutboxEntry;
using Clock = std::chrono::steady_clock;

constexpr ReplicaId kClient{7};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "trellis_outbox_bench: %s\n", what.c_str());
  std::exit(1);
}

// An online session with `edits` width writes of one node in its outbox.
ClientSession session_with_edits_in_flight(std::size_t edits) {
  ClientSession session(trellis::sync::ClientConfig{"ws-bench", "bench"}, GraphDoc(kClient));
  (void)session.on_connected();
  const auto welcome = session.on_message(
      trellis::sync::Welcome{ReplicaId{1},
                             trellis::sync::UserIdentity{"user_1", "bench", "#000000"},
                             trellis::crdt::encode(GraphDoc{}),
                             {}});
  if (session.state() != trellis::sync::ConnectionState::online) fail("no welcome");
  const Json node = {{"id", "n"}, {"type", "box"}, {"position", {{"x", 0}, {"y", 0}}}};
  if (!session.edit([&](GraphDoc& doc) { return doc.add_node(node); }).ok()) fail("add_node");
  for (std::size_t i = 1; i < edits; ++i) {
    const Json patch = {{"width", static_cast<double>(i)}};
    if (!session.edit([&](GraphDoc& doc) { return doc.update_node_fields("n", patch); }).ok()) {
      fail("update_node_fields");
    }
  }
  if (session.outbox().size() != edits) fail("outbox size");
  return session;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The session's ack path: one Ack per edit, each durable up to that edit.
double acks_through_session(std::size_t edits) {
  ClientSession session = session_with_edits_in_flight(edits);
  CausalContext durable;
  const auto start = Clock::now();
  for (std::uint64_t seq = 1; seq <= edits; ++seq) {
    durable.insert(Dot{kClient, seq});
    (void)session.on_message(Ack{durable});
  }
  const double took = ms_since(start);
  if (!session.outbox().empty()) fail("outbox not emptied");
  return took;
}

// The previous ack path on the same outbox: erase_if over the vector.
double acks_through_vector_erase(std::size_t edits) {
  const ClientSession session = session_with_edits_in_flight(edits);
  std::vector<OutboxEntry> outbox(session.outbox().begin(), session.outbox().end());
  CausalContext durable;
  const auto start = Clock::now();
  for (std::uint64_t seq = 1; seq <= edits; ++seq) {
    durable.insert(Dot{kClient, seq});
    const Ack ack{durable};
    std::erase_if(outbox, [&](const OutboxEntry& entry) {
      return trellis::sync::context_includes(ack.durable, entry.covers);
    });
  }
  const double took = ms_since(start);
  if (!outbox.empty()) fail("reference outbox not emptied");
  return took;
}

// One ack per edit holding that edit's dot only, as trellisd sends them.
double one_dot_acks_through_session(std::size_t edits) {
  ClientSession session = session_with_edits_in_flight(edits);
  const auto start = Clock::now();
  for (std::uint64_t seq = 1; seq <= edits; ++seq) {
    CausalContext durable;
    durable.insert(Dot{kClient, seq});
    (void)session.on_message(Ack{durable});
  }
  const double took = ms_since(start);
  if (!session.outbox().empty()) fail("outbox not emptied by one-dot acks");
  return took;
}

// The same acks through the ack path of 2026-11-28 morning, on a copy of
// the outbox: the prefix skip, then a pass over the rest for every cloud.
double one_dot_acks_through_full_scan(std::size_t edits) {
  const ClientSession session = session_with_edits_in_flight(edits);
  std::vector<OutboxEntry> outbox(session.outbox().begin(), session.outbox().end());
  std::size_t head = 0;
  const auto start = Clock::now();
  for (std::uint64_t seq = 1; seq <= edits; ++seq) {
    CausalContext durable;
    durable.insert(Dot{kClient, seq});
    auto covered = [&](const OutboxEntry& entry) {
      return trellis::sync::context_includes(durable, entry.covers);
    };
    while (head < outbox.size() && covered(outbox[head])) {
      outbox[head] = OutboxEntry{};
      ++head;
    }
    if (!durable.cloud().empty()) {
      const auto rest = outbox.begin() + static_cast<std::ptrdiff_t>(head);
      outbox.erase(std::remove_if(rest, outbox.end(), covered), outbox.end());
    }
    if (head > 0 && head * 2 >= outbox.size()) {
      outbox.erase(outbox.begin(), outbox.begin() + static_cast<std::ptrdiff_t>(head));
      head = 0;
    }
  }
  const double took = ms_since(start);
  if (outbox.size() != head) fail("reference outbox not emptied by one-dot acks");
  return took;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else {
      fail(std::string("unknown argument ") + argv[i] + " (usage: [--reps R])");
    }
  }
  if (reps < 1) fail("--reps must be at least 1");
  for (std::size_t edits : {1000u, 4000u, 16000u}) {
    std::vector<double> session_ms;
    std::vector<double> reference_ms;
    std::vector<double> one_dot_ms;
    std::vector<double> full_scan_ms;
    // Alternated, so that load on the machine falls on all alike.
    for (int rep = 0; rep < reps; ++rep) {
      session_ms.push_back(acks_through_session(edits));
      reference_ms.push_back(acks_through_vector_erase(edits));
      one_dot_ms.push_back(one_dot_acks_through_session(edits));
      full_scan_ms.push_back(one_dot_acks_through_full_scan(edits));
    }
    const double ours = median(session_ms);
    const double reference = median(reference_ms);
    const double ours_one_dot = median(one_dot_ms);
    const double full_scan = median(full_scan_ms);
    const double per_ack = 1e6 / static_cast<double>(edits);
    std::printf(
        "{\"edits_in_flight\": %zu, \"reps\": %d, \"session_ms\": %.3f, "
        "\"session_ns_per_ack\": %.1f, \"vector_erase_ms\": %.3f, "
        "\"vector_erase_ns_per_ack\": %.1f, \"ratio\": %.4f, "
        "\"one_dot_session_ms\": %.3f, \"one_dot_session_ns_per_ack\": %.1f, "
        "\"one_dot_full_scan_ms\": %.3f, \"one_dot_full_scan_ns_per_ack\": %.1f, "
        "\"one_dot_ratio\": %.4f}\n",
        edits, reps, ours, ours * per_ack, reference, reference * per_ack, ours / reference,
        ours_one_dot, ours_one_dot * per_ack, full_scan, full_scan * per_ack,
        ours_one_dot / full_scan);
  }
  return 0;
}
