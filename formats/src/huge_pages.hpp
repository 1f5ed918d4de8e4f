// Internal: asks the kernel to back a large buffer with transparent huge pages (2 MiB), so
// filling it costs a page fault per 2 MiB instead of per 4 KiB. Advisory only: a no-op where
// THP is off, on small buffers, and off Linux. Call it on memory before its first touch (e.g.
// right after a sized allocation) for the full effect.
#pragma once

#include <cstddef>
#include <cstdint>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace openrms::formats::detail {

inline void advise_huge_pages(void* p, std::size_t n) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = 2u << 20;
  if (p == nullptr || n < 2 * kHuge) return;
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t from = (a + kHuge - 1) & ~(kHuge - 1), to = (a + n) & ~(kHuge - 1);
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace openrms::formats::detail
