#pragma once
// A fuzz target is one check of fuzz/checks under a name: each file of
// fuzz/targets defines kTarget, and target_main.cpp is its entry point.

#include "checks/checks.hpp"

namespace trellis::fuzz {

struct Target {
  const char* name;
  Check check;
};

extern const Target kTarget;

}  // namespace trellis::fuzz
