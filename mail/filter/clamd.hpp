// A clamd client (ClamAV's daemon, clamd(8) "INSTREAM"): the message is sent in chunks, each
// a 4-octet big-endian length then the data, ended by a zero length; clamd answers one line,
// "stream: OK", "stream: NAME FOUND" or "... ERROR". Commands are sent in the z form
// ("zINSTREAM\0"), so replies end in NUL.
//
// clamd closes the connection with "INSTREAM size limit exceeded" once a stream passes its
// StreamMaxLength (25 MB by default): we send at most `max_stream_bytes` (set it to clamd's
// value) and say so in the result (`truncated`), rather than meeting that error.
//
// scan() blocks (connect, write, read, each with the timeout): call it on the blocking pool.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mail/message/pieces.hpp"

namespace hearth::mail::filter {

enum class scan_status { clean, infected, error };

struct scan_result {
  scan_status status = scan_status::error;
  std::string name;       // the signature, when infected
  std::string error;      // what went wrong, when error
  bool truncated = false; // only the first max_stream_bytes were scanned
};

// Pure: one reply of clamd, without its NUL / newline.
scan_result parse_clamd_reply(std::string_view reply);

// Pure: one INSTREAM chunk frame for `data` (length prefix + data).
std::string instream_chunk(std::string_view data);

struct clamd_target {
  std::string unix_path;  // a Unix socket path, or
  std::string host;       // host and port for TCP
  std::uint16_t port = 0;
};

// "/run/clamav/clamd.ctl" or "unix:/path", "127.0.0.1:3310", "[::1]:3310"; nullopt otherwise.
std::optional<clamd_target> parse_clamd_address(std::string_view text);

struct clamd_options {
  std::chrono::milliseconds timeout{30000};  // for each of connect, each write, the reply
  std::size_t chunk_bytes = 64 * 1024;
  std::size_t max_stream_bytes = 25u << 20;
};

scan_result clamd_scan(const clamd_target& t, std::string_view message, const clamd_options& o = {});
// The same for a message whose body is read in pieces (a large one kept on disk): `head`
// first, then what `body` hands out, up to max_stream_bytes in all.
scan_result clamd_scan(const clamd_target& t, std::string_view head,
                       const mail::body_pieces& body,
                       const clamd_options& o = {});

}  // namespace hearth::mail::filter
