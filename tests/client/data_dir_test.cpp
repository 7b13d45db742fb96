// The data directory's replica id, remembered workspace and lock.
#include "trellis/client/data_dir.hpp"

#include <gtest/gtest.h>

#include <set>

#include "support/scratch_dir.hpp"
#include "trellis/client/client_store.hpp"

namespace trellis::client {
namespace {

namespace fs = std::filesystem;

TEST(DataDir, RandomReplicaIdsAreNonzeroAndDistinct) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = random_replica_id();
    ASSERT_TRUE(id.ok());
    EXPECT_NE(id->value, 0u);
    seen.insert(id->value);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(DataDir, RemembersItsWorkspace) {
  const testkit::ScratchDir scratch("trellis-datadir");
  const fs::path& dir = scratch.path();
  EXPECT_EQ(stored_workspace_id(dir).error().code, crdt::ErrorCode::not_found);
  ASSERT_TRUE(ClientStore::open(dir, "design-review", crdt::ReplicaId{5}).ok());
  auto workspace = stored_workspace_id(dir);
  ASSERT_TRUE(workspace.ok()) << workspace.error().message;
  EXPECT_EQ(*workspace, "design-review");
}

TEST(DataDir, LockIsExclusiveUntilReleased) {
  const testkit::ScratchDir scratch("trellis-datadir");
  const fs::path& dir = scratch.path();
  {
    auto first = DataDirLock::acquire(dir);
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = DataDirLock::acquire(dir);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, crdt::ErrorCode::already_exists);
  }
  EXPECT_TRUE(DataDirLock::acquire(dir).ok());
}

}  // namespace
}  // namespace trellis::client
