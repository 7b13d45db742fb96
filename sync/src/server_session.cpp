#include "trellis/sync/server_session.hpp"

#include "trellis/crdt/value_codec.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::sync {

Json presence_state_of(const UserIdentity& user, Json client_state) {
  return Json{{"user", {{"id", user.id}, {"username", user.name}, {"color", user.color}}},
              {"state", std::move(client_state)}};
}

Bytes user_presence_frame(const UserIdentity& user, Json client_state) {
  return encode_message(Presence{user.id, presence_state_of(user, std::move(client_state))});
}

Bytes user_left_frame(const std::string& user_id) {
  return encode_message(Presence{user_id, Json(nullptr)});
}

ServerOutput ServerSession::fail(ProtocolError code, std::string message, bool keeps_open) {
  ServerOutput out;
  out.to_peer.push_back(encode_message(ErrorMessage{code, std::move(message), keeps_open}));
  out.error = code;
  if (!keeps_open) {
    out.close = true;
    state_ = State::closed;
  }
  return out;
}

ServerOutput ServerSession::on_frame(std::span<const std::uint8_t> frame,
                                     WorkspaceReplica* workspace) {
  if (state_ == State::closed) return {};
  auto decoded = decode_message(frame, max_frame_bytes_);
  if (!decoded) return fail(decoded.error().code, decoded.error().message, false);
  Message& message = *decoded;

  if (state_ == State::awaiting_hello) {
    auto* hello = std::get_if<Hello>(&message);
    if (!hello)
      return fail(ProtocolError::unexpected_message, "the first message must be hello", false);
    if (hello->protocol_version < kOldestProtocolVersion ||
        hello->protocol_version > kProtocolVersion) {
      return fail(ProtocolError::unsupported_version,
                  "protocol version " + std::to_string(hello->protocol_version) +
                      " is not supported; this server speaks " +
                      std::to_string(kOldestProtocolVersion) + " to " +
                      std::to_string(kProtocolVersion),
                  false);
    }
    peer_ = hello->replica;
    peer_known_ = hello->context;
    state_ = State::awaiting_accept;
    ServerOutput out;
    out.hello = std::move(*hello);
    return out;
  }
  if (state_ == State::awaiting_accept) {
    return fail(ProtocolError::unexpected_message, "wait for welcome before sending", false);
  }

  if (auto* delta = std::get_if<DeltaMessage>(&message)) {
    if (!workspace) return fail(ProtocolError::internal_error, "no workspace", false);
    auto applied = workspace->apply(*delta, peer_);
    if (!applied) return fail(ProtocolError::invalid_delta, applied.error().message, true);
    ServerOutput out;
    // Forwarded as received: the host fans the same bytes out to everyone.
    if (*applied) out.broadcast = Bytes(frame.begin(), frame.end());
    out.persist = DurableWrite{std::move(delta->delta), std::move(delta->covers)};
    return out;
  }
  if (auto* presence = std::get_if<Presence>(&message)) {
    // The user id of a client's presence is ignored: a client speaks only
    // for itself, and the server adds who that is.
    if (crdt::encode_value(presence->state).size() > limits::kMaxClientPresenceBytes) {
      return fail(ProtocolError::message_too_large,
                  "a presence state is limited to " +
                      std::to_string(limits::kMaxClientPresenceBytes) + " bytes",
                  true);
    }
    ServerOutput out;
    out.presence = user_presence_frame(user_, std::move(presence->state));
    return out;
  }
  if (std::holds_alternative<ErrorMessage>(message)) {
    // A client reporting an error is going away; nothing to answer.
    state_ = State::closed;
    ServerOutput out;
    out.close = true;
    return out;
  }
  return fail(ProtocolError::unexpected_message, "a client does not send this message", false);
}

ServerOutput ServerSession::accept(const WorkspaceReplica& workspace, UserIdentity user) {
  if (state_ != State::awaiting_accept) return {};
  user_ = std::move(user);
  state_ = State::established;
  ServerOutput out;
  out.to_peer.push_back(encode_message(Welcome{
      workspace.replica(), user_, workspace.catch_up_for(peer_known_), workspace.doc().context()}));
  return out;
}

ServerOutput ServerSession::refuse(ProtocolError code, std::string message) {
  return fail(code, std::move(message), false);
}

ServerOutput ServerSession::on_durable(const CausalContext& covers) {
  ServerOutput out;
  if (state_ == State::established) out.to_peer.push_back(encode_message(Ack{covers}));
  return out;
}

}  // namespace trellis::sync
