// Unit tests of FieldKey: a top-level field of a React Flow object, or one
// key of its `data`.

#include "trellis/crdt/field_key.hpp"

#include <gtest/gtest.h>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

TEST(FieldKey, TopNamesATopLevelField) {
  FieldKey key = FieldKey::top("position");
  EXPECT_EQ(key.scope, FieldKey::Scope::top);
  EXPECT_EQ(key.name, "position");
  EXPECT_FALSE(key.is_data());
}

TEST(FieldKey, DataNamesAKeyOfData) {
  FieldKey key = FieldKey::data("label");
  EXPECT_EQ(key.scope, FieldKey::Scope::data);
  EXPECT_EQ(key.name, "label");
  EXPECT_TRUE(key.is_data());
}

TEST(FieldKey, ATopLevelFieldAndADataKeyOfOneNameAreDifferentFields) {
  EXPECT_NE(FieldKey::top("label"), FieldKey::data("label"));
  EXPECT_EQ(FieldKey::data("label"), FieldKey::data("label"));
}

TEST(FieldKey, TopLevelFieldsSortBeforeDataKeys) {
  EXPECT_LT(FieldKey::top("zzz"), FieldKey::data("aaa"));
}

TEST(FieldKey, FieldsOfOneScopeSortByName) {
  EXPECT_LT(FieldKey::top("height"), FieldKey::top("width"));
  EXPECT_LT(FieldKey::data("a"), FieldKey::data("b"));
}

TEST(FieldKey, ToStringPrefixesDataKeysWithData) {
  EXPECT_EQ(to_string(FieldKey::top("position")), "position");
  EXPECT_EQ(to_string(FieldKey::data("label")), "data.label");
}

}  // namespace
}  // namespace trellis::crdt
