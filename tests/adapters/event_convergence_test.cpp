// The headline property of the Socket.IO mapping: seed frontends (stores
// that apply their own change at once, every received event in arrival order,
// and never reconcile) end with exactly the server's view, whatever the
// interleaving. A server GraphDoc, 4 to 8 simulated clients with FIFO inboxes
// and outboxes, and a native replica whose deltas join the server's document
// run random local edits (adds, whole-node updates with moves and field and
// data-key changes, parameter edits of a few shared keys, deletes, edge adds,
// retargets and deletes), random deliveries in both directions, Engine.IO
// pings, sync requests and reconnections that lose what was in flight. At quiescence every store
// equals graph_view of the server (as sets) and so every other store. And a client editing alone
// never hears of its own edits.
//
// A scenario is a list of 32-bit words, one per step (RapidCheck shrinks the
// list); a failure prints the steps that ran and what differed.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/event_simulation.hpp"

namespace trellis::adapters::testkit {
namespace {

constexpr std::size_t kMaxSteps = 240;

struct Scenario {
  std::size_t clients = 4;
  std::vector<std::uint32_t> steps;
  std::uint32_t settle_seed = 0;
};

Scenario any_scenario(std::size_t min_clients, std::size_t max_clients) {
  Scenario scenario;
  scenario.clients = *rc::gen::inRange(min_clients, max_clients + 1);
  const auto count = *rc::gen::inRange<std::size_t>(0, kMaxSteps + 1);
  scenario.steps =
      *rc::gen::container<std::vector<std::uint32_t>>(count, rc::gen::arbitrary<std::uint32_t>());
  scenario.settle_seed = *rc::gen::arbitrary<std::uint32_t>();
  return scenario;
}

// One step of a scenario, decoded from its word.
void run_step(SimWorkspace& workspace, std::uint32_t word, bool with_native) {
  const std::size_t c = (word / 100) % workspace.clients.size();
  const std::uint32_t kind = word % 100;
  if (kind < 30) {
    workspace.local_change(c, word);
  } else if (kind < 52) {
    workspace.process(c);
  } else if (kind < 76) {
    workspace.deliver(c);
  } else if (kind < 82) {
    if (with_native) workspace.native_edit(word);
  } else if (kind < 87) {
    workspace.process_native();
  } else if (kind < 90) {
    workspace.native_receive();
  } else if (kind < 95) {
    workspace.ping(c);
  } else if (kind < 97) {
    workspace.sync_request(c);
  } else if (kind < 98) {
    workspace.reconnect(c);
  } else {
    while (workspace.deliver(c)) {
    }
  }
}

void check_converged(const SimWorkspace& workspace, const Scenario& scenario) {
  const std::string header = std::to_string(scenario.clients) + " clients, " +
                             std::to_string(scenario.steps.size()) + " steps\n";
  if (!workspace.problems.empty()) {
    RC_FAIL(header + "malformed event or failed edit: " + workspace.problems.front() + "\n" +
            workspace.trace());
  }
  const std::string difference = workspace.divergence();
  if (!difference.empty()) {
    RC_FAIL(header + "after delivering everything, a store differs from the server's view:\n  " +
            difference + "\nlast steps:\n" + workspace.trace());
  }
}

void run_scenario(SimWorkspace& workspace, const Scenario& scenario, bool with_native) {
  for (std::size_t c = 0; c < workspace.clients.size(); ++c)
    workspace.join(c);
  for (std::uint32_t word : scenario.steps)
    run_step(workspace, word, with_native);
  workspace.settle(scenario.settle_seed);
  check_converged(workspace, scenario);
}

RC_GTEST_PROP(EventConvergence, SimpleClientsConvergeToTheServerViewWhateverTheInterleaving, ()) {
  const Scenario scenario = any_scenario(4, 8);
  SimWorkspace workspace(SimOptions{scenario.clients, false, false});
  run_scenario(workspace, scenario, true);
  RC_CLASSIFY(workspace.corrections > 0, "a sender was corrected");
  RC_CLASSIFY(workspace.native_joins > 0, "native deltas joined");

  // A ping answered by every client leaves every shadow exact.
  for (std::size_t c = 0; c < workspace.clients.size(); ++c)
    workspace.ping(c);
  workspace.settle(scenario.settle_seed + 1);
  for (std::size_t c = 0; c < workspace.clients.size(); ++c) {
    RC_ASSERT(workspace.clients[c].shadow.uncertain_entities() == 0u);
  }
  check_converged(workspace, scenario);
}

RC_GTEST_PROP(EventConvergence, StoresWhoseAddAppendsConvergeAndNeverHoldTwoCopies, ()) {
  const Scenario scenario = any_scenario(4, 8);
  SimWorkspace workspace(SimOptions{scenario.clients, true, false});
  run_scenario(workspace, scenario, true);
  for (const auto& client : workspace.clients) {
    if (client.store.duplicate_adds() != 0) {
      RC_FAIL("a client received an add of an id it held\n" + workspace.trace());
    }
  }
}

RC_GTEST_PROP(EventConvergence, ConvergesWhenClientsAndTheNativeReplicaAddTheSameIds, ()) {
  const Scenario scenario = any_scenario(4, 6);
  SimWorkspace workspace(SimOptions{scenario.clients, false, true});
  run_scenario(workspace, scenario, true);
}

// Echo minimization under concurrency: clients that joined (their canvas
// loaded) and then each add, move and edit only their own nodes, while the
// others' events arrive in any order, are never corrected.
RC_GTEST_PROP(EventConvergence, ClientsEditingOnlyTheirOwnNodesAreNeverCorrected, ()) {
  const Scenario scenario = any_scenario(2, 6);
  SimOptions options{scenario.clients, false, false};
  options.own_nodes_only = true;
  SimWorkspace workspace(options);
  for (std::size_t c = 0; c < workspace.clients.size(); ++c) {
    workspace.join(c);
    workspace.deliver_all(c);
    workspace.process_all(c);
  }
  for (std::uint32_t word : scenario.steps) {
    const std::size_t c = (word / 3) % workspace.clients.size();
    switch (word % 3) {
      case 0:
        workspace.local_change(c, word);
        break;
      case 1:
        workspace.process(c);
        break;
      default:
        workspace.deliver(c);
        break;
    }
  }
  std::size_t in_flight = 0;  // events others caused, still undelivered when edits stopped
  for (const auto& client : workspace.clients)
    in_flight += client.inbox.size();
  RC_CLASSIFY(in_flight > 10, "over 10 events in flight");
  workspace.settle(scenario.settle_seed);
  check_converged(workspace, scenario);
  if (workspace.corrections != 0) {
    RC_FAIL(std::to_string(workspace.corrections) + " corrections\n" + workspace.trace());
  }
}

// The echo-minimization property: a client alone (its canvas loaded and a
// ping answered, as the server does after every workspace_sync) hears
// nothing of its own edits, whatever it does and however the deliveries
// interleave.
RC_GTEST_PROP(EventConvergence, AClientEditingAloneNeverReceivesEventsAboutItsOwnChanges, ()) {
  Scenario scenario = any_scenario(1, 1);
  SimWorkspace workspace(SimOptions{1, false, false});
  workspace.join(0);
  workspace.deliver(0);
  workspace.ping(0);
  workspace.deliver(0);
  workspace.process(0);
  for (std::uint32_t word : scenario.steps) {
    switch (word % 3) {
      case 0:
        workspace.local_change(0, word);
        break;
      case 1:
        workspace.process(0);
        break;
      default:
        workspace.deliver(0);
        break;
    }
  }
  workspace.settle(scenario.settle_seed);
  check_converged(workspace, scenario);
  if (workspace.clients[0].model_events != 0) {
    RC_FAIL("the client received " + std::to_string(workspace.clients[0].model_events) +
            " events about its own edits\n" + workspace.trace());
  }
}

}  // namespace
}  // namespace trellis::adapters::testkit
