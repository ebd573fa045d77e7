// The pieces of DKIM (RFC 6376) that ARC (RFC 8617) reuses: its ARC-Message-Signature is a
// DKIM signature under another name, and its ARC-Seal is signed the same way over other fields.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "mail/mailauth/dkim.hpp"
#include "mail/message/header.hpp"

namespace hearth::mail::mailauth::dkim_core {

// The field `raw` ("Name: value" with its CRLF) with the b= tag's value removed (§3.7), the
// rest byte for byte.
std::string blank_b(std::string_view raw);

// The header hash input (§3.7): the `names` fields of `h`, each picked from the bottom up (a
// missing one is the null string), then the signature field `sig_field_raw` with b= empty and
// without its final CRLF. `sig_index` is the signature's own index in h.fields (skipped), or
// h.fields.size() for a field not yet in the message.
std::string header_input(const header_section& h, const std::vector<std::string>& names,
                         std::string_view sig_field_raw, bool relaxed, std::size_t sig_index);

// bh= of a relaxed signature (base64 SHA-256 of the relaxed canonical body): the body after
// `h` in `message`, or read through `pieces` when set (then `message` is the header section
// only). Errors: "dkim.sign" (the pieces could not be read).
result<std::string> relaxed_body_hash(std::string_view message, const header_section& h, const body_pieces& pieces);

// Signs `data` (rsa-sha256: PKCS#1 v1.5 over SHA-256; ed25519-sha256: Ed25519 over its SHA-256).
// Errors: "dkim.key" (unreadable or not of `algorithm`'s kind), "dkim.sign".
result<std::string> sign_data(const std::string& private_pem, std::string_view algorithm, std::string_view data);

// Checks `sig` over `data` with the key of record `key`. Errors: "dkim.key" (unreadable, kind
// not matching `algorithm`, RSA shorter than 1024 bits), "dkim.bad_signature".
result<void> verify_data(const key_record& key, std::string_view algorithm, std::string_view data,
                         const std::string& sig);

}  // namespace hearth::mail::mailauth::dkim_core
