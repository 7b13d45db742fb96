// parse_client_event: every client event of the seed's table is read into
// its typed value, and every malformed or oversized payload is refused with a
// message that says what is wrong (the server answers it as `error` to the
// sender; nothing else happens).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trellis/adapters/event_mapping.hpp"

namespace trellis::adapters {
namespace {

Json node(std::string id) {
  return Json{{"id", std::move(id)},
              {"type", "box"},
              {"position", {{"x", 1}, {"y", 2}}},
              {"data", {{"width", 3}}}};
}

ClientEvent parsed(std::string_view name, const Json& payload) {
  auto event = parse_client_event(name, payload);
  if (!event) {
    ADD_FAILURE() << name << " " << payload.dump() << " refused: " << event.error().message;
    return SyncRequest{};
  }
  return *event;
}

TEST(EventParse, ReadsJoinLeaveAndSyncRequest) {
  auto join = std::get<JoinWorkspace>(
      parsed("join_workspace", Json{{"workspaceId", "w1"}, {"username", "Alice"}}));
  EXPECT_EQ(join.workspace_id, "w1");
  EXPECT_EQ(join.username, "Alice");
  EXPECT_EQ(
      std::get<LeaveWorkspace>(parsed("leave_workspace", Json{{"workspaceId", "w1"}})).workspace_id,
      "w1");
  EXPECT_EQ(std::get<SyncRequest>(parsed("sync_request", Json{{"workspaceId", "w1"}})).workspace_id,
            "w1");
}

TEST(EventParse, ReadsNodeChangesOfEveryType) {
  for (const auto& [word, type] :
       std::vector<std::pair<std::string, ChangeType>>{{"add", ChangeType::add},
                                                       {"update", ChangeType::update},
                                                       {"delete", ChangeType::remove},
                                                       {"remove", ChangeType::remove}}) {
    auto change = std::get<NodeChange>(
        parsed("node_change", Json{{"type", word}, {"node", node("n1")}, {"workspaceId", "w1"}}));
    EXPECT_EQ(change.type, type) << word;
    EXPECT_EQ(change.id(), "n1");
    EXPECT_EQ(change.node, node("n1"));
    EXPECT_EQ(changed_entity(ClientEvent{change}), (EntityRef{crdt::EntityKind::node, "n1"}));
  }
  // A delete needs only the id.
  auto removal = std::get<NodeChange>(parsed(
      "node_change", Json{{"type", "delete"}, {"node", {{"id", "n1"}}}, {"workspaceId", "w1"}}));
  EXPECT_EQ(removal.type, ChangeType::remove);
}

TEST(EventParse, ReadsEdgeChangesAndParameterEdits) {
  const Json edge{{"id", "e1"}, {"source", "a"}, {"target", "b"}, {"sourceHandle", "out"}};
  auto change = std::get<EdgeChange>(
      parsed("edge_change", Json{{"type", "add"}, {"edge", edge}, {"workspaceId", "w1"}}));
  EXPECT_EQ(change.type, ChangeType::add);
  EXPECT_EQ(change.edge, edge);
  EXPECT_EQ(changed_entity(ClientEvent{change}), (EntityRef{crdt::EntityKind::edge, "e1"}));

  auto update = std::get<NodeDataUpdate>(
      parsed("node_data_update",
             Json{{"nodeId", "n1"}, {"data", {{"radius", 2.5}}}, {"workspaceId", "w1"}}));
  EXPECT_EQ(update.node_id, "n1");
  EXPECT_EQ(update.data, (Json{{"radius", 2.5}}));
  EXPECT_EQ(workspace_of(ClientEvent{update}), "w1");
}

struct Refused {
  std::string name;
  Json payload;
  std::string says;  // part of the message
  std::optional<EntityRef> entity;
};

Json change_of(const char* type, Json object, const char* member = "node") {
  return Json{{"type", type}, {member, std::move(object)}, {"workspaceId", "w1"}};
}

std::vector<Refused> refusals() {
  const std::string huge(event_limits::kMaxEntityBytes, 'x');
  const std::string long_id(event_limits::kMaxIdBytes + 1, 'i');
  Json deep = 1;
  for (std::size_t i = 0; i < event_limits::kMaxEntityDepth; ++i)
    deep = Json::array({deep});
  Json many_keys = Json::object();
  for (std::size_t i = 0; i <= event_limits::kMaxDataKeys; ++i)
    many_keys["k" + std::to_string(i)] = i;
  Json many_fields = node("n1");
  for (std::size_t i = 0; i < event_limits::kMaxTopLevelFields; ++i)
    many_fields["f" + std::to_string(i)] = i;
  const EntityRef n1{crdt::EntityKind::node, "n1"};
  auto with = [](Json object, const char* key, Json value) {
    object[key] = std::move(value);
    return object;
  };
  auto without = [](Json object, const char* key) {
    object.erase(key);
    return object;
  };
  const Json edge{{"id", "e1"}, {"source", "a"}, {"target", "b"}};
  return {
      {"drag_node", Json{{"workspaceId", "w1"}}, "unknown event 'drag_node'", {}},
      {"node_change", Json::array({1, 2}), "the payload must be an object", {}},
      {"sync_request", Json::object(), "'workspaceId' (a string) is missing", {}},
      {"sync_request", Json{{"workspaceId", 7}}, "'workspaceId' must be a string", {}},
      {"sync_request", Json{{"workspaceId", ""}}, "must not be empty", {}},
      {"sync_request",
       Json{{"workspaceId", std::string(event_limits::kMaxWorkspaceIdBytes + 1, 'w')}},
       "longer than 128 bytes",
       {}},
      {"join_workspace", Json{{"workspaceId", "w1"}}, "'username' (a string) is missing", {}},
      {"join_workspace",
       Json{{"workspaceId", "w1"}, {"username", std::string(65, 'u')}},
       "'username' is longer than 64 bytes",
       {}},
      {"node_change", without(change_of("add", node("n1")), "type"), "'type' must be one of", n1},
      {"node_change", change_of("move", node("n1")), "'type' must be one of", n1},
      {"node_change", without(change_of("add", node("n1")), "node"), "'node' (an object)", {}},
      {"node_change", change_of("add", Json("n1")), "'node' must be an object", {}},
      {"node_change",
       change_of("add", without(node("n1"), "id")),
       "'node.id' must be a string",
       {}},
      {"node_change",
       change_of("add", with(node("n1"), "id", 5)),
       "'node.id' must be a string",
       {}},
      {"node_change", change_of("add", with(node("n1"), "id", "")), "must not be empty", {}},
      {"node_change", change_of("add", with(node("n1"), "id", long_id)), "longer than 256", {}},
      {"node_change", change_of("add", without(node("n1"), "position")), "'node.position'", n1},
      {"node_change", change_of("update", with(node("n1"), "position", Json{{"x", "1"}, {"y", 2}})),
       "numbers x and y", n1},
      {"node_change", change_of("add", with(node("n1"), "data", "big")), "'node.data' must be", n1},
      {"node_change", change_of("add", with(node("n1"), "data", many_keys)), "more than 256 keys",
       n1},
      {"node_change", change_of("add", with(node("n1"), "data", Json{{std::string(257, 'k'), 1}})),
       "a key of 'node.data' is longer", n1},
      {"node_change", change_of("add", with(node("n1"), "data", Json{{"", 1}})), "an empty key",
       n1},
      {"node_change", change_of("add", with(node("n1"), "data", Json{{"d", deep}})),
       "nested deeper than", n1},
      {"node_change", change_of("update", with(node("n1"), "label", huge)), "larger than", n1},
      {"node_change", change_of("delete", with(node("n1"), "label", huge)), "larger than", n1},
      {"node_change", change_of("add", many_fields), "'node' has more than 64 keys", n1},
      {"edge_change", change_of("add", without(edge, "source"), "edge"), "'edge.source'",
       EntityRef{crdt::EntityKind::edge, "e1"}},
      {"edge_change", change_of("update", with(edge, "target", 3), "edge"), "'edge.target'",
       EntityRef{crdt::EntityKind::edge, "e1"}},
      {"node_data_update",
       Json{{"data", {{"k", 1}}}, {"workspaceId", "w1"}},
       "'nodeId' must be a string",
       {}},
      {"node_data_update", Json{{"nodeId", "n1"}, {"data", 3}, {"workspaceId", "w1"}},
       "'data' must be an object", n1},
      {"node_data_update", Json{{"nodeId", "n1"}, {"data", many_keys}, {"workspaceId", "w1"}},
       "more than 256 keys", n1},
      {"node_data_update", Json{{"nodeId", "n1"}, {"data", {{"k", huge}}}, {"workspaceId", "w1"}},
       "larger than", n1},
      {"presence_update", Json{{"workspaceId", "w1"}}, "'state' (an object) is missing", {}},
      {"presence_update",
       Json{{"state", "here"}, {"workspaceId", "w1"}},
       "'state' must be an object",
       {}},
      {"presence_update",
       Json{{"state", {{"cursor", std::string(event_limits::kMaxPresenceBytes, 'c')}}},
            {"workspaceId", "w1"}},
       "'state' is larger than",
       {}},
      {"presence_update",
       Json{{"state", {{"d", deep}}}, {"workspaceId", "w1"}},
       "'state' is larger than",
       {}},
  };
}

TEST(EventParse, RefusesEveryMalformedOrOversizedPayloadWithAClearMessage) {
  for (const Refused& refused : refusals()) {
    auto event = parse_client_event(refused.name, refused.payload);
    const std::string shown = refused.name + " " + refused.payload.dump().substr(0, 200);
    ASSERT_FALSE(event.ok()) << shown << " was accepted";
    EXPECT_NE(event.error().message.find(refused.says), std::string::npos)
        << shown << "\n  message: " << event.error().message << "\n  expected: " << refused.says;
    EXPECT_EQ(event.error().entity, refused.entity) << shown;
  }
}

TEST(EventParse, AcceptsPayloadsAtEveryLimit) {
  Json data = Json::object();
  for (std::size_t i = 0; i < event_limits::kMaxDataKeys; ++i)
    data["k" + std::to_string(i)] = i;
  Json object = node(std::string(event_limits::kMaxIdBytes, 'n'));
  object["data"] = data;
  EXPECT_TRUE(parse_client_event("node_change", change_of("add", object)).ok());
  EXPECT_TRUE(
      parse_client_event("join_workspace",
                         Json{{"workspaceId", std::string(event_limits::kMaxWorkspaceIdBytes, 'w')},
                              {"username", std::string(event_limits::kMaxUsernameBytes, 'u')}})
          .ok());
}

TEST(EventParse, ReadsPresenceUpdatesUpToTheNativeFrameBound) {
  const Json state{{"cursor", {{"x", 1.5}, {"y", -2}}}, {"selected", "n1"}};
  auto presence = std::get<PresenceUpdate>(
      parsed("presence_update", Json{{"state", state}, {"workspaceId", "w1"}}));
  EXPECT_EQ(presence.state, state);
  EXPECT_EQ(presence.workspace_id, "w1");
  // Just under the bound once encoded: a string's header is 3 bytes, the
  // map's 1, the key's 2.
  const std::string fill(event_limits::kMaxPresenceBytes - 6, 'c');
  EXPECT_TRUE(
      parse_client_event("presence_update", Json{{"state", {{"c", fill}}}, {"workspaceId", "w1"}})
          .ok());
  EXPECT_FALSE(parse_client_event("presence_update",
                                  Json{{"state", {{"c", fill + "cc"}}}, {"workspaceId", "w1"}})
                   .ok());
  EXPECT_EQ(presence_update_event("u1", state).payload, (Json{{"userId", "u1"}, {"state", state}}));
  EXPECT_EQ(presence_update_event("u1", state).name, "presence_update");
}

TEST(EventParse, BuildsTheSeedsServerEventShapes) {
  EXPECT_EQ(node_change_event(ChangeType::remove, Json{{"id", "n1"}}, "u1").payload,
            (Json{{"type", "delete"}, {"node", {{"id", "n1"}}}, {"userId", "u1"}}));
  EXPECT_EQ(edge_change_event(ChangeType::add, Json{{"id", "e1"}}, "u1").name, "edge_change");
  EXPECT_EQ(node_data_update_event("n1", Json{{"k", 1}}, "u1").payload,
            (Json{{"nodeId", "n1"}, {"data", {{"k", 1}}}, {"userId", "u1"}}));
  EXPECT_EQ(error_event("bad").payload, (Json{{"message", "bad"}}));
  const auto sync =
      workspace_sync_event(Json::array(), Json::array(), Json::array(), "w1", Json{{"id", "u1"}});
  EXPECT_EQ(sync.payload.size(), 5u);
  EXPECT_EQ(sync.payload["workspaceId"], "w1");
}

}  // namespace
}  // namespace trellis::adapters
