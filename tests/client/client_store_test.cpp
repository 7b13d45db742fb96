// ClientStore keeps a client's replica, received context and outbox across
// restarts and crashes: torn journal tails are cut, replays are idempotent.
#include "trellis/client/client_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "trellis/crdt/graph_view.hpp"
#include "trellis/sync/client_session.hpp"

namespace trellis::client {
namespace {

namespace fs = std::filesystem;
using crdt::GraphDoc;
using crdt::Json;
using crdt::ReplicaId;

class ClientStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trellis-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One local edit through a session, recorded the way the native client does.
  static void edit(ClientStore& store, sync::ClientSession& session, const std::string& id) {
    auto sent = session.edit([&](GraphDoc& doc) {
      return doc.add_node({{"id", id}, {"type", "box"}, {"position", {{"x", 1}, {"y", 2}}}});
    });
    ASSERT_TRUE(sent.ok());
    ASSERT_FALSE(store.record_local(session.outbox().back()).has_value());
  }

  static sync::ClientSession session_from(ClientStore& store) {
    StoredState state = store.take_loaded();
    return sync::ClientSession(sync::ClientConfig{"ws1", "test", std::nullopt},
                               std::move(state.doc), std::move(state.received),
                               std::move(state.outbox));
  }

  fs::path dir_;
};

TEST_F(ClientStoreTest, NewStoreKeepsItsReplicaIdAcrossReopen) {
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{42});
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ(store->loaded().doc.replica(), ReplicaId{42});
  }
  auto reopened = ClientStore::open(dir_, "ws1", ReplicaId{99});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->loaded().doc.replica(), ReplicaId{42});
}

TEST_F(ClientStoreTest, RefusesADirectoryOfAnotherWorkspace) {
  { ASSERT_TRUE(ClientStore::open(dir_, "ws1", ReplicaId{1}).ok()); }
  auto other = ClientStore::open(dir_, "ws2", ReplicaId{1});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, crdt::ErrorCode::invalid_argument);
}

TEST_F(ClientStoreTest, OfflineEditsSurviveARestartAndStayInTheOutbox) {
  Json before;
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    auto session = session_from(*store);
    edit(*store, session, "a");
    edit(*store, session, "b");
    before = crdt::graph_view(session.doc());
  }
  auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(crdt::graph_view(store->loaded().doc), before);
  EXPECT_EQ(store->loaded().outbox.size(), 2u);
}

TEST_F(ClientStoreTest, AckedEditsLeaveTheOutboxAfterRestart) {
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    auto session = session_from(*store);
    edit(*store, session, "a");
    edit(*store, session, "b");
    ASSERT_FALSE(store->record_ack(session.outbox().front().covers).has_value());
  }
  auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(store->loaded().outbox.size(), 1u);
  EXPECT_TRUE(store->loaded().doc.has_node("a"));
  EXPECT_TRUE(store->loaded().doc.has_node("b"));
}

TEST_F(ClientStoreTest, ATornJournalTailIsCutAndEarlierEditsSurvive) {
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    auto session = session_from(*store);
    edit(*store, session, "a");
    edit(*store, session, "b");
  }
  // A crash in the middle of the second append: its last bytes never landed.
  const auto journal = dir_ / "journal";
  fs::resize_file(journal, fs::file_size(journal) - 3);
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE(store->loaded().doc.has_node("a"));
    EXPECT_FALSE(store->loaded().doc.has_node("b"));
    auto session = session_from(*store);
    edit(*store, session, "c");  // appends after the cut, not after garbage
  }
  auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(store->loaded().doc.has_node("a"));
  EXPECT_TRUE(store->loaded().doc.has_node("c"));
  EXPECT_EQ(store->loaded().outbox.size(), 2u);
}

TEST_F(ClientStoreTest, ACorruptRecordEndsTheReplay) {
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    auto session = session_from(*store);
    edit(*store, session, "a");
    edit(*store, session, "b");
  }
  const auto journal = dir_ / "journal";
  const auto size = fs::file_size(journal);
  std::fstream file(journal, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(size - 2));
  file.put('\x7f');
  file.close();
  auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(store->loaded().doc.has_node("a"));
  EXPECT_FALSE(store->loaded().doc.has_node("b"));
}

TEST_F(ClientStoreTest, CompactionKeepsEverythingAndEmptiesTheJournal) {
  Json before;
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    auto session = session_from(*store);
    edit(*store, session, "a");
    edit(*store, session, "b");
    ASSERT_FALSE(store->compact(session.doc(), session.received(), session.outbox()).has_value());
    EXPECT_EQ(store->journal_bytes(), 0u);
    edit(*store, session, "c");
    before = crdt::graph_view(session.doc());
  }
  auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(crdt::graph_view(store->loaded().doc), before);
  EXPECT_EQ(store->loaded().outbox.size(), 3u);
}

TEST_F(ClientStoreTest, ReplayingAJournalTheSnapshotAlreadyHoldsDuplicatesNothing) {
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    auto session = session_from(*store);
    edit(*store, session, "a");
    // A crash after the snapshot's rename but before the journal's
    // truncation: keep a copy of the journal and put it back.
    fs::copy_file(dir_ / "journal", dir_ / "journal.keep");
    ASSERT_FALSE(store->compact(session.doc(), session.received(), session.outbox()).has_value());
  }
  fs::rename(dir_ / "journal.keep", dir_ / "journal");
  auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->loaded().outbox.size(), 1u);
  EXPECT_TRUE(store->loaded().doc.has_node("a"));
}

// Many edits and acks interleaved in the journal, then the same journal
// replayed over a snapshot that already holds part of it: the outbox is
// exactly the unacknowledged edits, once each, in the order they were made.
TEST_F(ClientStoreTest, ReplayKeepsExactlyTheUnacknowledgedEditsInOrder) {
  std::vector<sync::OutboxEntry> expected;
  {
    auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
    ASSERT_TRUE(store.ok());
    auto session = session_from(*store);
    for (int i = 0; i < 40; ++i)
      edit(*store, session, "n" + std::to_string(i));
    // Acks for the first 25, one by one, as the server sends them.
    CausalContext durable;
    for (std::uint64_t seq = 1; seq <= 25; ++seq) {
      durable.insert(crdt::Dot{ReplicaId{7}, seq});
      ASSERT_FALSE(store->record_ack(durable).has_value());
    }
    expected.assign(session.outbox().begin() + 25, session.outbox().end());
    // Then the journal is kept, the store compacted with 10 of the first 25
    // still in its outbox (as if their acks had not arrived yet), and the
    // journal put back: every record is replayed over that snapshot.
    fs::copy_file(dir_ / "journal", dir_ / "journal.keep");
    const std::vector<sync::OutboxEntry> older(session.outbox().begin() + 15,
                                               session.outbox().end());
    ASSERT_FALSE(store->compact(session.doc(), session.received(), older).has_value());
  }
  fs::rename(dir_ / "journal.keep", dir_ / "journal");
  auto store = ClientStore::open(dir_, "ws1", ReplicaId{7});
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(store->loaded().outbox.size(), 15u);
  EXPECT_EQ(store->loaded().outbox, expected);
  EXPECT_TRUE(store->loaded().doc.has_node("n39"));
}

TEST(Crc32, MatchesTheStandardCheckValue) {
  const std::string text = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 0xCBF43926u);
}

}  // namespace
}  // namespace trellis::client
