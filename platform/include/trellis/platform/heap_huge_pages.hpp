#pragma once
// Transparent huge pages for the malloc heap of a Trellis executable.
//
// Building a replica (a client's join, a server loading a workspace, a bench
// building W1) touches every page of the memory it asks for once. Each first
// touch of a 4 KiB page is a page fault, and in a virtual machine a fault
// costs several microseconds (about 10 on the paravirtualized guests the
// benchmarks of docs/performance.md ran on): a 10,000-node join faults in
// some 2,500 pages, which was half of its time there. glibc can back its heap
// with 2 MiB pages (it asks the kernel with madvise(MADV_HUGEPAGE) as the
// heap grows), one fault per 2 MiB, but only when the process starts with
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1 in its environment: glibc reads its
// tunables before main() and offers no call to change them later.
//
// So main() of trellisd, trellis and the benchmark tools calls
// use_heap_huge_pages(argv) first. When the setting is missing, the kernel
// offers transparent huge pages, and the user did not opt out, it adds the
// setting to GLIBC_TUNABLES and replaces the process with a fresh run of the
// same executable (execv of the path /proc/self/exe links to, so that the
// process keeps its name: the pid, arguments, open files and the rest of the
// environment stay). Otherwise, or when that fails, it
// returns and the process runs on 4 KiB pages as before. It also returns
// under valgrind (its preload library in LD_PRELOAD): there /proc/self/exe is
// valgrind's tool, not the program. Opt out with TRELLIS_HEAP_HUGE_PAGES=0.
// The design note is in docs/operations.md.

#include <optional>
#include <string>
#include <string_view>

namespace trellis::platform {

// The environment variable that opts out ("0").
inline constexpr std::string_view kHeapHugePagesOptOut = "TRELLIS_HEAP_HUGE_PAGES";
// The glibc tunable, and the setting the helper adds.
inline constexpr std::string_view kHugetlbTunable = "glibc.malloc.hugetlb";
inline constexpr std::string_view kHugetlbSetting = "glibc.malloc.hugetlb=1";

// What the process should set GLIBC_TUNABLES to before it runs itself again,
// or nullopt when it should run on as it is. `tunables`: the current value of
// GLIBC_TUNABLES (nullopt: unset); `opt_out`: TRELLIS_HEAP_HUGE_PAGES;
// `thp_enabled`: the text of /sys/kernel/mm/transparent_hugepage/enabled
// (nullopt: unreadable); `preload`: LD_PRELOAD. Pure, for tests.
std::optional<std::string> heap_huge_pages_tunables(std::optional<std::string_view> tunables,
                                                    std::optional<std::string_view> opt_out,
                                                    std::optional<std::string_view> thp_enabled,
                                                    std::optional<std::string_view> preload);

// Reads the three inputs above from the process and, when
// heap_huge_pages_tunables asks for it, sets GLIBC_TUNABLES and execs
// /proc/self/exe with `argv`. Returns only when it did not exec (nothing to
// do, or the exec failed; GLIBC_TUNABLES is then restored). Call it first in
// main(), before any thread is started.
void use_heap_huge_pages(char** argv);

}  // namespace trellis::platform
