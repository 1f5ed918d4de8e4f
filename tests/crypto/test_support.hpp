// Shared helpers for the crypto tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/error.hpp"

namespace openrms::test {

/// ../shared beside the project root. Fails the calling test (not skips) if it is missing.
inline std::filesystem::path shared_dir() {
  std::filesystem::path p = OPENRMS_SHARED_DIR;
  if (!std::filesystem::is_directory(p)) ADD_FAILURE() << "missing test data directory " << p;
  return p;
}

/// Every backend this build has (OpenSSL, and Botan when built with it).
inline std::vector<const crypto::Backend*> all_backends() {
  std::vector<const crypto::Backend*> v{&crypto::openssl_backend()};
  if (crypto::has_botan()) v.push_back(&crypto::botan_backend());
  return v;
}

inline std::string backend_name(const ::testing::TestParamInfo<const crypto::Backend*>& info) {
  return std::string(info.param->name());
}

/// The code of the openrms::Error that `f` throws, or Errc{} (0) if it returns normally.
inline Errc error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return Errc{};
}

}  // namespace openrms::test
