// FETCH of a large message's raw bytes without holding them: the attributes that name a range
// of the message as stored (BODY[], BODY.PEEK[]<o.n>, RFC822, BINARY[] and BINARY.SIZE[] of
// the whole message) need no MIME parse, so for a message over stream_min_bytes the handler
// writes the literal's length and leaves the bytes to the session (state.hpp deferred_bytes),
// which reads them from the blob store part by part as it sends them. A partial fetch reads
// only the parts under its range.
#pragma once
#include <cstdint>
#include <string>

#include "core/util/result.hpp"
#include "mail/imap/proto/types.hpp"
#include "mail/imap/server/state.hpp"

namespace hearth::mail::imap {

// Below this, bytes are read whole and cached as before (most mail; the session cache serves
// a FETCH of BODYSTRUCTURE then BODY[] from one read).
inline constexpr std::uint64_t stream_min_bytes = 1024 * 1024;

// True for an attribute that is a byte range of the stored message.
bool streamable(const fetch_att& a);

// The item for streamable attribute `a` of message `m` ("BODY[]<0> {1024}\r\n"), its bytes
// appended to `deferred` with `at` = the item's length (the caller adds where the item lands
// in reply::out). BINARY[] looks for a NUL in the range (RFC 3516 §4.3: literal8 only then),
// reading it part by part. Errors: the blob store's (core/blob/reader.hpp).
result<std::string> streamed_item(const blob::store& blobs, const mail::message_info& m, const fetch_att& a,
                                  std::vector<deferred_bytes>& deferred);

}  // namespace hearth::mail::imap
