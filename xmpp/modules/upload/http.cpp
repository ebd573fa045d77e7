// The HTTP side of HTTP File Upload (XEP-0363 §5): PUT into a slot, GET (with ranges) of a
// stored file, the CORS answers web clients need, and the expiry sweep.
#include <algorithm>
#include <filesystem>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/blob/reader.hpp"
#include "core/blob/store.hpp"
#include "core/log/log.hpp"
#include "core/net/blocking.hpp"
#include "core/util/strings.hpp"
#include "xmpp/modules/upload/internal.hpp"
#include "xmpp/modules/upload/proto/slot.hpp"

namespace hearth::xmpp::upload {

namespace asio = boost::asio;

namespace {

constexpr std::string_view prefix = "/upload/";
// Body pieces gathered before each blob write: one hop to the blocking pool per MiB rather
// than per TLS record.
constexpr std::size_t write_piece = 1 << 20;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Web clients (Converse.js) PUT from their own origin with an Authorization header: the
// preflight must allow it. The URLs are capabilities, so any origin may use them.
void cors(http::response& r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, PUT, OPTIONS");
  r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
  r.headers.emplace_back("Access-Control-Max-Age", "86400");
}

http::response answer(int status, std::string text) {
  auto r = http::response::text(status, std::move(text) + "\n");
  cors(r);
  return r;
}

}  // namespace

asio::awaitable<http::response> service::serve(http::request req, http::body_source& body) {
  if (req.method == "OPTIONS") {
    http::response r;
    r.status = 204;
    cors(r);
    co_return r;
  }
  auto parts = parse_path(req.path, prefix);
  if (!parts) co_return answer(404, "Not Found");
  if (req.method == "PUT") co_return co_await put(req, body, parts->id, parts->filename);
  if (req.method == "GET" || req.method == "HEAD") {
    auto job = [this, &req, &parts] { return get(req, parts->id, parts->filename); };
    co_return co_await net::run_blocking(std::move(job));
  }
  auto r = answer(405, "Method Not Allowed");
  r.headers.emplace_back("Allow", "GET, HEAD, PUT, OPTIONS");
  co_return r;
}

asio::awaitable<http::response> service::put(http::request& req, http::body_source& body, const std::string& id,
                                             const std::string& filename) {
  const std::string auth = req.header("authorization");
  if (!auth.starts_with("Bearer ")) co_return answer(403, "Forbidden: no upload slot (Authorization: Bearer)");
  auto s = verify(std::string_view(auth).substr(7), id, filename, opts_.secret, now_seconds());
  if (!s) {
    log::info("xmpp.upload.refused", {{"id", id}, {"ip", req.remote_ip}, {"reason", s.error().code}});
    co_return answer(403, "Forbidden: " + s.error().message);
  }
  // XEP-0363 §5: the service checks that the upload is the one the slot was given for.
  if (req.header("content-length").empty()) co_return answer(411, "Length Required");
  if (body.length() > s->size) co_return answer(413, "Content Too Large: larger than the slot's size");
  if (body.length() != s->size) co_return answer(400, "Bad Request: Content-Length differs from the slot's size");
  const std::string type = req.header("content-type");
  if (!(type.empty() && s->content_type == "application/octet-stream") && !util::iequals(type, s->content_type))
    co_return answer(400, "Bad Request: Content-Type differs from the slot's content-type");
  auto job_check = [this, &id, &s]() -> int {
    if (store_.find(id)) return 409;
    if (opts_.quota > 0 && store_.used(s->owner) + s->size > opts_.quota) return 413;
    return 0;
  };
  if (int refused = co_await net::run_blocking(std::move(job_check))) {
    log::info("xmpp.upload.refused", {{"user", s->owner}, {"id", id}, {"reason", refused == 409 ? "used" : "quota"}});
    co_return refused == 409 ? answer(409, "Conflict: this slot has been used")
                             : answer(413, "Content Too Large: over the user's upload quota");
  }
  // A pointer, not result<writer>: what run_blocking returns must be default-constructible.
  auto job_begin = [this, &id]() -> std::unique_ptr<blob::writer> {
    auto w = blobs_.begin();
    if (!w) {
      log::error("xmpp.upload.error", {{"id", id}, {"error", w.error().message}});
      return nullptr;
    }
    return std::make_unique<blob::writer>(std::move(*w));
  };
  auto w = co_await net::run_blocking(std::move(job_begin));
  if (!w) co_return answer(500, "Internal Server Error");
  std::string piece;
  for (;;) {
    auto chunk = co_await body.read(write_piece);
    if (!chunk) co_return answer(400, "Bad Request: the body did not arrive");
    const bool end = chunk->empty();
    piece += *chunk;
    if (piece.size() >= write_piece || (end && !piece.empty())) {
      auto job_write = [&w, &piece] { return w->write(piece); };
      if (auto r = co_await net::run_blocking(std::move(job_write)); !r) {
        log::error("xmpp.upload.error", {{"id", id}, {"error", r.error().message}});
        co_return answer(500, "Internal Server Error");
      }
      piece.clear();
    }
    if (end) break;
  }
  auto job_commit = [this, &w, &s, &id, &filename]() -> result<bool> {
    auto blob = w->commit();
    if (!blob) return blob.error();
    stored_file f{id, filename, s->owner, s->content_type, s->size, *blob, now_seconds()};
    return store_.add(f);
  };
  auto added = co_await net::run_blocking(std::move(job_commit));
  if (!added) {
    log::error("xmpp.upload.error", {{"id", id}, {"error", added.error().message}});
    co_return answer(500, "Internal Server Error");
  }
  if (!*added) co_return answer(409, "Conflict: this slot has been used");
  log::info("xmpp.upload.put", {{"user", s->owner}, {"id", id}, {"size", s->size}, {"type", s->content_type}});
  co_return answer(201, "Created");
}

http::response service::get(const http::request& req, const std::string& id, const std::string& filename) {
  auto f = store_.find(id);
  if (!f || f->filename != filename) return answer(404, "Not Found");
  auto path = blobs_.path_of(f->blob);
  if (!path || !blobs_.exists(f->blob)) return answer(404, "Not Found");
  // A blob kept in the database has no file to send from: its bytes go in the body.
  std::error_code ec;
  const bool in_file = std::filesystem::is_regular_file(*path, ec);
  http::response r;
  cors(r);
  r.headers.emplace_back("Content-Type", f->content_type);
  r.headers.emplace_back("Accept-Ranges", "bytes");
  // The content is the uploader's, not ours: never sniffed into something runnable, never a
  // page with scripts, cached as long as it lives (a slot's URL never changes content).
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  auto range = parse_range(req.header("range"), f->size);
  if (req.header("range").empty()) range.kind = range_kind::whole;
  switch (range.kind) {
    case range_kind::unsatisfiable:
      r.status = 416;
      r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(f->size));
      return r;
    case range_kind::partial:
      r.status = 206;
      r.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.range.first) + "-" +
                                                  std::to_string(range.range.last) + "/" + std::to_string(f->size));
      r.file_offset = range.range.first;
      r.file_length = range.range.last - range.range.first + 1;
      break;
    case range_kind::whole:
      r.file_offset = 0;
      r.file_length = f->size;
      break;
  }
  if (r.file_length == 0) return r;
  if (in_file) {
    r.file = path->string();
    return r;
  }
  // Only the parts under the range are read, and the body is the one copy held.
  auto reader = blob::open_reader(blobs_, f->blob);
  if (!reader) return answer(404, "Not Found");
  auto bytes = (*reader)->read(r.file_offset, static_cast<std::size_t>(r.file_length));
  if (!bytes || bytes->size() < r.file_length) return answer(404, "Not Found");
  r.body = std::move(*bytes);
  r.file_offset = r.file_length = 0;
  return r;
}

std::size_t service::sweep() {
  const std::int64_t before = now_seconds() - opts_.keep.count();
  const std::size_t n = store_.expire(before, [this](const std::string& blob) {
    if (auto r = blobs_.remove_file(blob); !r && r.error().code != "blob.not_found")
      log::warn("xmpp.upload.expire", {{"blob", blob}, {"error", r.error().message}});
  });
  if (n > 0) log::info("xmpp.upload.expire", {{"files", n}});
  return n;
}

namespace {
asio::awaitable<void> sweep_loop(std::shared_ptr<service> s, std::shared_ptr<asio::steady_timer> timer,
                                 std::chrono::seconds every) {
  for (;;) {
    try {
      auto job = [&s] { return s->sweep(); };
      co_await net::run_blocking(std::move(job));
    } catch (const std::exception& e) {
      log::error("xmpp.upload.expire", {{"error", e.what()}});
    }
    timer->expires_after(every);
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}
}  // namespace

void service::start_sweeps(asio::any_io_executor ex) {
  timer_ = std::make_shared<asio::steady_timer>(ex);
  // Often enough that a file outlives its age by a small fraction of it, at most hourly.
  const auto every = std::clamp<std::chrono::seconds>(opts_.keep / 10, std::chrono::seconds(60), std::chrono::hours(1));
  asio::co_spawn(ex, sweep_loop(shared_from_this(), timer_, every), asio::detached);
}

void service::stop_sweeps() {
  if (!timer_ || stopped_.exchange(true)) return;
  asio::post(timer_->get_executor(), [t = timer_] { t->cancel(); });
}

}  // namespace hearth::xmpp::upload
