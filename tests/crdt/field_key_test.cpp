// Unit tests of FieldKey: a top-level field of a React Flow object, or one
// key of its `data`.

#include "trellis/crdt/field_key.hpp"

#include <gtest/gtest.h>

#include <string>

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

TEST(FieldKey, NamesEqualComparesEveryByteOfNamesOfEveryLength) {
  // names_equal reads short names in overlapping words: a difference at any
  // position of any length must show, and only a difference.
  for (std::size_t size = 0; size <= 40; ++size) {
    std::string name;
    for (std::size_t i = 0; i < size; ++i)
      name.push_back(static_cast<char>('a' + (i * 7) % 26));
    const std::string copy = name;
    EXPECT_TRUE(names_equal(name, copy)) << size;
    EXPECT_EQ(FieldKey::data(name), (FieldKeyView{FieldKey::Scope::data, copy}));
    EXPECT_FALSE(names_equal(name, name + "x")) << size;
    for (std::size_t at = 0; at < size; ++at) {
      std::string changed = name;
      changed[at] = static_cast<char>(changed[at] ^ 0x20);
      EXPECT_FALSE(names_equal(name, changed)) << size << " at " << at;
      EXPECT_FALSE(FieldKey::data(name) == (FieldKeyView{FieldKey::Scope::data, changed}));
    }
  }
}

}  // namespace
}  // namespace trellis::crdt
