#include "trellis/platform/heap_huge_pages.hpp"

#include <gtest/gtest.h>

namespace {

using trellis::platform::heap_huge_pages_tunables;

constexpr std::string_view kMadvise = "always [madvise] never\n";
constexpr std::string_view kAlways = "[always] madvise never\n";
constexpr std::string_view kNever = "always madvise [never]\n";

TEST(HeapHugePages, AddsTheSettingWhenTheKernelOffersHugePages) {
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::nullopt, kMadvise, std::nullopt),
            "glibc.malloc.hugetlb=1");
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::nullopt, kAlways, std::nullopt),
            "glibc.malloc.hugetlb=1");
  EXPECT_EQ(heap_huge_pages_tunables(std::string_view(""), std::nullopt, kMadvise, std::nullopt),
            "glibc.malloc.hugetlb=1");
  // Any value but "0" leaves it on.
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::string_view("1"), kMadvise, std::nullopt),
            "glibc.malloc.hugetlb=1");
}

TEST(HeapHugePages, KeepsTheUsersOtherTunables) {
  EXPECT_EQ(heap_huge_pages_tunables(std::string_view("glibc.malloc.arena_max=2"), std::nullopt,
                                     kMadvise, std::nullopt),
            "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
}

TEST(HeapHugePages, RunsOnAsItIsUnderValgrind) {
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::nullopt, kMadvise,
                                     std::string_view("/usr/libexec/valgrind/"
                                                      "vgpreload_core-amd64-linux.so")),
            std::nullopt);
  // Another preload library is no reason.
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::nullopt, kMadvise,
                                     std::string_view("/usr/lib/libfoo.so")),
            "glibc.malloc.hugetlb=1");
}

TEST(HeapHugePages, RunsOnAsItIsWhenSetAlreadyOptedOutOrUnavailable) {
  // Set already: by the previous run (what ends the re-exec) or by the user,
  // to any value.
  EXPECT_EQ(heap_huge_pages_tunables(std::string_view("glibc.malloc.hugetlb=1"), std::nullopt,
                                     kMadvise, std::nullopt),
            std::nullopt);
  EXPECT_EQ(heap_huge_pages_tunables(std::string_view("glibc.malloc.hugetlb=0:glibc.x=1"),
                                     std::nullopt, kMadvise, std::nullopt),
            std::nullopt);
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::string_view("0"), kMadvise, std::nullopt),
            std::nullopt);
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::nullopt, kNever, std::nullopt),
            std::nullopt);
  EXPECT_EQ(heap_huge_pages_tunables(std::nullopt, std::nullopt, std::nullopt, std::nullopt),
            std::nullopt);
  EXPECT_EQ(
      heap_huge_pages_tunables(std::nullopt, std::nullopt, std::string_view(""), std::nullopt),
      std::nullopt);
}

}  // namespace
