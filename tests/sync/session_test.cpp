// The sync state machines, one message at a time: ServerSession (handshake,
// refusals, delta validation, duplicates, acks, presence) and ClientSession
// (outbox, hello, welcome and resend, acks, errors), as docs/protocol.md
// specifies them; and the `batch` of protocol version 2: a client handles a
// batch's messages in order as if each had come alone and treats a
// malformed batch like any malformed frame, and the server speaks both
// versions but takes no batch from a client.

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crdt/crdt_testing.hpp"
#include "sync/support/frames.hpp"
#include "trellis/crdt/dot_set.hpp"
#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/crdt/lww_map.hpp"
#include "trellis/crdt/stamp.hpp"
#include "trellis/sync/client_session.hpp"
#include "trellis/sync/delta_log.hpp"
#include "trellis/sync/message_codec.hpp"
#include "trellis/sync/server_session.hpp"
#include "trellis/sync/workspace_replica.hpp"

namespace trellis::sync {
namespace {

using crdt::Dot;
using crdt::GraphDoc;
using crdt::testing::applied;
using testkit::message_of;

constexpr ReplicaId kServer{1000};
constexpr ReplicaId kAlice{1};
constexpr ReplicaId kBob{2};
constexpr ReplicaId kMallory{66};

Json node(std::string id) {
  return Json{{"id", std::move(id)}, {"type", "default"}, {"position", {{"x", 0}, {"y", 0}}}};
}

// A local edit of `doc` as the delta message its client sends: the delta
// and the transaction dot it covers.
DeltaMessage edit_message(GraphDoc& doc,
                          const std::function<crdt::Result<GraphDoc>(GraphDoc&)>& edit) {
  const Dot dot = doc.context().next_dot(doc.replica());
  CausalContext covers;
  covers.insert(dot);
  return DeltaMessage{crdt::encode(applied(edit(doc))), covers};
}

DeltaMessage add_node_message(GraphDoc& doc, const std::string& id) {
  return edit_message(doc, [&](GraphDoc& d) { return d.add_node(node(id)); });
}

CausalContext dots(std::initializer_list<Dot> list) {
  CausalContext context;
  for (const Dot& dot : list)
    context.insert(dot);
  return context;
}

Hello hello_from(ReplicaId replica, CausalContext context = {}) {
  return Hello{kProtocolVersion, "ws-1", replica, std::nullopt, std::move(context), "laptop"};
}

UserIdentity user_for(ReplicaId replica) {
  return UserIdentity{"user_" + std::to_string(replica.value), "Ada", "#ff8800"};
}

// A session past its handshake with `replica`.
ServerSession established(WorkspaceReplica& workspace, ReplicaId replica) {
  ServerSession session;
  const ServerOutput hello = session.on_frame(encode_message(hello_from(replica)), &workspace);
  EXPECT_TRUE(hello.hello.has_value());
  const ServerOutput welcome = session.accept(workspace, user_for(replica));
  EXPECT_EQ(welcome.to_peer.size(), 1u);
  EXPECT_EQ(session.state(), ServerSession::State::established);
  return session;
}

// The one frame of `out` is an error with `code`, and the session closes
// unless the code keeps the connection open.
void expect_error(const ServerOutput& out, ProtocolError code, bool keeps_open) {
  ASSERT_EQ(out.to_peer.size(), 1u);
  const ErrorMessage error = message_of<ErrorMessage>(out.to_peer[0]);
  EXPECT_EQ(error.code, code) << error.message;
  EXPECT_EQ(error.keeps_open, keeps_open);
  EXPECT_EQ(out.close, !keeps_open);
  EXPECT_FALSE(out.broadcast.has_value());
  EXPECT_FALSE(out.persist.has_value());
  EXPECT_FALSE(out.hello.has_value());
}

ClientConfig client_config() {
  return ClientConfig{"ws-1", "laptop", std::string("token")};
}

// A client that is online with an empty server.
ClientSession online_client(ReplicaId replica, GraphDoc doc = {}) {
  ClientSession client(client_config(), doc.replica().is_null() ? GraphDoc(replica) : doc);
  (void)client.on_connected();
  const ClientOutput out = client.on_frame(
      encode_message(Welcome{kServer, user_for(replica), crdt::encode(GraphDoc{}), {}}));
  EXPECT_EQ(client.state(), ConnectionState::online);
  EXPECT_FALSE(out.close);
  return client;
}

// ------------------------------------------------------------ ServerSession: handshake

TEST(ServerSession, HelloGoesToTheHostAndAcceptAnswersWelcomeWithWhatThePeerLacks) {
  WorkspaceReplica workspace(kServer);
  GraphDoc bob(kBob);
  ASSERT_TRUE(workspace.apply(add_node_message(bob, "b1"), kBob).ok());
  ASSERT_TRUE(workspace.apply(add_node_message(bob, "b2"), kBob).ok());

  ServerSession session;
  const Hello hello = hello_from(kAlice);
  const ServerOutput first = session.on_frame(encode_message(hello), &workspace);
  ASSERT_TRUE(first.hello.has_value());
  EXPECT_EQ(*first.hello, hello);
  EXPECT_TRUE(first.to_peer.empty());
  EXPECT_FALSE(first.close);
  EXPECT_EQ(session.state(), ServerSession::State::awaiting_accept);
  EXPECT_EQ(session.peer_replica(), kAlice);

  const ServerOutput accepted = session.accept(workspace, user_for(kAlice));
  EXPECT_EQ(session.state(), ServerSession::State::established);
  EXPECT_EQ(session.user(), user_for(kAlice));
  ASSERT_EQ(accepted.to_peer.size(), 1u);
  const Welcome welcome = message_of<Welcome>(accepted.to_peer[0]);
  EXPECT_EQ(welcome.server_replica, kServer);
  EXPECT_EQ(welcome.user, user_for(kAlice));
  EXPECT_EQ(welcome.context, workspace.doc().context());
  GraphDoc caught_up;
  ASSERT_FALSE(crdt::join_encoded(caught_up, welcome.catch_up).has_value());
  EXPECT_EQ(caught_up, workspace.doc());
}

TEST(ServerSession, CatchUpLeavesOutWhatThePeerAlreadyHas) {
  WorkspaceReplica workspace(kServer);
  GraphDoc bob(kBob);
  const DeltaMessage first = add_node_message(bob, "b1");
  const DeltaMessage second = add_node_message(bob, "b2");
  ASSERT_TRUE(workspace.apply(first, kBob).ok());
  ASSERT_TRUE(workspace.apply(second, kBob).ok());

  ServerSession session;
  (void)session.on_frame(encode_message(hello_from(kAlice, first.covers)), &workspace);
  const Welcome welcome =
      message_of<Welcome>(session.accept(workspace, user_for(kAlice)).to_peer.at(0));
  // Exactly the second edit, as it travelled.
  EXPECT_EQ(welcome.catch_up, second.delta);
}

TEST(ServerSession, UnsupportedVersionIsRefusedAndTheConnectionCloses) {
  WorkspaceReplica workspace(kServer);
  ServerSession session;
  Hello hello = hello_from(kAlice);
  hello.protocol_version = kProtocolVersion + 1;
  const ServerOutput out = session.on_frame(encode_message(hello), &workspace);
  expect_error(out, ProtocolError::unsupported_version, false);
  const ErrorMessage error = message_of<ErrorMessage>(out.to_peer.at(0));
  EXPECT_NE(error.message.find(std::to_string(kProtocolVersion + 1)), std::string::npos)
      << error.message;
  EXPECT_EQ(session.state(), ServerSession::State::closed);
  // A closed session ignores whatever still arrives.
  const ServerOutput later = session.on_frame(encode_message(hello_from(kAlice)), &workspace);
  EXPECT_TRUE(later.to_peer.empty());
  EXPECT_FALSE(later.hello.has_value());
}

TEST(ServerSession, DeltaBeforeHelloIsUnexpectedAndCloses) {
  WorkspaceReplica workspace(kServer);
  const GraphDoc before = workspace.doc();
  GraphDoc alice(kAlice);
  ServerSession session;
  const ServerOutput out =
      session.on_frame(encode_message(add_node_message(alice, "a1")), &workspace);
  expect_error(out, ProtocolError::unexpected_message, false);
  EXPECT_EQ(session.state(), ServerSession::State::closed);
  EXPECT_EQ(workspace.doc(), before);
}

TEST(ServerSession, AnyFrameBeforeTheHostAnswersHelloIsUnexpected) {
  WorkspaceReplica workspace(kServer);
  GraphDoc alice(kAlice);
  ServerSession session;
  (void)session.on_frame(encode_message(hello_from(kAlice)), &workspace);
  const ServerOutput out =
      session.on_frame(encode_message(add_node_message(alice, "a1")), &workspace);
  expect_error(out, ProtocolError::unexpected_message, false);
  EXPECT_TRUE(workspace.doc().nodes().empty());
}

TEST(ServerSession, RefusedHelloGetsTheHostsErrorAndCloses) {
  WorkspaceReplica workspace(kServer);
  ServerSession session;
  (void)session.on_frame(encode_message(hello_from(kAlice)), &workspace);
  const ServerOutput out = session.refuse(ProtocolError::unauthorized, "bad token");
  expect_error(out, ProtocolError::unauthorized, false);
  EXPECT_EQ(message_of<ErrorMessage>(out.to_peer.at(0)).message, "bad token");
  EXPECT_EQ(session.state(), ServerSession::State::closed);
}

TEST(ServerSession, UndecodableFrameIsMalformedAndCloses) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  const Bytes garbage = {0x93, 0x03, 0xc1, 0x00};
  expect_error(session.on_frame(garbage, &workspace), ProtocolError::malformed_message, false);
  EXPECT_EQ(session.state(), ServerSession::State::closed);
}

TEST(ServerSession, FramePastTheSessionsLimitIsTooLargeAndCloses) {
  WorkspaceReplica workspace(kServer);
  ServerSession session(64);
  const Bytes frame = encode_message(DeltaMessage{Bytes(100, 1), dots({Dot{kAlice, 1}})});
  expect_error(session.on_frame(frame, &workspace), ProtocolError::message_too_large, false);
}

TEST(ServerSession, ServerOnlyMessagesFromTheClientAreUnexpected) {
  const std::vector<Message> server_only = {
      Ack{dots({Dot{kAlice, 1}})}, Welcome{kServer, user_for(kAlice), crdt::encode(GraphDoc{}), {}},
      hello_from(kAlice),  // a second hello
  };
  for (const Message& message : server_only) {
    WorkspaceReplica workspace(kServer);
    ServerSession session = established(workspace, kAlice);
    expect_error(session.on_frame(encode_message(message), &workspace),
                 ProtocolError::unexpected_message, false);
  }
}

TEST(ServerSession, ErrorFromTheClientClosesWithoutAnAnswer) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  const ServerOutput out = session.on_frame(
      encode_message(ErrorMessage{ProtocolError::internal_error, "bye", false}), &workspace);
  EXPECT_TRUE(out.to_peer.empty());
  EXPECT_TRUE(out.close);
  EXPECT_EQ(session.state(), ServerSession::State::closed);
}

// ------------------------------------------------------------ ServerSession: deltas

TEST(ServerSession, NewDeltaIsAppliedBroadcastAsReceivedAndPersisted) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  GraphDoc alice(kAlice);
  const DeltaMessage message = add_node_message(alice, "a1");
  const Bytes frame = encode_message(message);
  const ServerOutput out = session.on_frame(frame, &workspace);
  EXPECT_TRUE(out.to_peer.empty());
  EXPECT_FALSE(out.close);
  ASSERT_TRUE(out.broadcast.has_value());
  EXPECT_EQ(*out.broadcast, frame);
  ASSERT_TRUE(out.persist.has_value());
  EXPECT_EQ(out.persist->delta, message.delta);
  EXPECT_EQ(out.persist->covers, message.covers);
  EXPECT_TRUE(workspace.doc().has_node("a1"));
  EXPECT_EQ(workspace.log().size(), 1u);
}

TEST(ServerSession, DuplicateDeltaIsPersistedAndAckedButNotBroadcast) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  GraphDoc alice(kAlice);
  const Bytes frame = encode_message(add_node_message(alice, "a1"));
  (void)session.on_frame(frame, &workspace);
  const GraphDoc after_first = workspace.doc();

  const ServerOutput again = session.on_frame(frame, &workspace);
  EXPECT_TRUE(again.to_peer.empty());
  EXPECT_FALSE(again.close);
  EXPECT_FALSE(again.broadcast.has_value());
  ASSERT_TRUE(again.persist.has_value());
  EXPECT_EQ(workspace.doc(), after_first);
  EXPECT_EQ(workspace.log().size(), 1u);

  const ServerOutput durable = session.on_durable(again.persist->covers);
  ASSERT_EQ(durable.to_peer.size(), 1u);
  EXPECT_EQ(message_of<Ack>(durable.to_peer[0]).durable, dots({Dot{kAlice, 1}}));
}

TEST(ServerSession, DurableWriteIsAnsweredWithAnAckOnlyWhileEstablished) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  const CausalContext covers = dots({Dot{kAlice, 1}, Dot{kAlice, 2}});
  const ServerOutput out = session.on_durable(covers);
  ASSERT_EQ(out.to_peer.size(), 1u);
  EXPECT_EQ(message_of<Ack>(out.to_peer[0]).durable, covers);
  EXPECT_FALSE(out.close);

  (void)session.on_frame(Bytes{0xc1}, &workspace);  // closes it
  EXPECT_TRUE(session.on_durable(covers).to_peer.empty());
}

// An invalid delta gets invalid_delta, the connection stays open, the
// workspace does not change, and the next valid delta is applied.
void expect_invalid_delta(const DeltaMessage& message, ReplicaId sender) {
  WorkspaceReplica workspace(kServer);
  GraphDoc bob(kBob);
  ASSERT_TRUE(workspace.apply(add_node_message(bob, "b1"), kBob).ok());
  const GraphDoc before = workspace.doc();
  const std::size_t log_size = workspace.log().size();
  ServerSession session = established(workspace, sender);

  const ServerOutput out = session.on_frame(encode_message(message), &workspace);
  expect_error(out, ProtocolError::invalid_delta, true);
  EXPECT_EQ(session.state(), ServerSession::State::established);
  EXPECT_EQ(workspace.doc(), before);
  EXPECT_EQ(workspace.log().size(), log_size);

  GraphDoc honest(sender);
  honest.join(workspace.doc());
  const ServerOutput next =
      session.on_frame(encode_message(add_node_message(honest, "after")), &workspace);
  EXPECT_TRUE(next.to_peer.empty());
  EXPECT_TRUE(next.broadcast.has_value());
  EXPECT_TRUE(workspace.doc().has_node("after"));
}

TEST(ServerSession, UndecodableDeltaIsInvalidAndTheConnectionStaysOpen) {
  expect_invalid_delta(DeltaMessage{Bytes{0x93, 0x07, 0x01}, dots({Dot{kAlice, 1}})}, kAlice);
}

TEST(ServerSession, DeltaCoveringNoEventIsInvalid) {
  GraphDoc alice(kAlice);
  DeltaMessage message = add_node_message(alice, "a1");
  message.covers = {};
  expect_invalid_delta(message, kAlice);
}

TEST(ServerSession, DeltaCoveringAnotherReplicasEventIsInvalid) {
  // Alice's own edit, sent by Mallory.
  GraphDoc alice(kAlice);
  expect_invalid_delta(add_node_message(alice, "a1"), kMallory);
}

TEST(ServerSession, DeltaCoveringAnEventOutsideItsContextIsInvalid) {
  GraphDoc alice(kAlice);
  DeltaMessage message = add_node_message(alice, "a1");
  message.covers.insert(Dot{kAlice, 2});
  expect_invalid_delta(message, kAlice);
}

TEST(ServerSession, DeltaAddingWithAnEventItDoesNotCoverIsInvalid) {
  // Mallory relays Alice's add inside a delta that covers only her own event.
  GraphDoc alice(kAlice);
  GraphDoc mallory(kMallory);
  mallory.join(applied(alice.add_node(node("a1"))));
  GraphDoc relay = applied(mallory.add_node(node("m1")));
  relay.join(alice);
  expect_invalid_delta(DeltaMessage{crdt::encode(relay), dots({Dot{kMallory, 1}})}, kMallory);
}

TEST(ServerSession, DeltaWritingAFieldWithAnEventItDoesNotCoverIsInvalid) {
  // Mallory's node m1 is kept present by her covered event (66, 2), but its
  // `type` is stamped by her event (66, 1), which the message does not cover.
  crdt::EntityMap nodes;
  crdt::EntityState& entity = nodes["m1"];
  crdt::insert_dot(entity.dots, Dot{kMallory, 2});
  entity.fields.merge(crdt::FieldKey::top("type"),
                      {std::optional<Json>(Json("forged")), crdt::Stamp{1, kMallory, 1}});
  auto delta =
      GraphDoc::from_parts(dots({Dot{kMallory, 1}, Dot{kMallory, 2}}), std::move(nodes), {});
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  expect_invalid_delta(DeltaMessage{crdt::encode(*delta), dots({Dot{kMallory, 2}})}, kMallory);
}

// A client can only have learnt of another client's event through the
// server, so a delta whose context holds another replica's event the
// server has never seen is forged. Accepting it puts that event in the
// server's context, and the honest client's real edit with that dot is then
// taken for a duplicate: acknowledged, and silently dropped.
TEST(ServerSession, ForgedRemovalOfAnUnseenEventCannotSuppressAnotherClientsEdit) {
  WorkspaceReplica workspace(kServer);
  ServerSession mallory_session = established(workspace, kMallory);
  ServerSession alice_session = established(workspace, kAlice);

  // Mallory invents Alice's first event, then "removes" it.
  GraphDoc invented(kAlice);
  GraphDoc mallory(kMallory);
  mallory.join(applied(invented.add_node(node("decoy"))));
  const DeltaMessage forged =
      edit_message(mallory, [](GraphDoc& d) { return d.remove_node("decoy"); });
  (void)mallory_session.on_frame(encode_message(forged), &workspace);

  // Alice's real first edit.
  GraphDoc alice(kAlice);
  const ServerOutput out =
      alice_session.on_frame(encode_message(add_node_message(alice, "a1")), &workspace);
  EXPECT_TRUE(workspace.doc().has_node("a1"))
      << "Alice's edit (r1, 1) was acknowledged but never applied nor forwarded; the server "
         "context already held (r1, 1) from Mallory's forged delta";
  EXPECT_TRUE(out.broadcast.has_value());
}

// ------------------------------------------------------------ ServerSession: presence

TEST(ServerSession, PresenceIsForwardedWithTheServerAssignedUserIdentity) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  const Json state{{"cursor", {{"x", 4}, {"y", 2}}}, {"selection", {"n1"}}};
  const ServerOutput out =
      session.on_frame(encode_message(Presence{"user_999_impostor", state}), &workspace);
  EXPECT_TRUE(out.to_peer.empty());
  EXPECT_FALSE(out.persist.has_value());
  EXPECT_FALSE(out.close);
  EXPECT_FALSE(out.broadcast.has_value()) << "presence goes out as coalescible presence";
  ASSERT_TRUE(out.presence.has_value());
  const Presence presence = message_of<Presence>(*out.presence);
  EXPECT_EQ(presence.user_id, user_for(kAlice).id);
  EXPECT_EQ(presence.state, presence_state_of(user_for(kAlice), state));
  EXPECT_EQ(presence.state["user"]["username"], user_for(kAlice).name);
  EXPECT_TRUE(workspace.doc().empty()) << "presence is never stored";
}

TEST(ServerSession, PresenceTooLargeToWrapIsRefusedAndTheConnectionStays) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  const Json state(std::string(limits::kMaxClientPresenceBytes, 'x'));
  const ServerOutput out = session.on_frame(encode_message(Presence{"", state}), &workspace);
  EXPECT_FALSE(out.presence.has_value());
  EXPECT_FALSE(out.close);
  ASSERT_EQ(out.to_peer.size(), 1u);
  EXPECT_EQ(message_of<ErrorMessage>(out.to_peer[0]).code, ProtocolError::message_too_large);
  EXPECT_EQ(session.state(), ServerSession::State::established);
}

TEST(ServerSession, TheLargestClientPresenceStillFitsOnceWrapped) {
  WorkspaceReplica workspace(kServer);
  const UserIdentity longest{"user_" + std::string(limits::kMaxUserFieldBytes - 5, 'u'),
                             std::string(limits::kMaxUserFieldBytes, 'n'),
                             std::string(limits::kMaxUserFieldBytes, 'c')};
  // The encoded JSON string takes a 5-byte header: the state is exactly the limit.
  const Json state(std::string(limits::kMaxClientPresenceBytes - 5, 'x'));
  const Bytes frame = user_presence_frame(longest, state);
  auto decoded = decode_message(frame);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(std::get<Presence>(*decoded).state["state"], state);
}

// ------------------------------------------------------------ ClientSession

TEST(ClientSession, OfflineEditsWaitInTheOutboxAndOnlineEditsAreSentAtOnce) {
  ClientSession client(client_config(), GraphDoc(kAlice));
  EXPECT_EQ(client.state(), ConnectionState::offline);
  auto offline = client.edit([](GraphDoc& d) { return d.add_node(node("a1")); });
  ASSERT_TRUE(offline.ok());
  EXPECT_FALSE(offline->has_value());
  ASSERT_EQ(client.outbox().size(), 1u);
  EXPECT_EQ(client.outbox()[0].covers, dots({Dot{kAlice, 1}}));
  EXPECT_TRUE(client.received().contains(Dot{kAlice, 1}));
  EXPECT_TRUE(client.doc().has_node("a1"));

  ClientSession online = online_client(kAlice);
  auto sent = online.edit([](GraphDoc& d) { return d.add_node(node("a1")); });
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(sent->has_value());
  const DeltaMessage message = message_of<DeltaMessage>(**sent);
  EXPECT_EQ(message.covers, dots({Dot{kAlice, 1}}));
  EXPECT_EQ(message.delta, online.outbox()[0].delta);
}

// The scalar form of a parameter edit is edit() of set_node_data_value:
// the same frame, the same outbox entry, the same replica after; refused,
// it leaves nothing in the outbox. Offline it queues without a frame.
TEST(ClientSession, AScalarParameterEditIsTheJsonEditsFrameAndOutboxEntry) {
  ClientSession scalar_client = online_client(kAlice);
  ClientSession json_client = online_client(kAlice);
  for (ClientSession* client : {&scalar_client, &json_client})
    ASSERT_TRUE(client->edit([](GraphDoc& d) { return d.add_node(node("a1")); }).ok());

  const std::vector<crdt::FieldScalar> values = {2.5, std::string_view("red"), std::int64_t{-3},
                                                 true, nullptr};
  for (const crdt::FieldScalar& value : values) {
    auto scalar_frame = scalar_client.set_node_data_scalar("a1", "p", value);
    auto json_frame = json_client.edit(
        [&](GraphDoc& d) { return d.set_node_data_value("a1", "p", crdt::to_json(value)); });
    ASSERT_TRUE(scalar_frame.ok()) << scalar_frame.error().message;
    ASSERT_TRUE(json_frame.ok());
    ASSERT_TRUE(scalar_frame->has_value());
    EXPECT_EQ(**scalar_frame, **json_frame);
    EXPECT_EQ(scalar_client.outbox().back(), json_client.outbox().back());
    EXPECT_EQ(scalar_client.doc(), json_client.doc());
    EXPECT_EQ(scalar_client.received(), json_client.received());
  }

  const std::size_t queued = scalar_client.outbox().size();
  auto refused = scalar_client.set_node_data_scalar("missing", "p", 1.0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, crdt::ErrorCode::not_found);
  EXPECT_EQ(scalar_client.outbox().size(), queued);
  EXPECT_EQ(scalar_client.doc(), json_client.doc());

  scalar_client.on_disconnected();
  auto offline = scalar_client.set_node_data_scalar("a1", "p", 7.0);
  ASSERT_TRUE(offline.ok());
  EXPECT_FALSE(offline->has_value());
  EXPECT_EQ(scalar_client.outbox().size(), queued + 1);
}

TEST(ClientSession, FailedOrEmptyEditLeavesNothingInTheOutbox) {
  ClientSession client = online_client(kAlice);
  auto missing = client.edit([](GraphDoc& d) { return d.remove_node("nope"); });
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(client.outbox().empty());
  ASSERT_TRUE(client.edit([](GraphDoc& d) { return d.add_node(node("a1")); }).ok());
  auto empty_patch =
      client.edit([](GraphDoc& d) { return d.update_node_fields("a1", Json::object()); });
  ASSERT_TRUE(empty_patch.ok());
  EXPECT_FALSE(empty_patch->has_value());
  EXPECT_EQ(client.outbox().size(), 1u);
}

// Acks one by one, each for the next edit in flight (the server's order):
// after each, the outbox is exactly the edits not yet acknowledged, oldest
// first, across the points where acknowledged entries are erased; and a
// reconnect resends exactly those.
TEST(ClientSession, AcksInOrderLeaveExactlyTheUnacknowledgedEditsInOrder) {
  ClientSession alice = online_client(kAlice);
  constexpr std::uint64_t kEdits = 37;
  for (std::uint64_t i = 0; i < kEdits; ++i) {
    ASSERT_TRUE(
        alice.edit([&](GraphDoc& d) { return d.add_node(node("a" + std::to_string(i))); }).ok());
  }
  ASSERT_EQ(alice.outbox().size(), kEdits);
  CausalContext durable;
  for (std::uint64_t acked = 1; acked <= 20; ++acked) {
    durable.insert(Dot{kAlice, acked});
    EXPECT_FALSE(alice.on_message(Ack{durable}).close);
    ASSERT_EQ(alice.outbox().size(), kEdits - acked);
    for (std::size_t i = 0; i < alice.outbox().size(); ++i)
      ASSERT_EQ(alice.outbox()[i].covers, dots({Dot{kAlice, acked + 1 + i}})) << "after " << acked;
  }
  // An ack that repeats what is already durable changes nothing.
  EXPECT_FALSE(alice.on_message(Ack{durable}).close);
  ASSERT_EQ(alice.outbox().size(), kEdits - 20);

  alice.on_disconnected();
  (void)alice.on_connected();
  const ClientOutput resent =
      alice.on_message(Welcome{kServer, user_for(kAlice), crdt::encode(GraphDoc{}), {}});
  ASSERT_EQ(resent.to_server.size(), kEdits - 20);
  for (std::size_t i = 0; i < resent.to_server.size(); ++i) {
    const auto message = message_of<DeltaMessage>(resent.to_server[i]);
    EXPECT_EQ(message.covers, dots({Dot{kAlice, 21 + i}}));
    EXPECT_EQ(message.delta, alice.outbox()[i].delta);
  }
  // Then the rest at once: the outbox empties.
  for (std::uint64_t seq = 21; seq <= kEdits; ++seq)
    durable.insert(Dot{kAlice, seq});
  (void)alice.on_message(Ack{durable});
  EXPECT_TRUE(alice.outbox().empty());
  // And it keeps working: a new edit waits for its own ack.
  ASSERT_TRUE(alice.edit([](GraphDoc& d) { return d.add_node(node("later")); }).ok());
  ASSERT_EQ(alice.outbox().size(), 1u);
  EXPECT_EQ(alice.outbox()[0].covers, dots({Dot{kAlice, kEdits + 1}}));
}

// A durable context with a gap (its dots past the gap in the cloud) drops
// the edits it covers beyond the gap too, and keeps the one in the gap.
TEST(ClientSession, AnAckWithAGapDropsWhatItCoversAndKeepsTheRestInOrder) {
  ClientSession alice = online_client(kAlice);
  for (const char* id : {"a1", "a2", "a3", "a4"})
    ASSERT_TRUE(alice.edit([&](GraphDoc& d) { return d.add_node(node(id)); }).ok());
  (void)alice.on_message(Ack{dots({Dot{kAlice, 1}, Dot{kAlice, 3}})});
  ASSERT_EQ(alice.outbox().size(), 2u);
  EXPECT_EQ(alice.outbox()[0].covers, dots({Dot{kAlice, 2}}));
  EXPECT_EQ(alice.outbox()[1].covers, dots({Dot{kAlice, 4}}));
  (void)alice.on_message(Ack{dots({Dot{kAlice, 1}, Dot{kAlice, 2}, Dot{kAlice, 3}})});
  ASSERT_EQ(alice.outbox().size(), 1u);
  EXPECT_EQ(alice.outbox()[0].covers, dots({Dot{kAlice, 4}}));
}

// trellisd acknowledges each delta with its own dot only: past the first,
// a context of one cloud dot. In order, each drops its edit; one ahead of
// the others drops just its own; the rest stay in order.
TEST(ClientSession, AcksOfOneDotEachAsTrellisdSendsThemDropExactlyTheirEdits) {
  ClientSession alice = online_client(kAlice);
  for (int i = 1; i <= 8; ++i)
    ASSERT_TRUE(
        alice.edit([&](GraphDoc& d) { return d.add_node(node("a" + std::to_string(i))); }).ok());
  auto remaining = [&] {
    std::vector<std::uint64_t> seqs;
    for (const auto& entry : alice.outbox()) {
      std::optional<std::uint64_t> seq;
      entry.covers.for_each_dot([&](Dot dot) { seq = dot.seq; });
      seqs.push_back(seq.value_or(0));
    }
    return seqs;
  };
  for (std::uint64_t seq : {1, 2})
    (void)alice.on_message(Ack{dots({Dot{kAlice, seq}})});
  EXPECT_EQ(remaining(), (std::vector<std::uint64_t>{3, 4, 5, 6, 7, 8}));
  (void)alice.on_message(Ack{dots({Dot{kAlice, 6}})});
  EXPECT_EQ(remaining(), (std::vector<std::uint64_t>{3, 4, 5, 7, 8}));
  (void)alice.on_message(Ack{dots({Dot{kAlice, 8}})});
  EXPECT_EQ(remaining(), (std::vector<std::uint64_t>{3, 4, 5, 7}));
  (void)alice.on_message(Ack{dots({Dot{kAlice, 4}})});
  EXPECT_EQ(remaining(), (std::vector<std::uint64_t>{3, 5, 7}));
  // An ack of another replica's dot, or of one not in flight, drops nothing.
  (void)alice.on_message(Ack{dots({Dot{kBob, 5}})});
  (void)alice.on_message(Ack{dots({Dot{kAlice, 40}})});
  EXPECT_EQ(remaining(), (std::vector<std::uint64_t>{3, 5, 7}));
  for (std::uint64_t seq : {3, 5, 7})
    (void)alice.on_message(Ack{dots({Dot{kAlice, seq}})});
  EXPECT_TRUE(alice.outbox().empty());
}

TEST(ClientSession, HelloCarriesTheClientsIdentityAndTheEventsItReceivedInFull) {
  ClientSession client(client_config(), GraphDoc(kAlice));
  (void)client.edit([](GraphDoc& d) { return d.add_node(node("a1")); });
  const Hello hello = message_of<Hello>(client.on_connected());
  EXPECT_EQ(client.state(), ConnectionState::connecting);
  EXPECT_EQ(hello.protocol_version, kProtocolVersion);
  EXPECT_EQ(hello.workspace_id, "ws-1");
  EXPECT_EQ(hello.replica, kAlice);
  EXPECT_EQ(hello.auth_token, std::optional<std::string>("token"));
  EXPECT_EQ(hello.client_name, "laptop");
  EXPECT_EQ(hello.context, client.received());
}

// Bob's add reached the server; Alice hears only of Bob's later removal of
// it. Her replica's context now holds Bob's add, but she has not received
// its delta: hello must not claim it, so that the server still sends it.
TEST(ClientSession, EventKnownOnlyThroughItsRemovalIsNotClaimedAsReceived) {
  GraphDoc bob(kBob);
  (void)applied(bob.add_node(node("b1")));
  const DeltaMessage removal = edit_message(bob, [](GraphDoc& d) { return d.remove_node("b1"); });
  ClientSession alice = online_client(kAlice);
  const ClientOutput out = alice.on_frame(encode_message(removal));
  EXPECT_FALSE(out.close);
  EXPECT_TRUE(alice.doc().context().contains(Dot{kBob, 1}));
  EXPECT_FALSE(alice.received().contains(Dot{kBob, 1}));
  EXPECT_TRUE(alice.received().contains(Dot{kBob, 2}));
  alice.on_disconnected();
  EXPECT_FALSE(message_of<Hello>(alice.on_connected()).context.contains(Dot{kBob, 1}));
}

TEST(ClientSession, WelcomeJoinsTheCatchUpAndResendsEveryUnacknowledgedEntry) {
  WorkspaceReplica workspace(kServer);
  GraphDoc bob(kBob);
  ASSERT_TRUE(workspace.apply(add_node_message(bob, "b1"), kBob).ok());

  ClientSession alice(client_config(), GraphDoc(kAlice));
  for (const char* id : {"a1", "a2", "a3"}) {
    ASSERT_TRUE(alice.edit([&](GraphDoc& d) { return d.add_node(node(id)); }).ok());
  }
  // The server already has Alice's first edit (its ack was lost).
  ASSERT_TRUE(
      workspace.apply(DeltaMessage{alice.outbox()[0].delta, alice.outbox()[0].covers}, kAlice)
          .ok());

  ServerSession session;
  (void)session.on_frame(alice.on_connected(), &workspace);
  const ClientOutput out =
      alice.on_frame(session.accept(workspace, user_for(kAlice)).to_peer.at(0));
  EXPECT_FALSE(out.close);
  EXPECT_TRUE(out.document_changed);
  EXPECT_EQ(alice.state(), ConnectionState::online);
  EXPECT_EQ(alice.user(), std::optional<UserIdentity>(user_for(kAlice)));
  EXPECT_TRUE(alice.doc().has_node("b1"));
  // The first one too: its ack may have been lost, and only a resend (which
  // the server persists and acks as a duplicate) can bring it back.
  ASSERT_EQ(out.to_server.size(), 3u);
  EXPECT_EQ(message_of<DeltaMessage>(out.to_server[0]).covers, dots({Dot{kAlice, 1}}));
  EXPECT_EQ(message_of<DeltaMessage>(out.to_server[1]).covers, dots({Dot{kAlice, 2}}));
  EXPECT_EQ(message_of<DeltaMessage>(out.to_server[2]).covers, dots({Dot{kAlice, 3}}));
  EXPECT_TRUE(context_includes(alice.received(), workspace.doc().context()));
}

TEST(ClientSession, AckDropsExactlyTheAcknowledgedOutboxEntries) {
  ClientSession alice = online_client(kAlice);
  for (const char* id : {"a1", "a2", "a3"}) {
    ASSERT_TRUE(alice.edit([&](GraphDoc& d) { return d.add_node(node(id)); }).ok());
  }
  const ClientOutput out =
      alice.on_frame(encode_message(Ack{dots({Dot{kAlice, 1}, Dot{kAlice, 3}})}));
  EXPECT_TRUE(out.to_server.empty());
  EXPECT_FALSE(out.close);
  ASSERT_EQ(alice.outbox().size(), 1u);
  EXPECT_EQ(alice.outbox()[0].covers, dots({Dot{kAlice, 2}}));
}

TEST(ClientSession, DeltaFromTheServerIsJoinedAndMarkedReceived) {
  GraphDoc bob(kBob);
  const DeltaMessage message = add_node_message(bob, "b1");
  ClientSession alice = online_client(kAlice);
  const ClientOutput out = alice.on_frame(encode_message(message));
  EXPECT_TRUE(out.document_changed);
  EXPECT_TRUE(alice.doc().has_node("b1"));
  EXPECT_TRUE(context_includes(alice.received(), message.covers));
}

TEST(ClientSession, ErrorThatDoesNotKeepTheConnectionOpenCloses) {
  ClientSession alice = online_client(kAlice);
  const ClientOutput out =
      alice.on_frame(encode_message(ErrorMessage{ProtocolError::server_busy, "later", false}));
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->code, ProtocolError::server_busy);
  EXPECT_TRUE(out.close);
  EXPECT_TRUE(out.to_server.empty());
}

TEST(ClientSession, ErrorThatKeepsTheConnectionOpenIsReportedOnly) {
  ClientSession alice = online_client(kAlice);
  const ClientOutput out =
      alice.on_frame(encode_message(ErrorMessage{ProtocolError::invalid_delta, "bad", true}));
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->code, ProtocolError::invalid_delta);
  EXPECT_FALSE(out.close);
  EXPECT_EQ(alice.state(), ConnectionState::online);
}

TEST(ClientSession, AnythingButWelcomeAnsweringHelloIsAProtocolViolation) {
  GraphDoc bob(kBob);
  ClientSession alice(client_config(), GraphDoc(kAlice));
  (void)alice.on_connected();
  const ClientOutput out = alice.on_frame(encode_message(add_node_message(bob, "b1")));
  EXPECT_TRUE(out.close);
  ASSERT_EQ(out.to_server.size(), 1u);
  EXPECT_EQ(message_of<ErrorMessage>(out.to_server[0]).code, ProtocolError::unexpected_message);
  EXPECT_FALSE(alice.doc().has_node("b1"));
}

// docs/protocol.md: malformed_message is for "a frame [that] is not a valid
// message", unexpected_message for a valid one at the wrong time.
TEST(ClientSession, UndecodableFrameFromTheServerIsAnsweredWithMalformedMessage) {
  ClientSession alice = online_client(kAlice);
  const ClientOutput out = alice.on_frame(Bytes{0x93, 0x03, 0xc1});
  EXPECT_TRUE(out.close);
  ASSERT_EQ(out.to_server.size(), 1u);
  EXPECT_EQ(message_of<ErrorMessage>(out.to_server[0]).code, ProtocolError::malformed_message);
}

TEST(ClientSession, PresenceIsSentOnlyOnlineAndOthersPresenceIsReported) {
  ClientSession offline(client_config(), GraphDoc(kAlice));
  EXPECT_FALSE(offline.presence(Json{{"x", 1}}).has_value());

  ClientSession alice = online_client(kAlice);
  const auto frame = alice.presence(Json{{"cursor", {{"x", 1}, {"y", 2}}}});
  ASSERT_TRUE(frame.has_value());
  const Presence sent = message_of<Presence>(*frame);
  EXPECT_EQ(sent.user_id, user_for(kAlice).id);
  EXPECT_EQ(sent.state, (Json{{"cursor", {{"x", 1}, {"y", 2}}}}));

  const Presence bobs{"user_2", Json{{"viewport", {1, 2, 3}}}};
  const ClientOutput out = alice.on_frame(encode_message(bobs));
  ASSERT_EQ(out.presence.size(), 1u);
  EXPECT_EQ(out.presence[0], bobs);
  EXPECT_FALSE(out.document_changed);
}

// ------------------------------------------------------------ recovery

// The server made Alice's edit durable, but the connection broke before its
// ack arrived. On reconnect the server's context has the edit, so Alice does
// not resend it, and nothing else ever acknowledges it: the entry must
// still leave the outbox (or the outbox grows with every lost ack).
TEST(SyncRecovery, OutboxEntryWhoseAckWasLostLeavesTheOutboxAfterReconnecting) {
  WorkspaceReplica workspace(kServer);
  ClientSession alice(client_config(), GraphDoc(kAlice));
  ServerSession first;
  (void)first.on_frame(alice.on_connected(), &workspace);
  (void)alice.on_frame(first.accept(workspace, user_for(kAlice)).to_peer.at(0));
  auto frame = alice.edit([](GraphDoc& d) { return d.add_node(node("a1")); });
  ASSERT_TRUE(frame.ok() && frame->has_value());
  const ServerOutput applied_out = first.on_frame(**frame, &workspace);
  ASSERT_TRUE(applied_out.persist.has_value());
  // Storage completes the write, but the ack is lost with the connection.
  (void)first.on_durable(applied_out.persist->covers);
  alice.on_disconnected();

  ServerSession second;
  (void)second.on_frame(alice.on_connected(), &workspace);
  const ClientOutput out = alice.on_frame(second.accept(workspace, user_for(kAlice)).to_peer.at(0));
  // The unacknowledged edit is resent; the server takes it as a duplicate
  // (nothing to fan out), persists it again and acks it once durable.
  ASSERT_EQ(out.to_server.size(), 1u);
  const ServerOutput duplicate = second.on_frame(out.to_server[0], &workspace);
  EXPECT_FALSE(duplicate.broadcast.has_value());
  ASSERT_TRUE(duplicate.persist.has_value());
  const ServerOutput acked = second.on_durable(duplicate.persist->covers);
  ASSERT_EQ(acked.to_peer.size(), 1u);
  (void)alice.on_frame(acked.to_peer[0]);
  EXPECT_TRUE(alice.outbox().empty())
      << "the durable edit (r1, 1) must leave the outbox once its ack arrives";
}

}  // namespace
}  // namespace trellis::sync

// ------------------------------------------------------------ WorkspaceReplica: server edits

namespace trellis::sync {
namespace {

TEST(WorkspaceReplica, AServerEditCoversItsOwnDotAndReachesLateClientsThroughTheLog) {
  WorkspaceReplica workspace(kServer);
  auto message = workspace.edit([](GraphDoc& doc) {
    return doc.add_node(Json{{"id", "n1"}, {"type", "box"}, {"position", {{"x", 0}, {"y", 0}}}});
  });
  ASSERT_TRUE(message);
  ASSERT_TRUE(message->has_value());
  EXPECT_TRUE((*message)->covers.contains(crdt::Dot{kServer, 1}));
  EXPECT_TRUE(workspace.doc().nodes().count("n1"));
  ASSERT_TRUE(workspace.log().missing_for(CausalContext{}).has_value())
      << "the edit is in the log, so a catch-up is a few bytes";
  GraphDoc late(kAlice);
  late.join(crdt::decode(workspace.catch_up_for(CausalContext{})).value());
  EXPECT_EQ(crdt::graph_view(late), crdt::graph_view(workspace.doc()));
}

TEST(WorkspaceReplica, AServerEditThatChangesNothingIsNoMessageAndABadOneIsAnError) {
  WorkspaceReplica workspace(kServer);
  auto nothing =
      workspace.edit([](GraphDoc& doc) { return crdt::Result<GraphDoc>(GraphDoc(doc.replica())); });
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(nothing->has_value());
  auto bad = workspace.edit([](GraphDoc& doc) { return doc.remove_node("missing"); });
  EXPECT_FALSE(bad);
  EXPECT_TRUE(workspace.doc().empty());
}

}  // namespace
}  // namespace trellis::sync

// ------------------------------------------------------------ batch (protocol version 2)

namespace trellis::sync {
namespace {

// Bob's next write of node `id`'s width.
DeltaMessage width_message(GraphDoc& bob, const std::string& id, int width) {
  return edit_message(bob, [&](GraphDoc& d) {
    return d.set_node_data(id, Json{{"width", width}});
  });
}

Welcome empty_welcome(ReplicaId replica) {
  return Welcome{kServer, user_for(replica), crdt::encode(GraphDoc{}), {}};
}

TEST(Batch, ClientAnnouncesTheVersionThatReadsBatches) {
  ClientSession client(client_config(), GraphDoc(kAlice));
  const Hello hello = message_of<Hello>(client.on_connected());
  EXPECT_EQ(hello.protocol_version, kProtocolVersion);
  EXPECT_TRUE(reads_batches(hello.protocol_version));
  EXPECT_FALSE(reads_batches(kOldestProtocolVersion));
}

// A welcome, presence and deltas in one batch: the client goes online and
// joins the deltas in order, ending where the same messages one frame each
// end (the last write of the field wins).
TEST(Batch, ClientHandlesABatchsMessagesInOrderAsIfEachCameAlone) {
  GraphDoc bob(kBob);
  Batch batch{{empty_welcome(kAlice), Presence{"user_2", Json{{"cursor", 1}}},
               add_node_message(bob, "n1")}};
  for (int width = 1; width <= 5; ++width)
    batch.messages.push_back(width_message(bob, "n1", width));

  ClientSession batched(client_config(), GraphDoc(kAlice));
  (void)batched.on_connected();
  const ClientOutput out = batched.on_frame(encode_message(batch));
  ClientSession one_by_one(client_config(), GraphDoc(kAlice));
  (void)one_by_one.on_connected();
  for (const Message& message : batch.messages)
    (void)one_by_one.on_frame(encode_message(message));

  EXPECT_FALSE(out.close);
  EXPECT_FALSE(out.error.has_value());
  EXPECT_TRUE(out.document_changed);
  EXPECT_EQ(batched.state(), ConnectionState::online);
  ASSERT_EQ(out.presence.size(), 1u);
  EXPECT_EQ(out.presence[0].user_id, "user_2");
  EXPECT_EQ(batched.doc(), one_by_one.doc());
  EXPECT_EQ(batched.received(), one_by_one.received());
  EXPECT_EQ(crdt::graph_view(batched.doc())["nodes"][0]["data"]["width"], 5);
}

// The outbox resent after a batched welcome goes in order, and an ack in a
// batch drops its entries as alone.
TEST(Batch, ResentOutboxKeepsItsOrderAndAnAckInABatchDropsItsEntries) {
  ClientSession alice(client_config(), GraphDoc(kAlice));
  for (const char* id : {"a1", "a2"})
    ASSERT_TRUE(alice.edit([&](GraphDoc& doc) { return doc.add_node(node(id)); }).ok());
  (void)alice.on_connected();
  const ClientOutput out =
      alice.on_frame(encode_message(Batch{{empty_welcome(kAlice), Presence{"user_2", Json(1)}}}));
  ASSERT_EQ(out.to_server.size(), 2u);
  EXPECT_EQ(message_of<DeltaMessage>(out.to_server[0]).delta, alice.outbox()[0].delta);
  EXPECT_EQ(message_of<DeltaMessage>(out.to_server[1]).delta, alice.outbox()[1].delta);

  const ClientOutput acked = alice.on_frame(
      encode_message(Batch{{Ack{alice.outbox()[0].covers}, Presence{"user_2", Json(nullptr)}}}));
  EXPECT_FALSE(acked.close);
  ASSERT_EQ(alice.outbox().size(), 1u);
  EXPECT_EQ(alice.outbox()[0].covers, dots({Dot{kAlice, 2}}));
}

// A closing error ends the batch: what follows it is not handled.
TEST(Batch, ClosingErrorInABatchStopsTheRest) {
  GraphDoc bob(kBob);
  ClientSession alice = online_client(kAlice);
  const ClientOutput out = alice.on_frame(
      encode_message(Batch{{ErrorMessage{ProtocolError::invalid_delta, "kept open", true},
                            ErrorMessage{ProtocolError::slow_consumer, "too slow", false},
                            add_node_message(bob, "b1")}}));
  EXPECT_TRUE(out.close);
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(out.error->code, ProtocolError::slow_consumer);
  EXPECT_FALSE(alice.doc().has_node("b1"));
}

// A malformed batch is a malformed frame: nothing of it is applied, the
// client answers malformed_message and closes.
TEST(Batch, MalformedBatchIsAMalformedFrameAndNothingOfItApplies) {
  GraphDoc bob(kBob);
  const Bytes good = encode_message(add_node_message(bob, "b1"));
  Bytes truncated = encode_message(add_node_message(bob, "b2"));
  truncated.pop_back();
  const std::vector<std::span<const std::uint8_t>> parts = {good, truncated};

  ClientSession alice = online_client(kAlice);
  const ClientOutput out = alice.on_frame(encode_batch(parts));
  EXPECT_TRUE(out.close);
  ASSERT_EQ(out.to_server.size(), 1u);
  EXPECT_EQ(message_of<ErrorMessage>(out.to_server[0]).code, ProtocolError::malformed_message);
  EXPECT_FALSE(alice.doc().has_node("b1"));
}

TEST(Batch, ServerSpeaksEveryVersionFromTheOldestOn) {
  for (std::uint32_t version = kOldestProtocolVersion; version <= kProtocolVersion; ++version) {
    WorkspaceReplica workspace(kServer);
    ServerSession session;
    Hello hello = hello_from(kAlice);
    hello.protocol_version = version;
    const ServerOutput out = session.on_frame(encode_message(hello), &workspace);
    ASSERT_TRUE(out.hello.has_value()) << "version " << version;
    EXPECT_EQ(out.hello->protocol_version, version);
    EXPECT_EQ(session.accept(workspace, user_for(kAlice)).to_peer.size(), 1u);
  }
  WorkspaceReplica workspace(kServer);
  ServerSession session;
  Hello zero = hello_from(kAlice);
  zero.protocol_version = 0;
  expect_error(session.on_frame(encode_message(zero), &workspace),
               ProtocolError::unsupported_version, false);
}

TEST(Batch, ServerTakesNoBatchFromAClient) {
  WorkspaceReplica workspace(kServer);
  ServerSession session = established(workspace, kAlice);
  GraphDoc alice(kAlice);
  const ServerOutput out =
      session.on_frame(encode_message(Batch{{add_node_message(alice, "a1")}}), &workspace);
  expect_error(out, ProtocolError::unexpected_message, false);
  EXPECT_FALSE(workspace.doc().has_node("a1"));
}

}  // namespace
}  // namespace trellis::sync
