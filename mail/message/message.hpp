// The RFC 5322 / MIME message library shared by SMTP, IMAP and mail authentication.
// Pure: bytes in, views and values out; no I/O, no logging. Everything lives in hearth::mail.
//
//   header.hpp    header section: fields with exact raw bytes and offsets, unfolding, limits
//   encoding.hpp  charsets to UTF-8, RFC 2047 encoded words, base64, quoted-printable
//   address.hpp   RFC 5322 §3.4 address lists (mailboxes, groups, obsolete forms)
//   mime.hpp      Content-Type/Disposition parameters (RFC 2231) and the body part tree
#pragma once
#include "mail/message/address.hpp"
#include "mail/message/encoding.hpp"
#include "mail/message/header.hpp"
#include "mail/message/mime.hpp"
