#pragma once
// Whether this test binary is built with AddressSanitizer (the asan preset).
// Tests that measure memory or push heavy load read it: ASan's allocator is
// invisible to mallinfo2 and its builds run several times slower, so such
// tests scale their load or skip a measurement instead of timing out.

namespace trellis::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace trellis::testing
