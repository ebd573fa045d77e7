// Domains of the links in a message (URIBL). Pure and thread-safe; bounded
// work: at most `max_text` decoded octets per message are scanned and at most `max_hosts`
// distinct hosts are returned.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::filter {

struct uri_limits {
  std::size_t max_hosts = 20;            // distinct hosts returned
  std::size_t max_text = 1024 * 1024;    // decoded text scanned, all parts together
  std::size_t max_parts = 50;            // text parts decoded
};

// Hosts of the http/https URIs and bare "www." links in `text`, in order of appearance,
// lowercase, without userinfo, port or trailing dot; only names with a dot and valid labels
// (address literals are skipped). Appends to `out` up to `max_hosts` distinct entries.
void extract_hosts(std::string_view text, std::vector<std::string>& out, std::size_t max_hosts);

// The same over a whole message: every text/plain and text/html part (MIME-decoded: base64,
// quoted-printable), inside multiparts and attached messages.
std::vector<std::string> message_hosts(std::string_view message, const uri_limits& limits = {});

// The registered domain of a host ("www.example.co.uk" -> "example.co.uk"): the Public Suffix
// List's public suffix plus one label. URIBLs list registered domains.
using registered_domain_fn = std::function<std::string(std::string_view host)>;

// The names a URIBL is asked for a host: the host and its registered domain, by `registered`
// or, without it, the last two labels ("a.b.example.com" -> {"a.b.example.com",
// "example.com"}; "example.com" -> {"example.com"}).
std::vector<std::string> uribl_names(std::string_view host, const registered_domain_fn& registered = {});

}  // namespace hearth::mail::filter
