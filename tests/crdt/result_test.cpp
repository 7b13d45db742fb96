// Unit tests of Result and Error: how every fallible operation of the
// library reports its outcome as a value.

#include "trellis/crdt/result.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

TEST(Result, AValueIsOkAndReadableEveryWay) {
  Result<std::string> result(std::string("hello"));
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(result.value(), "hello");
  EXPECT_EQ(*result, "hello");
  EXPECT_EQ(result->size(), 5u);
  const Result<std::string>& as_const = result;
  EXPECT_EQ(as_const.value(), "hello");
  EXPECT_EQ(*as_const, "hello");
  EXPECT_EQ(as_const->size(), 5u);
}

TEST(Result, ValueCanBeMovedOut) {
  Result<std::string> result(std::string("hello"));
  std::string taken = std::move(result).value();
  EXPECT_EQ(taken, "hello");
}

TEST(Result, ValueIsMutableInPlace) {
  Result<std::string> result(std::string("a"));
  result.value() += "b";
  *result += "c";
  EXPECT_EQ(result.value(), "abc");
}

TEST(Result, AnErrorIsNotOkAndCarriesCodeAndMessage) {
  Result<int> result(make_error(ErrorCode::not_found, "node 'x' is not present"));
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(static_cast<bool>(result));
  EXPECT_EQ(result.error().code, ErrorCode::not_found);
  EXPECT_EQ(result.error().message, "node 'x' is not present");
}

TEST(Result, ReadingTheValueOfAnErrorThrowsLogicError) {
  Result<int> result(make_error(ErrorCode::malformed, "bad bytes"));
  EXPECT_THROW((void)result.value(), std::logic_error);
  const Result<int>& as_const = result;
  EXPECT_THROW((void)as_const.value(), std::logic_error);
  EXPECT_THROW((void)*result, std::logic_error);
}

TEST(Result, ReadingTheErrorOfAValueThrowsLogicError) {
  Result<int> result(7);
  EXPECT_THROW((void)result.error(), std::logic_error);
}

TEST(Result, DereferencingAnRvalueMovesTheValueOut) {
  Result<std::string> result(std::string("hello"));
  std::string taken = *std::move(result);
  EXPECT_EQ(taken, "hello");
}

struct LayerError {
  int code = 0;
  std::string message;
};

TEST(Result, ALayerMayUseItsOwnErrorType) {
  Result<int, LayerError> failed(LayerError{42, "refused"});
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, 42);
  EXPECT_THROW((void)failed.value(), std::logic_error);
  Result<int, LayerError> succeeded(7);
  EXPECT_EQ(*succeeded, 7);
  EXPECT_THROW((void)succeeded.error(), std::logic_error);
}

TEST(Error, MakeErrorBuildsTheErrorAndEqualityComparesBothMembers) {
  Error error = make_error(ErrorCode::limit_exceeded, "too many fields");
  EXPECT_EQ(error, (Error{ErrorCode::limit_exceeded, "too many fields"}));
  EXPECT_NE(error, (Error{ErrorCode::limit_exceeded, "other"}));
  EXPECT_NE(error, (Error{ErrorCode::malformed, "too many fields"}));
}

TEST(ErrorCode, ToStringNamesEveryCodeAsInTheSource) {
  EXPECT_EQ(to_string(ErrorCode::invalid_argument), "invalid_argument");
  EXPECT_EQ(to_string(ErrorCode::not_found), "not_found");
  EXPECT_EQ(to_string(ErrorCode::already_exists), "already_exists");
  EXPECT_EQ(to_string(ErrorCode::limit_exceeded), "limit_exceeded");
  EXPECT_EQ(to_string(ErrorCode::malformed), "malformed");
  EXPECT_EQ(to_string(ErrorCode::unsupported_version), "unsupported_version");
}

}  // namespace
}  // namespace trellis::crdt
