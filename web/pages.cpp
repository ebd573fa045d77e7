// Serves the pages: "/" is the shell (index.html), "/web/NAME" the embedded files: app.js (the
// build's bundle of the code, the English strings and every page), the style sheet, the
// strings of each language, and "/web/pages.json" (the pages' ids, written by the build).
//
// Speed (the goal is a page shown with its data in under 100 ms): the shell names every file
// with its content's hash (/web/app.js?v=HASH), and a file asked for with its current hash is
// cached by the browser for good (immutable), so a page loaded again costs the shell and the
// page's own API call, nothing else. Files are gzip-compressed once, at start. The shell also
// carries the session (who is signed in, the CSRF token), which saves the page a round trip,
// and loads one script: in Chromium each further module costs more time than its bytes.
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/crypto/crypto.hpp"
#include "core/http/gzip.hpp"
#include "core/util/strings.hpp"
#include "web/api.hpp"
#include "web/assets.hpp"
#include "core/json/json.hpp"
#include "web/pages.hpp"

namespace hearth::web {
namespace {

struct file {
  std::string body;
  std::string gz;  // gzip of body; empty when it would not be smaller
  std::string type;
  std::string hash;  // of body: the v= of its URL and its ETag
};

std::string content_type(std::string_view name) {
  auto ends = [&](std::string_view s) { return name.ends_with(s); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

file make(std::string name, std::string body) {
  file f;
  f.type = content_type(name);
  f.hash = crypto::hex_encode(crypto::sha256(body).substr(0, 8));
  if (!f.type.starts_with("image/png"))
    if (auto z = http::gzip(body); z && z->size() < body.size()) f.gz = std::move(*z);
  f.body = std::move(body);
  return f;
}

std::string url_of(const std::string& name, const file& f) { return "/web/" + name + "?v=" + f.hash; }

// For an HTML attribute value between double quotes.
std::string attr_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

// Whether the browser asks for `lang` first, as app.js chooses its strings (the first two
// letters of navigator.language, which browsers also put first in Accept-Language):
// "fr" for "fr-CH, fr;q=0.9, en;q=0.8".
bool asks_first_for(std::string_view accept_language, std::string_view lang) {
  accept_language = util::trim(accept_language);
  if (!util::istarts_with(accept_language, lang)) return false;
  return accept_language.size() == lang.size() || std::string_view("-,; ").find(accept_language[lang.size()]) != std::string_view::npos;
}

http::response serve(const file& f, const http::request& req) {
  http::response r;
  const bool gz = !f.gz.empty() && http::accepts_gzip(req.header("accept-encoding"));
  // The two encodings are different representations: each has its own validator.
  const std::string etag = "\"" + f.hash + (gz ? "-gz\"" : "\"");
  if (req.header("if-none-match") == etag) {
    r.status = 304;
  } else {
    r = http::response::text(200, gz ? f.gz : f.body, f.type);
    if (gz) r.headers.emplace_back("Content-Encoding", "gzip");
  }
  if (!f.gz.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("ETag", etag);
  // Asked for by its hash: this URL never names other bytes, so it never needs asking again.
  // Otherwise (an old shell, a hand-typed URL) revalidated each time, so that a new version
  // of Hearth never mixes old and new modules in a browser's cache.
  const bool versioned = http::query_param(req.query, "v").value_or("") == f.hash;
  r.headers.emplace_back("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "no-cache");
  add_security_headers(r);
  return r;
}

}  // namespace

void add_pages(http::router& r, std::function<std::string(const http::request&)> session_of) {
  auto files = std::make_shared<std::map<std::string, file, std::less<>>>();
  for (const auto& a : embedded_assets()) (*files)[std::string(a.name)] = make(std::string(a.name), std::string(a.data, a.size));
  // The shell names every file by its versioned URL (app.js finds the strings of other
  // languages in this map).
  json::object map;
  // A language's strings other than English (built into app.js) are a module app.js imports
  // before it draws anything: for a browser that asks for that language the shell names it
  // (modulepreload), so that it arrives with app.js instead of a round trip after it.
  auto preloads = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  for (const auto& [name, f] : *files) {
    if (name != "index.html") map.set(name, url_of(name, f));
    if (name.starts_with("i18n/") && name.ends_with(".js") && name != "i18n/en.js")
      preloads->emplace_back(name.substr(5, name.size() - 8), "\n<link rel=\"modulepreload\" href=\"" + url_of(name, f) + "\">");
  }
  auto shell = std::make_shared<std::string>();
  if (auto it = files->find("index.html"); it != files->end()) {
    std::string html = it->second.body;
    auto put = [&](const std::string& mark, const std::string& with) {
      if (auto at = html.find(mark); at != std::string::npos) html.replace(at, mark.size(), with);
    };
    put("<!--hearth-pages-->", "<meta name=\"hearth-assets\" content=\"" + attr_escape(json::value(std::move(map)).dump()) + "\">");
    if (auto css = files->find("style.css"); css != files->end()) put("\"/web/style.css\"", "\"" + url_of("style.css", css->second) + "\"");
    if (auto app = files->find("app.js"); app != files->end()) put("\"/web/app.js\"", "\"" + url_of("app.js", app->second) + "\"");
    *shell = std::move(html);
  }

  r.add({{"GET"}, "/", false, std::nullopt, [shell, session_of, preloads](const http::request& req) {
           // Personal (it carries the session's CSRF token): never stored by the browser or a
           // proxy; it is small, and everything it names is cached.
           std::string html = *shell;
           const std::string mark = "<!--hearth-session-->";
           std::string hint;
           const std::string accept = req.header("accept-language");
           for (const auto& [lang, link] : *preloads)
             if (asks_first_for(accept, lang)) hint = link;
           if (auto at = html.find(mark); at != std::string::npos)
             html.replace(at, mark.size(), "<meta name=\"hearth-session\" content=\"" +
                                               attr_escape(session_of ? session_of(req) : std::string()) + "\">" + hint);
           auto res = http::response::text(200, std::move(html), "text/html; charset=utf-8");
           res.headers.emplace_back("Cache-Control", "no-store");
           add_security_headers(res);
           return res;
         }});
  r.add({{"GET"}, "/web/", true, std::nullopt, [files](const http::request& req) {
           auto it = files->find(std::string_view(req.path).substr(5));
           if (it == files->end()) {
             auto nf = http::response::text(404, "Not Found\n");
             add_security_headers(nf);
             return nf;
           }
           return serve(it->second, req);
         }});
}

}  // namespace hearth::web
