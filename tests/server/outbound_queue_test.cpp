// OutboundQueue keeps control and delta frames in order, keeps only the
// latest presence of each user, and under backlog merges deltas without
// losing any edit, dropping presence and then reporting overflow before it
// would grow past its limits.

#include "outbound_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::server {
namespace {

using crdt::Bytes;
using crdt::GraphDoc;
using crdt::Json;
using crdt::testing::applied;

Frame frame_of(const sync::Message& message) {
  return std::make_shared<const Bytes>(sync::encode_message(message));
}

Frame delta_frame(const GraphDoc& delta) {
  return frame_of(sync::DeltaMessage{crdt::encode(delta), delta.context()});
}

// A control frame whose bytes say which one it is.
Frame control_frame(int number) {
  return frame_of(sync::ErrorMessage{sync::ProtocolError::internal_error,
                                     "control " + std::to_string(number), true});
}

// About 50 bytes.
Frame presence_frame(const std::string& user, int x) {
  return frame_of(sync::Presence{user, Json{{"x", x}, {"tool", "rectangle-selection-lasso"}}});
}

sync::Message decoded(const Frame& frame) {
  auto message = sync::decode_message(*frame);
  EXPECT_TRUE(message.ok());
  return message.ok() ? *message : sync::Message{};
}

std::vector<Frame> drain(OutboundQueue& queue) {
  std::vector<Frame> frames;
  while (Frame frame = queue.pop())
    frames.push_back(std::move(frame));
  EXPECT_EQ(queue.pending_bytes(), 0u);
  EXPECT_EQ(queue.size(), 0u);
  return frames;
}

// Joins every delta frame into `doc` and every covers into `covers`;
// returns the control frames' texts, in order.
std::vector<std::string> apply_frames(const std::vector<Frame>& frames, GraphDoc& doc,
                                      crdt::CausalContext& covers) {
  std::vector<std::string> controls;
  for (const Frame& frame : frames) {
    const sync::Message message = decoded(frame);
    if (const auto* delta = std::get_if<sync::DeltaMessage>(&message)) {
      EXPECT_FALSE(crdt::join_encoded(doc, delta->delta).has_value());
      covers.join(delta->covers);
    } else if (const auto* error = std::get_if<sync::ErrorMessage>(&message)) {
      controls.push_back(error->message);
    }
  }
  return controls;
}

TEST(OutboundQueue, ControlAndDeltaFramesLeaveInTheOrderTheyCame) {
  GraphDoc doc(crdt::ReplicaId{3});
  const Frame first = control_frame(1);
  const Frame add = delta_frame(applied(doc.add_node({{"id", "n1"}, {"type", "box"}})));
  const Frame second = control_frame(2);
  const Frame move =
      delta_frame(applied(doc.update_node_fields("n1", {{"position", {{"x", 1}, {"y", 2}}}})));

  OutboundQueue queue(1 << 20);
  EXPECT_EQ(queue.push_control(first), PushResult::queued);
  EXPECT_EQ(queue.push_delta(add), PushResult::queued);
  EXPECT_EQ(queue.push_control(second), PushResult::queued);
  EXPECT_EQ(queue.push_delta(move), PushResult::queued);
  EXPECT_EQ(queue.size(), 4u);
  EXPECT_EQ(queue.pending_bytes(), first->size() + add->size() + second->size() + move->size());

  // The very frames pushed, not copies: fan-out shares one buffer.
  EXPECT_EQ(drain(queue), (std::vector<Frame>{first, add, second, move}));
  EXPECT_EQ(queue.pop(), nullptr);
}

TEST(OutboundQueue, PresenceKeepsOnlyTheLatestOfEachUserAfterWhatCameBefore) {
  OutboundQueue queue(1 << 20);
  const Frame alice_old = presence_frame("user_alice", 1);
  const Frame control = control_frame(1);
  const Frame bob = presence_frame("user_bob", 2);
  const Frame alice_new = presence_frame("user_alice", 3);
  EXPECT_EQ(queue.push_presence("user_alice", alice_old), PushResult::queued);
  EXPECT_EQ(queue.push_control(control), PushResult::queued);
  EXPECT_EQ(queue.push_presence("user_bob", bob), PushResult::queued);
  EXPECT_EQ(queue.push_presence("user_alice", alice_new), PushResult::queued);

  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.pending_bytes(), control->size() + bob->size() + alice_new->size());
  EXPECT_EQ(drain(queue), (std::vector<Frame>{control, bob, alice_new}));

  // Once sent, a presence is not pending: the next one queues anew.
  EXPECT_EQ(queue.push_presence("user_alice", alice_old), PushResult::queued);
  EXPECT_EQ(queue.push_presence("user_bob", bob), PushResult::queued);
  EXPECT_EQ(drain(queue), (std::vector<Frame>{alice_old, bob}));
}

// Many edits past the soft limit: the backlog becomes a few merged deltas
// whose join is exactly the join of every edit, with every covered dot, and
// the control frames in between are all there, in order.
TEST(OutboundQueue, MergedDeltasJoinToTheSameStateAndCoverEveryEdit) {
  GraphDoc doc(crdt::ReplicaId{3});
  GraphDoc other(crdt::ReplicaId{4});
  OutboundQueue queue(8 << 10);
  EXPECT_EQ(queue.soft_limit(), 4u << 10);

  std::size_t pushed_bytes = 0;
  int merges = 0;
  int controls = 0;
  auto push_delta = [&](const GraphDoc& delta) {
    const Frame frame = delta_frame(delta);
    pushed_bytes += frame->size();
    const PushResult result = queue.push_delta(frame);
    EXPECT_NE(result, PushResult::overflow);
    if (result == PushResult::merged) ++merges;
  };
  queue.push_control(control_frame(controls++));
  for (int i = 0; i < 20; ++i) {
    const std::string id = "n" + std::to_string(i);
    push_delta(applied(doc.add_node({{"id", id}, {"type", "box"}, {"data", {{"size", i}}}})));
    push_delta(applied(other.add_node({{"id", "m" + std::to_string(i)}, {"type", "circle"}})));
  }
  for (int step = 0; step < 400; ++step) {
    const std::string id = "n" + std::to_string(step % 20);
    push_delta(applied(doc.update_node_fields(id, {{"position", {{"x", step}, {"y", -step}}}})));
    push_delta(applied(other.set_node_data_value("m" + std::to_string(step % 20), "k", step)));
    if (step % 50 == 0) queue.push_control(control_frame(controls++));
  }
  push_delta(applied(doc.remove_node("n7")));

  EXPECT_GT(merges, 0);
  EXPECT_LE(queue.pending_bytes(), queue.hard_limit());
  EXPECT_LT(queue.pending_bytes(), pushed_bytes / 4);

  GraphDoc received;
  crdt::CausalContext covers;
  const auto control_texts = apply_frames(drain(queue), received, covers);

  GraphDoc expected = doc;
  expected.join(other);
  EXPECT_EQ(received, expected);
  EXPECT_EQ(covers, expected.context());
  std::vector<std::string> expected_controls;
  for (int i = 0; i < controls; ++i)
    expected_controls.push_back("control " + std::to_string(i));
  EXPECT_EQ(control_texts, expected_controls);
}

// The merged delta is sent where the earliest of the deltas it replaces
// stood: before the control frames that followed that delta.
TEST(OutboundQueue, TheMergedDeltaTakesThePlaceOfTheEarliest) {
  GraphDoc doc(crdt::ReplicaId{3});
  GraphDoc received = applied(doc.add_node({{"id", "n"}, {"type", "box"}}));
  OutboundQueue queue(1 << 10);
  const Frame before = control_frame(0);
  const Frame between = control_frame(1);
  queue.push_control(before);
  queue.push_delta(delta_frame(applied(doc.set_node_data_value("n", "v", 0))));
  queue.push_control(between);
  PushResult result = PushResult::queued;
  for (int step = 1; step < 100 && result != PushResult::merged; ++step)
    result = queue.push_delta(delta_frame(applied(doc.set_node_data_value("n", "v", step))));
  ASSERT_EQ(result, PushResult::merged);
  ASSERT_EQ(queue.size(), 3u);

  const auto frames = drain(queue);
  EXPECT_EQ(frames[0], before);
  EXPECT_EQ(frames[2], between);
  const auto merged = std::get<sync::DeltaMessage>(decoded(frames[1]));
  EXPECT_FALSE(crdt::join_encoded(received, merged.delta).has_value());
  EXPECT_EQ(received, doc);
  EXPECT_EQ(merged.covers.dot_count(), doc.context().dot_count() - 1);  // every edit but the add
}

// Edits that do not compress (distinct large values) cannot be merged
// below the hard limit: the queue reports overflow rather than grow, and
// never drops a control frame to make room.
TEST(OutboundQueue, OverflowsWhenMergingCannotKeepUpAndKeepsControlFrames) {
  GraphDoc doc(crdt::ReplicaId{3});
  OutboundQueue queue(16 << 10);
  queue.push_control(control_frame(0));
  queue.push_control(control_frame(1));
  PushResult result = PushResult::queued;
  int pushed = 0;
  while (result != PushResult::overflow && pushed < 1000) {
    const std::string id = "n" + std::to_string(pushed++);
    const Json node = {{"id", id}, {"data", {{"blob", std::string(1000, 'a' + pushed % 26)}}}};
    result = queue.push_delta(delta_frame(applied(doc.add_node(node))));
  }
  EXPECT_EQ(result, PushResult::overflow);
  EXPECT_LT(pushed, 40);  // about 16 KiB of 1 KiB edits

  // The caller's recovery: drop the backlog, send the error alone.
  queue.clear();
  EXPECT_EQ(queue.pending_bytes(), 0u);
  const Frame error =
      frame_of(sync::ErrorMessage{sync::ProtocolError::slow_consumer, "too slow", false});
  EXPECT_EQ(queue.push_control(error), PushResult::queued);
  EXPECT_EQ(drain(queue), std::vector<Frame>{error});
}

// With a delta at the head (a peer that fell behind between two writes),
// merging works on what waits behind it: the head is sent as it was
// pushed, and edits that do not compress still overflow at the bound
// instead of being folded into the head, which the bound exempts.
TEST(OutboundQueue, TheHeadIsNeverMergedIntoSoTheBoundStillHolds) {
  GraphDoc doc(crdt::ReplicaId{3});
  OutboundQueue queue(16 << 10);
  std::vector<Frame> pushed;
  PushResult result = PushResult::queued;
  std::uint32_t state = 12345;  // distinct pseudo-random blobs: nothing to share
  while (result != PushResult::overflow && pushed.size() < 1000) {
    const std::string id = "n" + std::to_string(pushed.size());
    std::string blob(1000, 'a');
    for (char& c : blob) {
      state = state * 1664525u + 1013904223u;
      c = static_cast<char>('a' + (state >> 24) % 26);
    }
    pushed.push_back(delta_frame(applied(doc.add_node({{"id", id}, {"data", {{"blob", blob}}}}))));
    result = queue.push_delta(pushed.back());
  }
  EXPECT_EQ(result, PushResult::overflow);
  EXPECT_LT(pushed.size(), 40u);  // about 16 KiB of 1 KiB edits behind the head
  EXPECT_EQ(queue.pop(), pushed.front());
}

TEST(OutboundQueue, ControlFramesAreNeverMergedOrDropped) {
  OutboundQueue queue(4 << 10);
  int pushed = 0;
  PushResult result = PushResult::queued;
  while (result == PushResult::queued && pushed < 1000)
    result = queue.push_control(control_frame(pushed++));
  EXPECT_EQ(result, PushResult::overflow);

  GraphDoc received;
  crdt::CausalContext covers;
  const auto texts = apply_frames(drain(queue), received, covers);
  ASSERT_EQ(texts.size(), static_cast<std::size_t>(pushed));
  for (int i = 0; i < pushed; ++i)
    EXPECT_EQ(texts[static_cast<std::size_t>(i)], "control " + std::to_string(i));
}

TEST(OutboundQueue, PresenceIsDroppedBeforeTheQueueOverflows) {
  OutboundQueue queue(4 << 10);
  const Frame control = control_frame(0);
  queue.push_control(control);
  // Many users' presence, about 50 bytes each: past 4 KiB they are dropped
  // (all of them pending at that moment), never an overflow.
  for (int user = 0; user < 300; ++user) {
    EXPECT_EQ(queue.push_presence("user_" + std::to_string(user), presence_frame("u", user)),
              PushResult::queued);
    EXPECT_LE(queue.pending_bytes(), queue.hard_limit() + control->size());
  }
  const auto frames = drain(queue);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.front(), control);
  EXPECT_LT(frames.size(), 150u);
  // The latest presence is among the survivors.
  EXPECT_EQ(std::get<sync::Presence>(decoded(frames.back())).state["x"], 299);
}

// The limit is on the backlog behind the oldest pending frame
// (outbound_bound.hpp): a frame larger than the limit is accepted at the
// head, with what follows it, but never behind another frame.
TEST(OutboundQueue, AFrameLargerThanTheLimitIsAcceptedAtTheHeadOnly) {
  OutboundQueue queue(1 << 10);
  const Frame large = std::make_shared<const Bytes>(Bytes(4 << 10, 0x90));
  EXPECT_EQ(queue.push_control(large), PushResult::queued);
  // A welcome past the limit, then the frames that follow it at once: up
  // to 1 KiB of them behind it, not one more.
  std::size_t behind_bytes = 0;
  for (int number = 0;; ++number) {
    const Frame small = control_frame(number);
    const PushResult result = queue.push_control(small);
    behind_bytes += small->size();
    if (behind_bytes <= (1u << 10)) {
      ASSERT_EQ(result, PushResult::queued) << "frame " << number;
    } else {
      ASSERT_EQ(result, PushResult::overflow) << "frame " << number;
      break;
    }
  }
  // Once the large frame is written, the backlog behind the new head counts.
  queue.clear();
  EXPECT_EQ(queue.push_control(control_frame(1)), PushResult::queued);
  EXPECT_EQ(queue.push_control(large), PushResult::overflow);
}

TEST(OutboundQueue, TheEntryCapBoundsSmallFramesToo) {
  OutboundQueue queue(1 << 20, /*max_entries=*/16);
  int pushed = 0;
  PushResult result = PushResult::queued;
  while (result == PushResult::queued && pushed < 100)
    result = queue.push_control(control_frame(pushed++));
  EXPECT_EQ(result, PushResult::overflow);
  EXPECT_EQ(pushed, 17);
}

// The entry cap also triggers a merge: many tiny deltas collapse instead
// of overflowing.
TEST(OutboundQueue, TheEntryCapMergesDeltasBeforeItOverflows) {
  GraphDoc doc(crdt::ReplicaId{3});
  OutboundQueue queue(1 << 20, /*max_entries=*/16);
  queue.push_control(control_frame(0));
  applied(doc.add_node({{"id", "n"}, {"type", "box"}}));
  for (int step = 0; step < 200; ++step) {
    const auto delta = applied(doc.set_node_data_value("n", "v", step));
    EXPECT_NE(queue.push_delta(delta_frame(delta)), PushResult::overflow);
    EXPECT_LE(queue.size(), 16u);
  }
}

TEST(OutboundQueue, FramesThatAreNotDeltasAreSentUnmerged) {
  GraphDoc doc(crdt::ReplicaId{3});
  OutboundQueue queue(2 << 10);
  const Frame junk = std::make_shared<const Bytes>(Bytes{0xc1, 0xc1, 0xc1});
  queue.push_control(control_frame(0));
  queue.push_delta(junk);
  applied(doc.add_node({{"id", "n"}, {"type", "box"}}));
  for (int step = 0; step < 200; ++step) {
    const auto delta = applied(doc.set_node_data_value("n", "v", step));
    EXPECT_NE(queue.push_delta(delta_frame(delta)), PushResult::overflow);
  }
  const auto frames = drain(queue);
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(frames[1], junk);
}

// pop_batch takes the frames pop() would give, in the same order, as many
// as fit in one batch frame of the given size, and at least one.
TEST(OutboundQueue, PopBatchTakesFramesInFifoOrderWithinTheBatchSize) {
  GraphDoc doc(crdt::ReplicaId{3});
  OutboundQueue queue(1 << 20);
  std::vector<Frame> pushed;
  for (int step = 0; step < 12; ++step) {
    Frame frame = step % 4 == 0 ? control_frame(step)
                                : delta_frame(applied(doc.add_node(
                                      {{"id", "n" + std::to_string(step)}, {"type", "box"}})));
    if (step % 4 == 0) {
      queue.push_control(frame);
    } else {
      queue.push_delta(frame);
    }
    pushed.push_back(std::move(frame));
  }
  const Frame alice = presence_frame("user_alice", 1);
  queue.push_presence("user_alice", alice);
  pushed.push_back(alice);

  // Room for exactly five of them.
  std::size_t five = sync::kBatchHeaderBytes;
  for (std::size_t i = 0; i < 5; ++i)
    five += sync::batch_entry_bytes(pushed[i]->size());
  const std::size_t before = queue.pending_bytes();
  const std::vector<Frame> first = queue.pop_batch(five);
  EXPECT_EQ(first, std::vector<Frame>(pushed.begin(), pushed.begin() + 5));
  std::size_t first_bytes = 0;
  for (const Frame& frame : first)
    first_bytes += frame->size();
  EXPECT_EQ(queue.pending_bytes(), before - first_bytes);

  // A limit smaller than any frame still takes one.
  EXPECT_EQ(queue.pop_batch(1), std::vector<Frame>{pushed[5]});
  // The rest at once, then nothing.
  EXPECT_EQ(queue.pop_batch(1 << 20), std::vector<Frame>(pushed.begin() + 6, pushed.end()));
  EXPECT_TRUE(queue.pop_batch(1 << 20).empty());
  EXPECT_EQ(queue.pending_bytes(), 0u);

  // The batch the frames make is within the size pop_batch was given.
  for (std::size_t i = 0; i < 5; ++i)
    queue.push_control(pushed[i]);
  const std::vector<Frame> again = queue.pop_batch(five);
  ASSERT_EQ(again.size(), 5u);
  std::vector<std::span<const std::uint8_t>> parts;
  for (const Frame& frame : again)
    parts.emplace_back(*frame);
  EXPECT_LE(sync::encode_batch(parts).size(), five);
}

// A presence superseded while queued is not in a later batch; one pushed
// after a batch was taken queues anew.
TEST(OutboundQueue, PopBatchKeepsPresenceCoalescing) {
  OutboundQueue queue(1 << 20);
  queue.push_presence("user_alice", presence_frame("user_alice", 1));
  queue.push_control(control_frame(1));
  const Frame latest = presence_frame("user_alice", 2);
  queue.push_presence("user_alice", latest);
  const auto batch = queue.pop_batch(1 << 20);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[1], latest);
  const Frame after = presence_frame("user_alice", 3);
  queue.push_presence("user_alice", after);
  EXPECT_EQ(queue.pop_batch(1 << 20), std::vector<Frame>{after});
}

}  // namespace
}  // namespace trellis::server
