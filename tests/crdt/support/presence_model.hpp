#pragma once
// PresenceModel: an oracle for which nodes and edges each replica should see,
// kept apart from the library's dots and contexts. It is the textbook
// observed-remove set, stated over events instead of dots:
//
//   - every successful add_node / add_edge is an add event of its id;
//   - a remove event records the add events it observed: the adds of that id
//     that were alive at its replica when it ran (remove_node also observes
//     the alive adds of the edges its replica saw attached to the node);
//   - a replica that has seen an add event keeps the id present until it has
//     also seen a remove event that observed that add.
//
// So an id a replica has seen removed is absent there unless some add of it
// that the removal did not observe (a concurrent add, or a re-add after it)
// has reached that replica: a removed node never comes back unless re-added.
//
// Replicas see events through delta delivery (one event) and through full
// state joins (everything the sender has seen).

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt::testkit {

class PresenceModel {
 public:
  using EventId = std::size_t;

  explicit PresenceModel(std::size_t replica_count) : seen_(replica_count) {}

  EventId record_add(std::size_t replica, EntityKind kind, std::string id) {
    // An add of an id alive here replaces its adds (a library that accepted
    // it would have to drop the old dots); add_* rejects it anyway.
    std::vector<EventId> observed = alive_adds(replica, kind, id);
    return record(replica, Event{true, kind, std::move(id), replica, std::move(observed)});
  }

  // `observed` are the add events the removal saw alive: alive_adds() of the
  // removed id, plus those of the attached edges for remove_node.
  EventId record_remove(std::size_t replica, EntityKind kind, std::string id,
                        std::vector<EventId> observed) {
    return record(replica, Event{false, kind, std::move(id), replica, std::move(observed)});
  }

  void see(std::size_t replica, EventId event) { seen_[replica][event] = true; }

  void see_everything_of(std::size_t replica, std::size_t sender) {
    for (EventId event = 0; event < events_.size(); ++event) {
      if (seen_[sender][event]) seen_[replica][event] = true;
    }
  }

  // The add events of (kind, id) seen by `replica` and not observed by any
  // remove it has seen.
  std::vector<EventId> alive_adds(std::size_t replica, EntityKind kind, std::string_view id) const {
    std::vector<bool> observed(events_.size(), false);
    for (EventId event = 0; event < events_.size(); ++event) {
      if (!seen_[replica][event]) continue;
      for (EventId add : events_[event].observed)
        observed[add] = true;
    }
    std::vector<EventId> alive;
    for (EventId event = 0; event < events_.size(); ++event) {
      const Event& e = events_[event];
      if (e.is_add && e.kind == kind && e.id == id && seen_[replica][event] && !observed[event]) {
        alive.push_back(event);
      }
    }
    return alive;
  }

  bool present(std::size_t replica, EntityKind kind, std::string_view id) const {
    return !alive_adds(replica, kind, id).empty();
  }

  // The history of one id, for failure messages: which events exist, who
  // originated them, which adds each removal observed, which `replica` saw.
  std::string explain(std::size_t replica, EntityKind kind, std::string_view id) const {
    std::ostringstream out;
    out << "events of " << (kind == EntityKind::node ? "node " : "edge ") << id
        << " (* = seen by replica " << replica << "):";
    for (EventId event = 0; event < events_.size(); ++event) {
      const Event& e = events_[event];
      const bool removes_it =
          !e.is_add && std::any_of(e.observed.begin(), e.observed.end(), [&](EventId add) {
            return events_[add].kind == kind && events_[add].id == id;
          });
      if (!(e.kind == kind && e.id == id) && !removes_it) continue;
      out << "\n  " << (seen_[replica][event] ? "*" : " ") << " #" << event << " "
          << (e.is_add ? "add " : "remove ") << (e.kind == EntityKind::node ? "node " : "edge ")
          << e.id << " at replica " << e.origin;
      if (!e.observed.empty()) {
        out << ", observed adds";
        for (EventId add : e.observed)
          out << " #" << add;
      }
    }
    return out.str();
  }

 private:
  struct Event {
    bool is_add;
    EntityKind kind;
    std::string id;
    std::size_t origin;
    std::vector<EventId> observed;
  };

  EventId record(std::size_t replica, Event event) {
    events_.push_back(std::move(event));
    for (auto& seen : seen_)
      seen.push_back(false);
    seen_[replica].back() = true;
    return events_.size() - 1;
  }

  std::vector<Event> events_;
  std::vector<std::vector<bool>> seen_;  // [replica][event]
};

}  // namespace trellis::crdt::testkit
