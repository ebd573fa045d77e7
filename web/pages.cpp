// Serves the pages: "/" is the shell (index.html), "/web/NAME" the files of web/assets/, and
// "/web/pages.json" the list of page modules (every pages/*.js), so that adding a page is
// adding a file.
#include <map>
#include <memory>

#include "core/crypto/crypto.hpp"
#include "web/api.hpp"
#include "web/assets.hpp"
#include "web/json.hpp"
#include "web/pages.hpp"

namespace hearth::web {
namespace {

struct file {
  std::string body;
  std::string type;
  std::string etag;
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
  f.etag = "\"" + crypto::hex_encode(crypto::sha256(body).substr(0, 12)) + "\"";
  f.body = std::move(body);
  return f;
}

http::response serve(const file& f, const http::request& req) {
  http::response r;
  // Revalidated each time (cheap: 304 without a body), so a new version of Hearth never
  // mixes old and new modules in a browser's cache.
  if (req.header("if-none-match") == f.etag) {
    r.status = 304;
  } else {
    r = http::response::text(200, f.body, f.type);
  }
  r.headers.emplace_back("ETag", f.etag);
  r.headers.emplace_back("Cache-Control", "no-cache");
  add_security_headers(r);
  return r;
}

}  // namespace

void add_pages(http::router& r) {
  auto files = std::make_shared<std::map<std::string, file, std::less<>>>();
  json::array pages;
  for (const auto& a : embedded_assets()) {
    std::string name(a.name);
    if (name.starts_with("pages/") && name.ends_with(".js"))
      pages.push_back(json::value(name.substr(6, name.size() - 9)));
    (*files)[name] = make(name, std::string(a.data, a.size));
  }
  // The shell names the page modules itself (a meta tag for app.js, a modulepreload each), so
  // the browser fetches them while it reads the HTML instead of one round trip after another.
  std::string preload = "<meta name=\"hearth-pages\" content=\"";
  std::string links;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const std::string& n = *pages[i].as_string();
    preload += (i ? "," : "") + n;
    links += "<link rel=\"modulepreload\" href=\"/web/pages/" + n + ".js\">\n";
  }
  preload += "\">\n" + links;
  (*files)["pages.json"] = make("pages.json", json::value(std::move(pages)).dump());
  if (auto it = files->find("index.html"); it != files->end()) {
    std::string html = it->second.body;
    const std::string mark = "<!--hearth-pages-->\n";
    if (auto at = html.find(mark); at != std::string::npos) html.replace(at, mark.size(), preload);
    it->second = make("index.html", std::move(html));
  }

  r.add({{"GET"}, "/", false, std::nullopt, [files](const http::request& req) { return serve(files->at("index.html"), req); }});
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
