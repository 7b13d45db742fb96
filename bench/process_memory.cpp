#include "process_memory.hpp"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace trellis::bench {
namespace {

std::size_t resident_bytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::ifstream statm("/proc/self/statm");
  std::size_t total_pages = 0;
  std::size_t resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

MemorySample sample_memory() {
  malloc_trim(0);
  struct mallinfo2 info = mallinfo2();
  return MemorySample{info.uordblks + info.hblkhd, resident_bytes()};
}

}  // namespace trellis::bench
