#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/protect/license_source.hpp"

namespace openrms::protect {

namespace {
std::string key_of(std::string_view user, std::string_view pl_hash) {
  std::string k(user);
  k += '\n';
  k += pl_hash;
  return k;
}
}  // namespace

std::optional<std::string> MemoryUseLicenseCache::get(std::string_view user,
                                                      std::string_view pl_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key_of(user, pl_hash));
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void MemoryUseLicenseCache::put(std::string_view user, std::string_view pl_hash,
                                std::string_view ul_xml) {
  std::lock_guard<std::mutex> lock(mu_);
  map_[key_of(user, pl_hash)] = std::string(ul_xml);
}

void MemoryUseLicenseCache::erase(std::string_view user, std::string_view pl_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  map_.erase(key_of(user, pl_hash));
}

std::size_t MemoryUseLicenseCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

DirectoryUseLicenseCache::DirectoryUseLicenseCache(std::filesystem::path dir)
    : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec || !std::filesystem::is_directory(dir_))
    fail(Errc::io, "cannot create the license cache folder " + dir_.string());
  ::chmod(dir_.c_str(), 0700);
}

std::filesystem::path DirectoryUseLicenseCache::file_for(std::string_view user,
                                                         std::string_view pl_hash) const {
  std::string k = key_of(user, pl_hash);
  auto h = crypto::default_backend().digest(crypto::HashAlg::sha256, crypto::as_bytes(k));
  return dir_ / (crypto::to_hex(crypto::ByteView(h.data(), 16)) + ".ul.xml");
}

std::optional<std::string> DirectoryUseLicenseCache::get(std::string_view user,
                                                         std::string_view pl_hash) {
  std::ifstream in(file_for(user, pl_hash), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > (4u << 20)) return std::nullopt;
  return s;
}

void DirectoryUseLicenseCache::put(std::string_view user, std::string_view pl_hash,
                                   std::string_view ul_xml) {
  formats::AtomicFileSink sink(file_for(user, pl_hash), false);
  sink.write(crypto::as_bytes(ul_xml));
  sink.commit();
}

void DirectoryUseLicenseCache::erase(std::string_view user, std::string_view pl_hash) {
  std::error_code ec;
  std::filesystem::remove(file_for(user, pl_hash), ec);
}

}  // namespace openrms::protect
