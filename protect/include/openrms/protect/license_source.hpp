// Where a client gets its licenses (DESIGN.md §2): the in-process LicenseServer today, a remote
// licensing service later. And where it keeps the use licenses it was given.
//
// Errors: whatever the source reports (openrms::Error: no_right, revoked, expired, rac_expired,
// not_found, integrity, io …), unchanged.
// Thread safety: LocalLicenseSource may be shared between threads (the server is thread-safe);
// MemoryUseLicenseCache and DirectoryUseLicenseCache are safe for concurrent use.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/licensing/server.hpp"

namespace openrms::protect {

class LicenseSource {
 public:
  virtual ~LicenseSource() = default;
  /// The SLCs licenses are verified against.
  virtual const licensing::TrustAnchors& anchors() = 0;
  virtual licensing::Published publish(const licensing::Identity& who,
                                       const licensing::PublishRequest& request,
                                       std::string_view rac_xml) = 0;
  virtual std::string acquire(const licensing::Identity& who, std::string_view pl_xml,
                              std::string_view rac_xml) = 0;
  virtual licensing::Policy view_policy(const licensing::Identity& who,
                                        std::string_view pl_xml) = 0;
  virtual void revoke(const licensing::Identity& who, std::string_view content_id) = 0;
  /// The tracking log after entry `after_seq`, at most `limit` entries (0: all).
  virtual std::vector<licensing::TrackingEntry> track(const licensing::Identity& who,
                                                      std::string_view content_id,
                                                      std::int64_t after_seq = 0,
                                                      std::size_t limit = 0) = 0;
};

/// A LicenseSource over an embedded LicenseServer (which must outlive it and be activated).
class LocalLicenseSource final : public LicenseSource {
 public:
  explicit LocalLicenseSource(licensing::LicenseServer& server) : server_(server) {}
  const licensing::TrustAnchors& anchors() override { return server_.anchors(); }
  licensing::Published publish(const licensing::Identity& who,
                               const licensing::PublishRequest& request,
                               std::string_view rac_xml) override {
    return server_.publish(who, request, rac_xml);
  }
  std::string acquire(const licensing::Identity& who, std::string_view pl_xml,
                      std::string_view rac_xml) override {
    return server_.acquire(who, pl_xml, rac_xml);
  }
  licensing::Policy view_policy(const licensing::Identity& who, std::string_view pl_xml) override {
    return server_.view_policy(who, pl_xml);
  }
  void revoke(const licensing::Identity& who, std::string_view content_id) override {
    server_.revoke(who, content_id);
  }
  std::vector<licensing::TrackingEntry> track(const licensing::Identity& who,
                                              std::string_view content_id, std::int64_t after_seq,
                                              std::size_t limit) override {
    return server_.track(who, content_id, after_seq, limit);
  }

 private:
  licensing::LicenseServer& server_;
};

/// A client's store of use licenses, keyed by user and publishing-license hash. Entries are
/// signed XML: a tampered entry fails verification and is simply re-acquired.
class UseLicenseCache {
 public:
  virtual ~UseLicenseCache() = default;
  virtual std::optional<std::string> get(std::string_view user, std::string_view pl_hash) = 0;
  virtual void put(std::string_view user, std::string_view pl_hash, std::string_view ul_xml) = 0;
  virtual void erase(std::string_view user, std::string_view pl_hash) = 0;
};

class MemoryUseLicenseCache final : public UseLicenseCache {
 public:
  std::optional<std::string> get(std::string_view user, std::string_view pl_hash) override;
  void put(std::string_view user, std::string_view pl_hash, std::string_view ul_xml) override;
  void erase(std::string_view user, std::string_view pl_hash) override;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> map_;
};

/// One file per entry in `dir` (created 0700 if missing), named by a hash of user and license;
/// written atomically with mode 0600.
class DirectoryUseLicenseCache final : public UseLicenseCache {
 public:
  explicit DirectoryUseLicenseCache(std::filesystem::path dir);
  std::optional<std::string> get(std::string_view user, std::string_view pl_hash) override;
  void put(std::string_view user, std::string_view pl_hash, std::string_view ul_xml) override;
  void erase(std::string_view user, std::string_view pl_hash) override;

 private:
  std::filesystem::path file_for(std::string_view user, std::string_view pl_hash) const;
  std::filesystem::path dir_;
};

}  // namespace openrms::protect
