#include "web/admin/cert_info.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

namespace hearth::web::admin {
namespace {

std::string name_line(const X509_NAME* n) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), n, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

result<certificate_info> read_certificate(const std::filesystem::path& pem_file) {
  std::error_code ec;
  auto size = std::filesystem::file_size(pem_file, ec);
  // The config refuses bigger files too; a chain is a few KiB.
  if (ec || size > 1024 * 1024) return fail("cert.read", "cannot read " + pem_file.string());
  std::ifstream in(pem_file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string pem = ss.str();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr,
                                                   X509_free);
  if (!cert) return fail("cert.read", "no PEM certificate in " + pem_file.string());
  certificate_info out;
  out.subject = name_line(X509_get_subject_name(cert.get()));
  out.issuer = name_line(X509_get_issuer_name(cert.get()));
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return fail("cert.read", "unreadable expiry date");
  out.not_after = static_cast<std::int64_t>(timegm(&tm));
  return out;
}

}  // namespace hearth::web::admin
