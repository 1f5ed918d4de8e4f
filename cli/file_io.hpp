// File helpers for the command: output goes to a temporary file beside the target and is renamed
// over it only on success, so a failed run never leaves a partial output file.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "openrms/crypto/secure.hpp"

namespace openrms::cli {

class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path target);
  ~AtomicOutput();  // removes the temporary file unless commit() succeeded
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  void write(crypto::ByteView data);
  /// fsyncs, closes and renames onto the target. Errc::io on failure.
  void commit();

 private:
  std::filesystem::path target_, temp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  /// Reads up to buf.size() bytes; returns 0 at end of file. Errc::io on failure.
  std::size_t read(crypto::MutableByteView buf);
  std::uint64_t size() const noexcept { return size_; }

 private:
  std::FILE* f_ = nullptr;
  std::uint64_t size_ = 0;
  std::string name_;
};

}  // namespace openrms::cli
