#pragma once
// ReplicaNetwork: a seeded multi-replica simulation of GraphDoc delta sync.
//
// A History is what RapidCheck generates and shrinks: a replica count (3 to 5)
// and a list of steps. A step either mutates one replica (its delta becomes a
// message to every other replica) or moves messages around unreliably:
//
//   deliver     the receiver takes one pending message, chosen at random, so
//               messages are reordered and delayed arbitrarily;
//   redeliver   a message the receiver already has is delivered again
//               (duplicates, including a replica's own deltas);
//   drop        a pending message is lost ...
//   resend      ... until its sender resends everything the receiver lost;
//   sync_state  the receiver joins another replica's full state
//               (anti-entropy, partial exchange of states).
//
// deliver_everything() then resends and delivers every outstanding message,
// after which every replica has seen every delta. Deltas travel in memory or
// as encoded bytes joined with join_encoded (NetworkChecks::ship_encoded).
// Options turn on the checks a property is about, so that one library bug
// fails the property named after it rather than every property at once.
//
// A failing property prints the generated History (RapidCheck's
// counterexample, after shrinking) and, through RC_LOG, what each step did:
// the operation as retargeted, its outcome, every delivery.

#include <rapidcheck.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crdt/support/graph_operations.hpp"
#include "crdt/support/presence_model.hpp"
#include "crdt/support/state_comparison.hpp"
#include "crdt/support/view_invariants.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::crdt::testkit {

inline constexpr std::size_t kMinReplicas = 3;
inline constexpr std::size_t kMaxReplicas = 5;
// Histories get up to 64 steps (about half of them mutations), which keeps
// 500 cases of every property well inside the time budget of the suite, under
// ASan too.
inline constexpr std::size_t kMaxSteps = 64;

struct NetworkStep {
  enum class Kind : std::uint8_t { mutate, deliver, redeliver, drop, resend, sync_state };

  Kind kind = Kind::mutate;
  // The replica that mutates or receives, modulo the replica count.
  std::uint8_t replica = 0;
  // Which message (deliver, redeliver, drop) or which sender (sync_state),
  // modulo the number of candidates.
  std::uint8_t pick = 0;
  GraphOp op;
};

inline std::ostream& operator<<(std::ostream& out, const NetworkStep& step) {
  const int replica = step.replica;
  const int pick = step.pick;
  switch (step.kind) {
    case NetworkStep::Kind::mutate:
      return out << "r" << replica << " " << step.op;
    case NetworkStep::Kind::deliver:
      return out << "deliver pending #" << pick << " to r" << replica;
    case NetworkStep::Kind::redeliver:
      return out << "redeliver #" << pick << " to r" << replica;
    case NetworkStep::Kind::drop:
      return out << "drop pending #" << pick << " of r" << replica;
    case NetworkStep::Kind::resend:
      return out << "resend what r" << replica << " lost";
    case NetworkStep::Kind::sync_state:
      return out << "r" << replica << " joins state of #" << pick;
  }
  return out;
}

struct History {
  std::size_t replica_count = kMinReplicas;
  std::vector<NetworkStep> steps;
};

inline void showValue(const History& history, std::ostream& out) {
  out << history.replica_count << " replicas, " << history.steps.size() << " steps:";
  for (std::size_t i = 0; i < history.steps.size(); ++i) {
    out << "\n  " << i << ": " << history.steps[i];
  }
}

namespace gen {

inline rc::Gen<NetworkStep> network_step() {
  using Kind = NetworkStep::Kind;
  auto replica = rc::gen::inRange<std::uint8_t>(0, kMaxReplicas);
  auto pick = rc::gen::inRange<std::uint8_t>(0, 16);
  auto transport = [=](Kind kind) {
    return rc::gen::apply(
        [kind](std::uint8_t r, std::uint8_t p) {
          return NetworkStep{kind, r, p, GraphOp{}};
        },
        replica, pick);
  };
  return rc::gen::weightedOneOf<NetworkStep>({
      {10, rc::gen::apply(
               [](std::uint8_t r, GraphOp op) {
                 return NetworkStep{Kind::mutate, r, 0, std::move(op)};
               },
               replica, graph_op())},
      {6, transport(Kind::deliver)},
      {1, transport(Kind::redeliver)},
      {1, transport(Kind::drop)},
      {1, transport(Kind::resend)},
      {2, transport(Kind::sync_state)},
  });
}

inline rc::Gen<History> history() {
  return rc::gen::apply(
      [](std::size_t replica_count, std::vector<NetworkStep> steps) {
        return History{replica_count, std::move(steps)};
      },
      rc::gen::inRange<std::size_t>(kMinReplicas, kMaxReplicas + 1),
      // Sized independently of RapidCheck's size ramp (which starts at 0),
      // so that every case is a real history: 0 to kMaxSteps steps.
      rc::gen::resize(
          100, rc::gen::scale(kMaxSteps / 100.0,
                              rc::gen::container<std::vector<NetworkStep>>(network_step()))));
}

}  // namespace gen

struct NetworkChecks {
  // Deltas and synced states travel as encode() bytes and are joined with
  // join_encoded() on arrival, as they would be over a socket; every such
  // join must give what join(decode(bytes)) gives. Otherwise they are joined
  // in memory, alternately by copy and by move.
  bool ship_encoded = false;
  // View invariants (no dangling edge, ...) after every step, on the
  // replica the step changed.
  bool view_invariants = false;
  // Node and edge presence against PresenceModel after every step.
  bool presence = false;
  // After every mutation: state before ⊔ delta == state after.
  bool delta_law = false;
  // After every add: the view of the added id is exactly the object given.
  bool added_view = false;
  // Keep a copy of every intermediate replica state (for join laws).
  bool snapshots = false;
};

class ReplicaNetwork {
 public:
  struct Message {
    std::size_t origin;
    GraphOp op;
    GraphDoc delta;
    std::optional<PresenceModel::EventId> event;
    // The mutation's own transaction dot (none for an empty delta).
    std::optional<Dot> transaction;
  };

  ReplicaNetwork(std::size_t replica_count, NetworkChecks checks)
      : checks_(checks),
        model_(replica_count),
        inboxes_(replica_count),
        joined_in_full_(replica_count) {
    for (std::size_t i = 0; i < replica_count; ++i) {
      replicas_.emplace_back(ReplicaId{static_cast<std::uint64_t>(i + 1)});
    }
  }

  void run(const History& history) {
    for (const NetworkStep& step : history.steps)
      this->step(step);
  }

  void step(const NetworkStep& step) {
    const std::size_t r = step.replica % replicas_.size();
    Inbox& inbox = inboxes_[r];
    switch (step.kind) {
      case NetworkStep::Kind::mutate:
        mutate(r, step.op);
        return;
      case NetworkStep::Kind::deliver: {
        if (inbox.pending.empty()) return;
        const std::size_t at = step.pick % inbox.pending.size();
        const std::size_t message = inbox.pending[at];
        inbox.pending.erase(inbox.pending.begin() + static_cast<std::ptrdiff_t>(at));
        deliver(r, message);
        return;
      }
      case NetworkStep::Kind::redeliver: {
        std::vector<std::size_t> known = inbox.received;
        for (std::size_t m = 0; m < messages_.size(); ++m) {
          if (messages_[m].origin == r) known.push_back(m);
        }
        if (known.empty()) return;
        deliver(r, known[step.pick % known.size()]);
        return;
      }
      case NetworkStep::Kind::drop: {
        if (inbox.pending.empty()) return;
        const std::size_t at = step.pick % inbox.pending.size();
        inbox.dropped.push_back(inbox.pending[at]);
        inbox.pending.erase(inbox.pending.begin() + static_cast<std::ptrdiff_t>(at));
        return;
      }
      case NetworkStep::Kind::resend:
        inbox.pending.insert(inbox.pending.end(), inbox.dropped.begin(), inbox.dropped.end());
        inbox.dropped.clear();
        return;
      case NetworkStep::Kind::sync_state: {
        std::size_t sender = step.pick % replicas_.size();
        if (sender == r) sender = (r + 1) % replicas_.size();
        RC_LOG() << "r" << r << " joins the state of r" << sender << "\n";
        receive(r, GraphDoc(replicas_[sender]),
                "r" + std::to_string(r) + " joining the state of r" + std::to_string(sender));
        model_.see_everything_of(r, sender);
        joined_in_full_[r].join(joined_in_full_[sender]);
        after_change(r,
                     "r" + std::to_string(r) + " joined the state of r" + std::to_string(sender));
        return;
      }
    }
  }

  // Resends everything lost and delivers every outstanding message.
  void deliver_everything() {
    for (std::size_t r = 0; r < replicas_.size(); ++r) {
      Inbox& inbox = inboxes_[r];
      std::vector<std::size_t> outstanding = std::move(inbox.pending);
      outstanding.insert(outstanding.end(), inbox.dropped.begin(), inbox.dropped.end());
      inbox.pending.clear();
      inbox.dropped.clear();
      for (std::size_t message : outstanding)
        deliver(r, message);
    }
  }

  const std::vector<GraphDoc>& replicas() const { return replicas_; }
  const std::vector<Message>& messages() const { return messages_; }
  const std::vector<GraphDoc>& snapshots() const { return snapshots_; }
  // The transactions each replica has joined in full (its own, the deltas it
  // received, and through state joins those of the sender), as opposed to
  // its causal context, which also holds the dots a removal's context
  // names without their fields (docs/protocol.md, "Anti-entropy"). The same
  // for each snapshot.
  const CausalContext& joined_in_full(std::size_t replica) const {
    return joined_in_full_[replica];
  }
  const std::vector<CausalContext>& snapshots_joined_in_full() const {
    return snapshots_joined_in_full_;
  }
  const PresenceModel& model() const { return model_; }
  // How often each kind of operation applied or failed (with which error):
  // for checking that generated histories exercise what they should.
  const std::map<std::string, std::size_t>& outcomes() const { return outcomes_; }

  // Every state the history produced: snapshots, deltas, current replicas.
  std::vector<GraphDoc> state_pool() const {
    std::vector<GraphDoc> pool = snapshots_;
    for (const Message& message : messages_)
      pool.push_back(message.delta);
    pool.insert(pool.end(), replicas_.begin(), replicas_.end());
    return pool;
  }

 private:
  struct Inbox {
    std::vector<std::size_t> pending;
    std::vector<std::size_t> dropped;
    std::vector<std::size_t> received;
  };

  // Joins what another replica sent into replica `r` (see NetworkChecks).
  void receive(std::size_t r, const GraphDoc& sent, const std::string& what) {
    GraphDoc& doc = replicas_[r];
    if (!checks_.ship_encoded) {
      if (receive_count_++ % 2 == 0) {
        doc.join(sent);
      } else {
        doc.join(GraphDoc(sent));
      }
      return;
    }
    const Bytes bytes = encode(sent);
    auto decoded = decode(bytes);
    if (!decoded) {
      RC_FAIL(what + ": the bytes sent do not decode: " +
              std::string(to_string(decoded.error().code)) + ": " + decoded.error().message +
              "\n  sent: " + text(describe_state(sent)) + "\n  bytes: " + hex(bytes, 0, 512));
    }
    GraphDoc expected = doc;
    expected.join(*decoded);
    if (auto error = join_encoded(doc, bytes)) {
      RC_FAIL(what +
              ": join_encoded refused bytes that decode: " + std::string(to_string(error->code)) +
              ": " + error->message + "\n  bytes: " + hex(bytes, 0, 512));
    }
    assert_same_state(doc, expected, what + ": join_encoded(bytes) vs join(decode(bytes))");
  }

  // The add events of edges `doc` sees present and attached to `node_id`:
  // what remove_node also removes.
  std::vector<PresenceModel::EventId> attached_edge_adds(std::size_t r,
                                                         std::string_view node_id) const {
    std::vector<PresenceModel::EventId> adds;
    for (std::string_view edge_id : kEdgeIds) {
      const EntityState* edge = replicas_[r].find(EntityKind::edge, edge_id);
      if (!edge || !edge->present()) continue;
      bool attached = false;
      for (const char* role : {"source", "target"}) {
        const crdt::FieldValue* end = edge->fields.get(FieldKey::top(role));
        if (end && end->is_string() && end->string() == node_id) attached = true;
      }
      if (!attached) continue;
      for (auto add : model_.alive_adds(r, EntityKind::edge, edge_id))
        adds.push_back(add);
    }
    return adds;
  }

  void mutate(std::size_t r, const GraphOp& generated) {
    GraphDoc& doc = replicas_[r];
    const GraphOp op = retarget(doc, generated);
    std::optional<GraphDoc> before;
    if (checks_.delta_law) before = doc;
    std::vector<PresenceModel::EventId> observed;
    if (op.kind == GraphOpKind::remove_node || op.kind == GraphOpKind::remove_edge) {
      observed = model_.alive_adds(r, op.entity_kind(), op.id);
      if (op.kind == GraphOpKind::remove_node) {
        for (auto add : attached_edge_adds(r, op.id))
          observed.push_back(add);
      }
    }

    const Dot transaction_dot = doc.context().next_dot(doc.replica());
    auto result = apply(doc, op);
    ++outcomes_[std::string(to_string(op.kind)) + " -> " +
                (result ? std::string("ok") : std::string(to_string(result.error().code)))];
    if (!result) {
      RC_LOG() << "r" << r << " " << op << " -> " << to_string(result.error().code) << "\n";
      return;
    }
    GraphDoc delta = std::move(result).value();
    const std::size_t index = messages_.size();
    RC_LOG() << "r" << r << " " << op << " -> message #" << index << "\n";

    std::optional<PresenceModel::EventId> event;
    if (op.kind == GraphOpKind::add_node || op.kind == GraphOpKind::add_edge) {
      event = model_.record_add(r, op.entity_kind(), op.id);
    } else if (op.kind == GraphOpKind::remove_node || op.kind == GraphOpKind::remove_edge) {
      event = model_.record_remove(r, op.entity_kind(), op.id, std::move(observed));
    }

    if (before) {
      std::ostringstream what;
      what << "mutator law (state before ⊔ delta == state after) for r" << r << " " << op;
      assert_same_state(joined(*before, delta), doc, what.str());
    }
    if (checks_.added_view &&
        (op.kind == GraphOpKind::add_node || op.kind == GraphOpKind::add_edge)) {
      assert_added_view(r, op);
    }

    std::optional<Dot> transaction;
    if (delta.context().contains(transaction_dot)) {
      transaction = transaction_dot;
      joined_in_full_[r].insert(transaction_dot);
    }
    messages_.push_back(Message{r, op, std::move(delta), event, transaction});
    for (std::size_t other = 0; other < replicas_.size(); ++other) {
      if (other != r) inboxes_[other].pending.push_back(index);
    }
    after_change(r, "r" + std::to_string(r) + " ran message #" + std::to_string(index));
  }

  void assert_added_view(std::size_t r, const GraphOp& op) {
    Json expected = op.payload;
    Json actual;
    if (op.kind == GraphOpKind::add_node) {
      if (!expected.contains("data")) expected["data"] = Json::object();
      actual = node_view(replicas_[r], op.id);
    } else {
      actual = edge_view(replicas_[r], op.id);
    }
    if (actual != expected) {
      RC_FAIL("the view of an entity right after its add is not the object given at r" +
              std::to_string(r) + "\n  expected: " + expected.dump() + "\n  actual:   " +
              actual.dump() + "\n  state:    " + text(describe_state(replicas_[r])));
    }
  }

  void deliver(std::size_t r, std::size_t index) {
    const Message& message = messages_[index];
    RC_LOG() << "r" << r << " <- message #" << index << " (r" << message.origin << " " << message.op
             << ")\n";
    receive(r, message.delta,
            "r" + std::to_string(r) + " receiving message #" + std::to_string(index));
    if (message.event) model_.see(r, *message.event);
    if (message.transaction) joined_in_full_[r].insert(*message.transaction);
    inboxes_[r].received.push_back(index);
    after_change(r, "r" + std::to_string(r) + " received message #" + std::to_string(index));
  }

  void after_change(std::size_t r, const std::string& what) {
    const GraphDoc& doc = replicas_[r];
    if (checks_.snapshots) {
      snapshots_.push_back(doc);
      snapshots_joined_in_full_.push_back(joined_in_full_[r]);
    }
    if (checks_.view_invariants) {
      if (auto violation = find_view_violation(doc)) {
        RC_FAIL("after " + what + ": " + *violation + "\n  view:  " + text(graph_view(doc)) +
                "\n  state: " + text(describe_state(doc)));
      }
    }
    if (checks_.presence) assert_presence(r, what);
  }

  void assert_presence(std::size_t r, const std::string& what) const {
    const GraphDoc& doc = replicas_[r];
    auto check = [&](EntityKind kind, std::string_view id) {
      const bool shown = kind == EntityKind::node ? doc.has_node(id) : doc.has_edge(id);
      const bool expected = model_.present(r, kind, id);
      if (shown == expected) return;
      const std::string name = (kind == EntityKind::node ? "node " : "edge ") + std::string(id);
      RC_FAIL("after " + what + ": " + name +
              (shown ? " is present although every add of it this replica saw was removed "
                       "(it came back without a re-add)"
                     : " is absent although an add of it that no removal observed reached "
                       "this replica") +
              "\n  " + model_.explain(r, kind, id) + "\n  view:  " + text(graph_view(doc)) +
              "\n  state: " + text(describe_state(doc)));
    };
    for (std::string_view id : kNodeIds)
      check(EntityKind::node, id);
    for (std::string_view id : kEdgeIds)
      check(EntityKind::edge, id);
  }

  NetworkChecks checks_;
  PresenceModel model_;
  std::vector<GraphDoc> replicas_;
  std::vector<Inbox> inboxes_;
  std::vector<Message> messages_;
  std::vector<GraphDoc> snapshots_;
  std::vector<CausalContext> joined_in_full_;
  std::vector<CausalContext> snapshots_joined_in_full_;
  std::map<std::string, std::size_t> outcomes_;
  std::size_t receive_count_ = 0;
};

}  // namespace trellis::crdt::testkit
