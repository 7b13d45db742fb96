// The sync protocol's headline property, over a simulated network
// (support/sync_network.hpp): a server and 2 to 6 clients make random edits
// on a small id pool (concurrent adds of one id, edits of removed nodes,
// re-adds) while connections are dropped with frames in flight (message
// loss, repaired by the outbox), dropped half-open (frames duplicated and
// reordered across connections), clients are partitioned and healed,
// restart from their disk, and storage makes writes durable late and out of
// order. Once everything is healed and the network is quiet, every client
// holds exactly the server's state and renders its view, no view has a
// dangling edge, and no edit that reached a client's disk or was
// acknowledged is missing from the server.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crdt/support/graph_operations.hpp"
#include "crdt/support/state_comparison.hpp"
#include "crdt/support/view_invariants.hpp"
#include "sync/support/sync_network.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/sync/delta_log.hpp"

namespace trellis::sync::testkit {
namespace {

using crdt::testkit::GraphOp;

inline constexpr std::size_t kMinClients = 2;
inline constexpr std::size_t kMaxClients = 6;
// Up to 160 steps a scenario keeps 200 cases within seconds, ASan too.
inline constexpr std::size_t kMaxSteps = 160;

struct NetworkStep {
  enum class Kind : std::uint8_t {
    edit,
    deliver_to_server,
    deliver_to_client,
    complete_write,
    drop,            // both queues lost
    drop_half_open,  // the server still reads what the client sent
    connect,
    reconnect_twice,  // handshake, drop half-open with the resends in flight, connect again
    partition,        // cut off the clients of the `pick` bit mask
    heal,
    restart,  // from the disk; `pick` odd: the old connection stays half-open
    flush,    // the client saves its disk
    presence,
  };

  Kind kind = Kind::edit;
  std::uint8_t client = 0;  // modulo the client count
  std::uint16_t pick = 0;   // which frame, write or clients, modulo the candidates
  GraphOp op;
};

// Clients are named by their replica id, r1 to r<client count>.
void describe(std::ostream& out, const NetworkStep& step, std::size_t client_count) {
  using Kind = NetworkStep::Kind;
  const std::string client = "r" + std::to_string(step.client % client_count + 1);
  const int pick = step.pick;
  switch (step.kind) {
    case Kind::edit:
      out << client << " edits " << step.op;
      return;
    case Kind::deliver_to_server:
      out << "deliver to server, connection #" << pick;
      return;
    case Kind::deliver_to_client:
      out << "deliver to client, connection #" << pick;
      return;
    case Kind::complete_write:
      out << "storage completes write #" << pick;
      return;
    case Kind::drop:
      out << "drop " << client;
      return;
    case Kind::drop_half_open:
      out << "drop " << client << " half-open";
      return;
    case Kind::connect:
      out << "connect " << client;
      return;
    case Kind::reconnect_twice:
      out << client << " reconnects twice";
      return;
    case Kind::partition:
      out << "partition clients of mask " << pick;
      return;
    case Kind::heal:
      out << "heal";
      return;
    case Kind::restart:
      out << "restart " << client << (pick % 2 ? " (half-open)" : "");
      return;
    case Kind::flush:
      out << client << " saves its disk";
      return;
    case Kind::presence:
      out << client << " sends presence";
      return;
  }
}

struct Scenario {
  std::size_t client_count = kMinClients;
  // true: the server and every client start from one document holding
  // every node of the id pool and two edges; false: from nothing.
  bool shared_start = false;
  // false: clients save only before sending and at flush steps, and a
  // restart loses what happened since.
  bool save_after_every_step = true;
  // The server's DeltaLog budget: small ones evict, and clients that were
  // away past the horizon catch up through GraphDoc::delta_since.
  std::size_t log_bytes = DeltaLog::kDefaultMaxBytes;
  std::vector<NetworkStep> steps;
};

void showValue(const Scenario& scenario, std::ostream& out) {
  out << scenario.client_count << " clients, "
      << (scenario.shared_start ? "a shared document" : "an empty document") << ", "
      << (scenario.save_after_every_step ? "disk saved after every step"
                                         : "disk saved before sending and at flushes")
      << ", delta log of " << scenario.log_bytes << " bytes, " << scenario.steps.size()
      << " steps:";
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    out << "\n  " << i << ": ";
    describe(out, scenario.steps[i], scenario.client_count);
  }
}

namespace gen {

rc::Gen<NetworkStep> network_step() {
  using Kind = NetworkStep::Kind;
  auto client = rc::gen::inRange<std::uint8_t>(0, kMaxClients);
  auto pick = rc::gen::inRange<std::uint16_t>(0, 64);
  auto step = [=](Kind kind) {
    return rc::gen::apply(
        [kind](std::uint8_t c, std::uint16_t p) {
          return NetworkStep{kind, c, p, GraphOp{}};
        },
        client, pick);
  };
  return rc::gen::weightedOneOf<NetworkStep>({
      {16, rc::gen::apply(
               [](std::uint8_t c, GraphOp op) {
                 return NetworkStep{Kind::edit, c, 0, std::move(op)};
               },
               client, crdt::testkit::gen::graph_op())},
      {8, step(Kind::deliver_to_server)},
      {8, step(Kind::deliver_to_client)},
      {3, step(Kind::complete_write)},
      {1, step(Kind::drop)},
      {1, step(Kind::drop_half_open)},
      {3, step(Kind::connect)},
      {1, step(Kind::reconnect_twice)},
      {1, step(Kind::partition)},
      {1, step(Kind::heal)},
      {1, step(Kind::restart)},
      {1, step(Kind::flush)},
      {1, step(Kind::presence)},
  });
}

rc::Gen<Scenario> scenario() {
  return rc::gen::apply(
      [](std::size_t client_count, bool shared_start, bool save_after_every_step,
         std::size_t log_bytes, std::vector<NetworkStep> steps) {
        return Scenario{client_count, shared_start, save_after_every_step, log_bytes,
                        std::move(steps)};
      },
      rc::gen::inRange<std::size_t>(kMinClients, kMaxClients + 1), rc::gen::arbitrary<bool>(),
      rc::gen::arbitrary<bool>(),
      rc::gen::element(std::size_t{DeltaLog::kDefaultMaxBytes}, std::size_t{0}, std::size_t{300},
                       std::size_t{1500}),
      // Sized independently of RapidCheck's size ramp, so that every case
      // is a real scenario of 0 to kMaxSteps steps.
      rc::gen::resize(
          100, rc::gen::scale(kMaxSteps / 100.0,
                              rc::gen::container<std::vector<NetworkStep>>(network_step()))));
}

}  // namespace gen

// The document of a shared start: made by a replica that is neither the
// server nor a client, and loaded by the server as if from storage.
crdt::GraphDoc shared_document() {
  crdt::GraphDoc doc(ReplicaId{999});
  for (std::string_view id : crdt::testkit::kNodeIds) {
    doc.add_node(Json{{"id", id},
                      {"type", "default"},
                      {"position", {{"x", 0}, {"y", 0}}},
                      {"data", {{"label", id}}}})
        .value();
  }
  doc.add_edge(Json{{"id", "e0"}, {"source", "n0"}, {"target", "n1"}}).value();
  doc.add_edge(Json{{"id", "e1"}, {"source", "n1"}, {"target", "n2"}}).value();
  return doc;
}

SyncNetwork make_network(const Scenario& scenario) {
  const NetworkOptions options{scenario.save_after_every_step};
  const crdt::GraphDoc start = scenario.shared_start ? shared_document() : crdt::GraphDoc{};
  return SyncNetwork(
      WorkspaceReplica(ReplicaId{SyncNetwork::kServerReplica}, start, scenario.log_bytes),
      std::vector<ClientDisk>(scenario.client_count, disk_in_sync_with(start)), options);
}

void run_step(SyncNetwork& network, const NetworkStep& step) {
  using Kind = NetworkStep::Kind;
  const std::size_t client = step.client % network.clients().size();
  switch (step.kind) {
    case Kind::edit: {
      const GraphOp op = crdt::testkit::retarget(network.client(client).session.doc(), step.op);
      auto result =
          network.edit(client, [&](crdt::GraphDoc& doc) { return crdt::testkit::apply(doc, op); });
      if (!result && result.error().code != crdt::ErrorCode::not_found &&
          result.error().code != crdt::ErrorCode::already_exists) {
        RC_FAIL("an edit failed unexpectedly: " + std::string(to_string(result.error().code)) +
                ": " + result.error().message);
      }
      return;
    }
    case Kind::deliver_to_server:
      network.deliver_to_server(step.pick);
      return;
    case Kind::deliver_to_client:
      network.deliver_to_client(step.pick);
      return;
    case Kind::complete_write:
      network.complete_write(step.pick);
      return;
    case Kind::drop:
      network.drop(client, false);
      return;
    case Kind::drop_half_open:
      network.drop(client, true);
      return;
    case Kind::connect:
      network.connect(client);
      return;
    case Kind::reconnect_twice:
      // The first connection's resends are still in flight when the second
      // connection's hello is answered: the server gets them twice.
      network.drop(client, false);
      network.connect(client);
      network.deliver_to_server_from(client);  // hello
      network.deliver_to_client_of(client);    // welcome; the resends go out
      network.drop(client, true);
      network.connect(client);
      return;
    case Kind::partition:
      for (std::size_t i = 0; i < network.clients().size(); ++i) {
        if (step.pick & (1u << i)) network.partition(i);
      }
      return;
    case Kind::heal:
      network.heal();
      return;
    case Kind::restart:
      network.restart(client, step.pick % 2 == 1);
      return;
    case Kind::flush:
      network.save(client);
      return;
    case Kind::presence:
      network.send_presence(client, Json{{"client", client},
                                         {"cursor", {{"x", step.pick % 8}, {"y", step.pick / 8}}}});
      return;
  }
}

std::string describe_dots(const CausalContext& context) {
  std::string out;
  context.for_each_dot([&](crdt::Dot dot) {
    out += " (r" + std::to_string(dot.replica.value) + "," + std::to_string(dot.seq) + ")";
  });
  return out;
}

void assert_converged(const SyncNetwork& network) {
  const crdt::GraphDoc& server = network.workspace().doc();
  const Json server_view = crdt::graph_view(server);
  if (auto violation = crdt::testkit::find_view_violation(server)) {
    RC_FAIL("the server's view breaks an invariant: " + *violation +
            "\n  view: " + server_view.dump());
  }
  for (const auto& client : network.clients()) {
    const std::string name = "client r" + std::to_string(client.replica.value);
    const crdt::GraphDoc& doc = client.session.doc();
    if (auto violation = crdt::testkit::find_view_violation(doc)) {
      RC_FAIL(name + "'s view breaks an invariant: " + *violation);
    }
    const Json view = crdt::graph_view(doc);
    if (view != server_view) {
      RC_FAIL(name + " renders another view than the server" +
              "\n  server view: " + server_view.dump() + "\n  client view: " + view.dump() +
              "\n  server state: " + crdt::testkit::describe_state(server).dump() +
              "\n  client state: " + crdt::testkit::describe_state(doc).dump());
    }
    if (!(doc == server)) {
      RC_FAIL(name + " renders the server's view but holds another CRDT state" + "\n  view: " +
              view.dump() + "\n  server state: " + crdt::testkit::describe_state(server).dump() +
              "\n  client state: " + crdt::testkit::describe_state(doc).dump());
    }
    if (!context_includes(client.session.received(), server.context())) {
      RC_FAIL(name + " has not marked as received all the server has" +
              "\n  server context:" + describe_dots(server.context()) +
              "\n  client received:" + describe_dots(client.session.received()));
    }
    if (!context_includes(server.context(), client.promised)) {
      RC_FAIL(name + " lost an edit that reached its disk or was acknowledged" +
              "\n  promised:" + describe_dots(client.promised) +
              "\n  server context:" + describe_dots(server.context()));
    }
  }
}

RC_GTEST_PROP(SyncNetwork, ClientsConvergeToTheServerAndKeepEverySavedOrAcknowledgedEdit, ()) {
  const Scenario scenario = *gen::scenario();
  SyncNetwork network = make_network(scenario);
  for (std::size_t i = 0; i < scenario.client_count; ++i)
    network.connect(i);
  for (const NetworkStep& step : scenario.steps) {
    run_step(network, step);
    network.after_step();
  }
  if (!network.settle()) RC_FAIL("the network did not settle within its step bound");
  if (!network.violations().empty()) RC_FAIL(network.violations().front());
  assert_converged(network);
  const NetworkStats& stats = network.stats();
  RC_TAG(stats.duplicate_deltas > 0 ? "duplicates" : "-",
         stats.lossy_restarts > 0 ? "lossy restart" : "-",
         stats.fallback_catch_ups > 0 ? "fallback catch-up" : "-");
}

}  // namespace
}  // namespace trellis::sync::testkit
