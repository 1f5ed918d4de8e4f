#include "openrms/formats/container.hpp"

#include <algorithm>
#include <filesystem>

#include "office/irm_opened.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/office/irm.hpp"
#include "openrms/formats/office/office_crypto.hpp"
#include "openrms/formats/pdf/rights_pdf.hpp"
#include "openrms/formats/pfile/pfile.hpp"
#include "private_copy.hpp"

namespace openrms::formats {

std::string_view to_string(ContainerKind c) noexcept {
  switch (c) {
    case ContainerKind::none:
      return "none";
    case ContainerKind::pfile:
      return "pfile";
    case ContainerKind::office_irm:
      return "office-irm";
    case ContainerKind::pdf:
      return "pdf";
  }
  return "?";
}

ContentKey::ContentKey(ByteView key) : key_(key.begin(), key.end()) {
  if (key.size() < 16 || key.size() > 64)
    fail(Errc::invalid_argument, "a content key must be 16 to 64 bytes");
}

crypto::SecureBytes ContentKey::derive(Purpose p, const crypto::Backend& be) const {
  std::string_view label;
  switch (p) {
    case Purpose::office_irm_aes128:
      label = "openrms-office-irm-aes128-v1";
      break;
    case Purpose::rpmsg_aes128:
      label = "openrms-rpmsg-aes128-v1";
      break;
  }
  crypto::SecureBytes k(16);
  be.hkdf(crypto::HashAlg::sha256, key_, {}, crypto::as_bytes(label), k);
  return k;
}

std::string ContainerReader::original_name(std::string_view protected_name) const {
  const std::filesystem::path p = std::filesystem::path(std::string(protected_name)).filename();
  return p.stem().string() + "-unprotected" + p.extension().string();
}

std::unique_ptr<RandomAccess> ContainerReader::random_access(const ContentKey&) const {
  fail(Errc::unsupported, std::string("random access is not available for ") +
                              std::string(to_string(kind())) +
                              " containers yet (their integrity check covers the whole file): "
                              "read the whole content instead");
}

namespace {

constexpr std::string_view kWholeFileMac = "whole-file HMAC-SHA256";
constexpr std::string_view kNoIntegrity = "none (written by other software)";

bool starts_with_pdf(const ByteSource& src) {
  std::uint8_t head[1024] = {};
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof head, src.size()));
  src.read_at(0, MutableByteView(head, n));
  return std::string_view(reinterpret_cast<const char*>(head), n).find("%PDF-") !=
         std::string_view::npos;
}

ByteView first_bytes(const ByteSource& src, std::uint8_t (&buf)[8]) {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(8, src.size()));
  src.read_at(0, MutableByteView(buf, n));
  return ByteView(buf, n);
}

// ---- PFile ----

class PFileRandomAccess final : public RandomAccess {
 public:
  PFileRandomAccess(const ByteSource& src, ByteView key, const pfile::ReadOptions& ro)
      : r_(src, key, ro) {}
  std::uint64_t size() const noexcept override { return r_.size(); }
  std::size_t read_at(std::uint64_t offset, MutableByteView out) const override {
    return r_.read_at(offset, out);
  }

 private:
  pfile::Reader r_;
};

class PFileReader final : public ContainerReader {
 public:
  PFileReader(const ByteSource& src, const ContainerOptions& opt)
      : src_(src), opt_(opt), h_(pfile::read_header(src)) {}
  ContainerKind kind() const noexcept override { return ContainerKind::pfile; }
  const std::string& license() const noexcept override { return h_.license; }
  std::optional<std::uint64_t> size() const noexcept override { return h_.original_size; }
  std::string original_extension() const override { return h_.extension; }
  std::string original_name(std::string_view protected_name) const override {
    return pfile::original_name(protected_name, h_.extension);
  }
  std::string integrity() const override {
    if (h_.stream)
      return "per-segment AES-256-GCM (" + std::to_string(h_.stream->segment_size >> 10) +
             " KiB segments)";
    return std::string(h_.has_mac ? kWholeFileMac : kNoIntegrity);
  }
  std::uint64_t decrypt(ByteSink& out, const ContentKey& key,
                        bool discarded_on_failure) const override {
    pfile::ReadOptions ro = read_options();
    ro.overlap_verification = discarded_on_failure;
    return pfile::decrypt(src_, out, key.bytes(), ro).size;
  }
  std::unique_ptr<RandomAccess> random_access(const ContentKey& key) const override {
    return std::make_unique<PFileRandomAccess>(src_, key.bytes(), read_options());
  }

 private:
  pfile::ReadOptions read_options() const {
    pfile::ReadOptions ro;
    ro.require_integrity = opt_.require_integrity;
    ro.segments = opt_.segments;
    ro.progress = opt_.progress;
    return ro;
  }
  const ByteSource& src_;
  ContainerOptions opt_;
  pfile::Header h_;
};

// ---- Office IRM: one private copy, parsed once, serves the license, sizes and decryption ----

class IrmReader final : public ContainerReader {
 public:
  IrmReader(const ByteSource& src, const ContainerOptions& opt)
      : opt_(opt), copy_(src), opened_(office::irm::internal::open(copy_)) {}
  ContainerKind kind() const noexcept override { return ContainerKind::office_irm; }
  const std::string& license() const noexcept override { return opened_.info.license; }
  std::optional<std::uint64_t> size() const noexcept override { return opened_.info.size; }
  std::string integrity() const override {
    if (opened_.info.integrity_version == 2)
      return "per-chunk HMAC-SHA256 (1024 KiB chunks) and a header MAC";
    return std::string(opened_.info.has_mac ? kWholeFileMac : kNoIntegrity);
  }
  std::uint64_t decrypt(ByteSink& out, const ContentKey& key,
                        bool discarded_on_failure) const override {
    namespace irm = office::irm;
    irm::ReadOptions ro;
    ro.require_integrity = opt_.require_integrity;
    ro.backend = &opt_.backend();
    ro.progress = opt_.progress;
    ro.overlap_verification = discarded_on_failure;
    const auto k = key.derive(ContentKey::Purpose::office_irm_aes128, opt_.backend());
    if (opened_.info.flavour == irm::Flavour::binary)
      return irm::internal::decrypt_binary(opened_, copy_, out, k, ro).size;
    return irm::internal::decrypt(opened_, copy_, out, k, ro).size;
  }
  std::unique_ptr<RandomAccess> random_access(const ContentKey& key) const override {
    struct Chunks final : RandomAccess {
      office::irm::internal::ChunkReader r;
      Chunks(const office::irm::internal::Opened& o, const ByteSource& s, ByteView k,
             const crypto::Backend& be)
          : r(o, s, k, be) {}
      std::uint64_t size() const noexcept override { return r.size(); }
      std::size_t read_at(std::uint64_t off, MutableByteView out) const override {
        return r.read_at(off, out);
      }
    };
    const auto k = key.derive(ContentKey::Purpose::office_irm_aes128, opt_.backend());
    return std::make_unique<Chunks>(opened_, copy_, k, opt_.backend());
  }

 private:
  ContainerOptions opt_;
  detail::PrivateCopy copy_;
  office::irm::internal::Opened opened_;
};

// ---- rights-managed PDF ----

class PdfReader final : public ContainerReader {
 public:
  PdfReader(const ByteSource& src, const ContainerOptions& opt)
      : src_(src), opt_(opt), info_(pdf::rights::read_info(src)) {}
  ContainerKind kind() const noexcept override { return ContainerKind::pdf; }
  const std::string& license() const noexcept override { return info_.license; }
  std::optional<std::uint64_t> size() const noexcept override { return info_.original_size; }
  std::string integrity() const override {
    if (info_.version == 2)
      return "per-segment AES-256-GCM (1024 KiB segments) and a header MAC; the original file";
    return std::string(info_.has_mac ? kWholeFileMac : kNoIntegrity);
  }
  std::uint64_t decrypt(ByteSink& out, const ContentKey& key, bool) const override {
    return pdf::rights::decrypt(src_, out, key.bytes(), read_options()).size;
  }
  std::unique_ptr<RandomAccess> random_access(const ContentKey& key) const override {
    struct Segments final : RandomAccess {
      pdf::rights::Reader r;
      Segments(const ByteSource& s, ByteView k, const pdf::rights::ReadOptions& o) : r(s, k, o) {}
      std::uint64_t size() const noexcept override { return r.size(); }
      std::size_t read_at(std::uint64_t off, MutableByteView out) const override {
        return r.read_at(off, out);
      }
    };
    return std::make_unique<Segments>(src_, key.bytes(), read_options());
  }

 private:
  pdf::rights::ReadOptions read_options() const {
    pdf::rights::ReadOptions ro;
    ro.require_integrity = opt_.require_integrity;
    ro.segments = opt_.segments;
    ro.progress = opt_.progress;
    return ro;
  }
  const ByteSource& src_;
  ContainerOptions opt_;
  pdf::rights::Info info_;
};

// ---- writers ----

class PFileWriter final : public ContainerWriter {
 public:
  explicit PFileWriter(const ContainerOptions& opt) : opt_(opt) {}
  ContainerKind kind() const noexcept override { return ContainerKind::pfile; }
  void write(const ByteSource& in, ByteSink& out, std::string_view license, const ContentKey& key,
             const WriteContext& ctx) const override {
    pfile::WriteOptions wo;
    wo.extension = std::filesystem::path(ctx.name).extension().string();
    wo.segments = opt_.segments;
    wo.progress = opt_.progress;
    pfile::write(in, out, license, key.bytes(), wo);
  }
  std::string output_name(std::string_view name) const override {
    return pfile::protected_name(name);
  }

 private:
  ContainerOptions opt_;
};

class IrmWriter final : public ContainerWriter {
 public:
  explicit IrmWriter(const ContainerOptions& opt) : opt_(opt) {}
  ContainerKind kind() const noexcept override { return ContainerKind::office_irm; }
  void write(const ByteSource& in, ByteSink& out, std::string_view license, const ContentKey& key,
             const WriteContext&) const override {
    namespace irm = office::irm;
    irm::WriteOptions wo;
    wo.backend = &opt_.backend();
    wo.progress = opt_.progress;
    const auto k = key.derive(ContentKey::Purpose::office_irm_aes128, opt_.backend());
    std::uint8_t sig[8] = {};
    if (cfb::Reader::has_signature(first_bytes(in, sig)))
      irm::write_binary_document(in, out, license, k, wo);
    else
      irm::write(in, out, license, k, wo);
  }

 private:
  ContainerOptions opt_;
};

class PdfWriter final : public ContainerWriter {
 public:
  explicit PdfWriter(const ContainerOptions& opt) : opt_(opt) {}
  ContainerKind kind() const noexcept override { return ContainerKind::pdf; }
  void write(const ByteSource& in, ByteSink& out, std::string_view license, const ContentKey& key,
             const WriteContext& ctx) const override {
    pdf::rights::WriteOptions wo;
    wo.segments = opt_.segments;
    wo.progress = opt_.progress;
    wo.cover_text = ctx.cover_text;
    pdf::rights::write(in, out, license, key.bytes(), wo);
  }

 private:
  ContainerOptions opt_;
};

}  // namespace

ContainerKind detect_container(const ByteSource& src) noexcept {
  try {
    std::uint8_t head[8] = {};
    const ByteView first = first_bytes(src, head);
    if (pfile::has_signature(first)) return ContainerKind::pfile;
    if (cfb::Reader::has_signature(first)) {
      auto d = office::detect(src);
      return d.scheme == office::Scheme::irm ? ContainerKind::office_irm : ContainerKind::none;
    }
    if (pdf::rights::is_protected(src)) return ContainerKind::pdf;
  } catch (const std::exception&) {
  }
  return ContainerKind::none;
}

std::unique_ptr<ContainerReader> open_container(const ByteSource& src,
                                                const ContainerOptions& opt) {
  std::uint8_t head[8] = {};
  const ByteView first = first_bytes(src, head);
  if (pfile::has_signature(first)) return std::make_unique<PFileReader>(src, opt);
  // A compound file is opened as IRM straight away (one parse); one that is not IRM says so.
  if (cfb::Reader::has_signature(first)) {
    try {
      return std::make_unique<IrmReader>(src, opt);
    } catch (const Error& e) {
      if (e.code() != Errc::bad_format) throw;
      fail(Errc::bad_format, "not a protected file (PFile, Office IRM or rights-managed PDF): " +
                                 std::string(e.what()));
    }
  }
  if (pdf::rights::is_protected(src)) return std::make_unique<PdfReader>(src, opt);
  fail(Errc::bad_format, "not a protected file (PFile, Office IRM or rights-managed PDF)");
}

ContainerKind container_for(const ByteSource& src) {
  std::uint8_t head[8] = {};
  const ByteView first = first_bytes(src, head);
  if (first.size() >= 4 &&
      (cfb::Reader::has_signature(first) || (first[0] == 'P' && first[1] == 'K'))) {
    office::Detection d;
    try {
      d = office::detect(src);
    } catch (const Error&) {
      return ContainerKind::pfile;  // a broken compound file or ZIP: protect the bytes as they are
    }
    if (d.container == office::Container::ooxml) return ContainerKind::office_irm;
    if (d.container == office::Container::legacy_binary) {
      if (d.scheme == office::Scheme::none) return ContainerKind::office_irm;
      if (d.scheme != office::Scheme::irm)
        fail(Errc::invalid_argument,
             "this binary Office document is password-protected: remove the password in its "
             "application (or decrypt it: openrms office decrypt), then protect it");
    }
    if (d.container == office::Container::ooxml_encrypted && d.scheme != office::Scheme::irm)
      fail(Errc::invalid_argument,
           "this Office document is password-encrypted: decrypt it first (openrms office "
           "decrypt), then protect it");
  }
  if (starts_with_pdf(src)) return ContainerKind::pdf;
  return ContainerKind::pfile;
}

std::unique_ptr<ContainerWriter> writer_for(ContainerKind kind, const ContainerOptions& opt) {
  switch (kind) {
    case ContainerKind::pfile:
      return std::make_unique<PFileWriter>(opt);
    case ContainerKind::office_irm:
      return std::make_unique<IrmWriter>(opt);
    case ContainerKind::pdf:
      return std::make_unique<PdfWriter>(opt);
    case ContainerKind::none:
      break;
  }
  fail(Errc::invalid_argument, "no container to write");
}

}  // namespace openrms::formats
