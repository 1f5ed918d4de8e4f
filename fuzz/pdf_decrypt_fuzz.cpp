// PDF security handlers on arbitrary files: describe, then decrypt with the password "pw" (or
// none, by the last byte's low bit) and, for files encrypted to certificates (Adobe.PubSec),
// with the key below. Typed errors only; never a crash or a hang.
//
// The key is a throwaway RSA-1024 key made for this target (it protects nothing); the PubSec
// seeds were encrypted to its certificate by Apache PDFBox 2 (s4 RC4-40/128, s5 AES-256), so
// mutations get past the envelope into the object decryption.
#include "openrms/crypto/cms.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"

using namespace openrms::formats;

namespace {

const openrms::crypto::RecipientKey& fuzz_key() {
  static const openrms::crypto::RecipientKey key = openrms::crypto::RecipientKey::from_pem(
      "-----BEGIN CERTIFICATE-----\n"
      "MIICIDCCAYmgAwIBAgIUFnuBJNIPaYJJYO08L2xgoLhIrSIwDQYJKoZIhvcNAQEL\n"
      "BQAwITEfMB0GA1UEAwwWb3BlbnJtcyBmdXp6IHJlY2lwaWVudDAgFw0yNjExMzAx\n"
      "NTMzMDdaGA8yMTI2MTEwNjE1MzMwN1owITEfMB0GA1UEAwwWb3BlbnJtcyBmdXp6\n"
      "IHJlY2lwaWVudDCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEA4NOzplnCqqIQ\n"
      "RjDFcHeqsMkX5dsOQkZgSYR8ReehkFUALjWg+q442+di5SapHdmrjjaQ84cySQ2h\n"
      "KLlKVR4v4W9ZPb/LXNOZF9sfAKzFzf+ZK0O8GXay+2CgnpBnmEBN1MPDOHIqwHfP\n"
      "jbkJx5TH7FZ1Vhwq0FqBxRDr2Bb/ymMCAwEAAaNTMFEwHQYDVR0OBBYEFBr8N8ut\n"
      "ZGGiKYsB5NY+w6eEA1JuMB8GA1UdIwQYMBaAFBr8N8utZGGiKYsB5NY+w6eEA1Ju\n"
      "MA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADgYEA1/sEkv4nksfST+Jm\n"
      "CwbegJQlPzyfRTOAow6eAaHQaLj2V+3oxPjG9WzkyYnDIyVyDrkcEPMREHFt4Xa+\n"
      "EepMMHspvnnY/oMY5Sn44qiFMM/wdFh0SemZYThcdX4A/LLqh4n7yAFVxFDn6/x9\n"
      "xJEt/SY0Q4q8w1M6KSaFF580IxU=\n"
      "-----END CERTIFICATE-----\n"
      "-----BEGIN PRIVATE KEY-----\n"
      "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAODTs6ZZwqqiEEYw\n"
      "xXB3qrDJF+XbDkJGYEmEfEXnoZBVAC41oPquONvnYuUmqR3Zq442kPOHMkkNoSi5\n"
      "SlUeL+FvWT2/y1zTmRfbHwCsxc3/mStDvBl2svtgoJ6QZ5hATdTDwzhyKsB3z425\n"
      "CceUx+xWdVYcKtBagcUQ69gW/8pjAgMBAAECgYEAyWj+PN2WxjQvbiINDqc1s/BC\n"
      "x3lJudfANLxKdHmAxINRiRQkJc7kQyRz9SOAR6yTwvBhRLluNAHQyWHNFJnZe2a1\n"
      "99ik657v/lqdEDVMg7p0bdOR1qCT8C+hzY1S1/uuAgz4Qtr53j3ANLVeKi3Q58lx\n"
      "A1o90GnyeC/+lmdkINkCQQD26GPPo5t+5ullMuOjVnumLvBq29UPuJT6+LWN3Usp\n"
      "WPb0nZxLz/Dn/DqHctew5K0PzVnrnXlci7DaJpbjU1btAkEA6RsntNwq4vilzyr/\n"
      "wW3sAOP/+U4sUFzo6+J7WwKEzcgDRfgeiTxC4+C6BocE+hTaJkJ9h4OXcpi128aK\n"
      "DNesjwJARFGtPIkSv5x5PE1Ge620bRlT4N2PKNh0MLWc1vJCl+BMBQePddLF4AsE\n"
      "zvHSCNpdoJ+7n9xk9lyYxOQkoCYxSQJAR/zB22GuwN9G3V6LEyIuIuxGbahNmRfI\n"
      "Oqh7rdRuTNp64E3KqFj600LgUAm8aLqtz+jyuTnTOGmep9t9YI/uUwJAHNFrja2F\n"
      "WIQ+9GISBYEQA7NePGTizI9EtcMrAmYVd/4NsBekRvhcczsAjFSup90kHGG8w5/J\n"
      "C6U2wBu9urz7OA==\n"
      "-----END PRIVATE KEY-----\n");
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  MemorySource src(ByteView(data, size));
  std::optional<std::string_view> pw;
  if (data[size - 1] & 1) pw = std::string_view("pw");
  try {
    (void)pdf::describe(src, pw, &fuzz_key());
  } catch (const openrms::Error&) {
  }
  try {
    Bytes out;
    MemorySink sink(out);
    pdf::DecryptOptions opt;
    opt.key = &fuzz_key();
    (void)pdf::decrypt(src, sink, pw, opt);
  } catch (const openrms::Error&) {
  }
  return 0;
}
