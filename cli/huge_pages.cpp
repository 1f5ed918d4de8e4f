// Large C++ allocations of the command get transparent huge pages.
//
// On the VMs this runs on (Debian's default THP mode is "madvise"), every first touch of a 4 KiB
// page costs a trap to the hypervisor: a 70 MB protected message, copied a few times on its way
// through MIME parsing, encryption and the rpmsg, took ~180,000 page faults, half its CPU time.
// Blocks of 4 MiB and more are therefore marked MADV_HUGEPAGE as they are allocated (2 MiB pages:
// 512 times fewer faults). Only the command-line tool does this; the libraries leave the
// process's allocator alone. Memory is still released as before (free()).
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

constexpr std::size_t kLarge = 4u << 20;
constexpr std::uintptr_t kHuge = 2u << 20;

void* allocate(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  if (n >= kLarge) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t from = (a + kHuge - 1) & ~(kHuge - 1), to = (a + n) & ~(kHuge - 1);
    if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
  }
  return p;
}

}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
