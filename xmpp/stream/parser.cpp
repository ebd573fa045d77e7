#include "xmpp/stream/parser.hpp"

#include <expat.h>

#include <cstring>

namespace hearth::xmpp {

namespace {
constexpr char ns_sep = '\x01';
constexpr std::string_view xml_ns = "http://www.w3.org/XML/1998/namespace";

void escape_attr(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
}

void split_name(const char* full, std::string& ns, std::string& local) {
  const char* sep = std::strchr(full, ns_sep);
  if (!sep) {
    ns.clear();
    local = full;
  } else {
    ns.assign(full, sep);
    local = sep + 1;
  }
}
}  // namespace

struct stream_parser::impl {
  parser_limits lim;
  XML_Parser p = nullptr;
  std::vector<stream_event>* out = nullptr;
  std::vector<element*> stack;  // open elements below the stream element
  element current;              // the top-level element being built
  std::size_t depth = 0;        // 0 = before the stream element
  std::uint64_t fed = 0;
  std::uint64_t stanza_start = 0;
  std::uint64_t base = 0;  // fed when the current expat parser was created
  bool dead = false;
  std::string fail_condition;
  // Hibernation: the stream element's namespace declarations (prefix, URI), the start tag
  // rebuilt from them, and where the last complete event between stanzas ended.
  std::vector<std::pair<std::string, std::string>> decls;
  std::string header;
  bool resuming = false;  // the parser is reading `header`, not client bytes
  std::uint64_t consumed_to = 0;

  explicit impl(parser_limits l) : lim(l) { create(); }
  ~impl() {
    if (p) XML_ParserFree(p);
  }

  void create() {
    make_parser();
    stack.clear();
    current = element();
    depth = 0;
    base = fed;
    decls.clear();
    header.clear();
    resuming = false;
  }

  void make_parser() {
    if (p) XML_ParserFree(p);
    p = XML_ParserCreateNS("UTF-8", ns_sep);
    XML_SetUserData(p, this);
    XML_SetElementHandler(p, &impl::on_start, &impl::on_end);
    XML_SetCharacterDataHandler(p, &impl::on_text);
    XML_SetStartDoctypeDeclHandler(p, &impl::on_doctype);
    XML_SetEntityDeclHandler(p, &impl::on_entity);
    XML_SetCommentHandler(p, &impl::on_comment);
    XML_SetProcessingInstructionHandler(p, &impl::on_pi);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetNamespaceDeclHandler(p, &impl::on_ns, nullptr);
  }

  // The end of the current event, in bytes fed.
  std::uint64_t event_end() const {
    return base + static_cast<std::uint64_t>(XML_GetCurrentByteIndex(p)) +
           static_cast<std::uint64_t>(XML_GetCurrentByteCount(p));
  }

  // <prefix:stream xmlns...> with the declarations the client made on its stream element.
  void build_header() {
    std::string qname;
    for (auto& [prefix, uri] : decls)
      if (uri == ns_stream) qname = prefix.empty() ? "stream" : prefix + ":stream";
    if (qname.empty()) return;
    header = "<" + qname;
    for (auto& [prefix, uri] : decls) {
      header += prefix.empty() ? " xmlns=\"" : " xmlns:" + prefix + "=\"";
      escape_attr(header, uri);
      header += '"';
    }
    header += '>';
  }

  bool hibernate() {
    if (!p || depth != 1 || dead || !fail_condition.empty() || header.empty() || consumed_to != fed) return false;
    XML_ParserFree(p);
    p = nullptr;
    return true;
  }

  // A fresh parser, past a copy of the stream's start tag (no event for it).
  void wake() {
    make_parser();
    resuming = true;
    depth = 0;
    base = fed - header.size();
    XML_Parse(p, header.data(), static_cast<int>(header.size()), XML_FALSE);
    resuming = false;
  }

  void fail(std::string_view condition) {
    if (fail_condition.empty()) fail_condition = condition;
    XML_StopParser(p, XML_FALSE);
  }

  static impl* self(void* ud) { return static_cast<impl*>(ud); }

  static void on_doctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    self(ud)->fail("restricted-xml");
  }
  static void on_entity(void* ud, const XML_Char*, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
                        const XML_Char*, const XML_Char*) {
    self(ud)->fail("restricted-xml");
  }
  static void on_comment(void* ud, const XML_Char*) { self(ud)->fail("restricted-xml"); }
  static void on_pi(void* ud, const XML_Char*, const XML_Char*) { self(ud)->fail("restricted-xml"); }
  static void on_ns(void* ud, const XML_Char* prefix, const XML_Char* uri) {
    auto* s = self(ud);
    if (s->depth == 0 && !s->resuming && s->decls.size() < s->lim.max_attrs)
      s->decls.emplace_back(prefix ? prefix : "", uri ? uri : "");
  }

  void fill(element& e, const XML_Char* name, const XML_Char** atts) {
    split_name(name, e.ns, e.name);
    std::size_t n = 0;
    std::string ans, alocal;
    for (const XML_Char** a = atts; *a; a += 2) {
      if (++n > lim.max_attrs) {
        fail("policy-violation");
        return;
      }
      split_name(a[0], ans, alocal);
      if (ans.empty()) e.attrs.emplace_back(alocal, a[1]);
      else if (ans == xml_ns) e.attrs.emplace_back("xml:" + alocal, a[1]);
      // other namespaced attributes carry nothing XMPP core needs; they are dropped
    }
  }

  static void on_start(void* ud, const XML_Char* name, const XML_Char** atts) {
    auto* s = self(ud);
    if (s->depth == 0 && s->resuming) {
      s->depth = 1;
      return;
    }
    if (s->depth == 0) {
      stream_event ev;
      ev.kind = stream_event::open;
      s->fill(ev.el, name, atts);
      if (ev.el.name != "stream" || ev.el.ns != ns_stream) {
        s->fail("invalid-namespace");
        return;
      }
      s->depth = 1;
      s->build_header();
      s->consumed_to = s->event_end();
      s->out->push_back(std::move(ev));
      return;
    }
    if (s->depth - 1 >= s->lim.max_depth) {
      s->fail("policy-violation");
      return;
    }
    if (s->depth == 1) {
      s->current = element();
      s->fill(s->current, name, atts);
      s->stack.push_back(&s->current);
      s->stanza_start = s->base + static_cast<std::uint64_t>(XML_GetCurrentByteIndex(s->p));
    } else {
      element child;
      s->fill(child, name, atts);
      s->stack.push_back(&s->stack.back()->add(std::move(child)));
    }
    ++s->depth;
  }

  static void on_end(void* ud, const XML_Char*) {
    auto* s = self(ud);
    if (s->depth == 1) {
      s->depth = 0;
      stream_event ev;
      ev.kind = stream_event::close;
      s->out->push_back(std::move(ev));
      // RFC 6120 §4.4: nothing may follow the closing tag on this stream.
      XML_StopParser(s->p, XML_FALSE);
      s->dead = true;
      return;
    }
    if (s->depth == 0) return;
    --s->depth;
    s->stack.pop_back();
    if (s->depth == 1) {
      // A stanza that ends inside one slice is measured here (the check in feed() only sees
      // stanzas still open at a slice boundary). The end tag is counted from its start.
      auto end = s->base + static_cast<std::uint64_t>(XML_GetCurrentByteIndex(s->p));
      if (end - s->stanza_start > s->lim.max_stanza) {
        s->fail("policy-violation");
        return;
      }
      stream_event ev;
      ev.kind = stream_event::stanza;
      ev.el = std::move(s->current);
      s->current = element();
      s->out->push_back(std::move(ev));
      s->consumed_to = s->event_end();
    }
  }

  static void on_text(void* ud, const XML_Char* text, int len) {
    auto* s = self(ud);
    if (s->depth == 1) s->consumed_to = s->event_end();
    if (s->depth < 2 || s->stack.empty()) return;  // whitespace keep-alives between stanzas
    s->stack.back()->add_text(std::string(text, static_cast<std::size_t>(len)));
  }
};

stream_parser::stream_parser(parser_limits limits) : impl_(std::make_unique<impl>(limits)) {}
stream_parser::~stream_parser() = default;

bool stream_parser::failed() const { return !impl_->fail_condition.empty(); }
std::uint64_t stream_parser::bytes_fed() const { return impl_->fed; }

bool stream_parser::hibernate() { return impl_->hibernate(); }
bool stream_parser::hibernating() const { return impl_->p == nullptr; }

void stream_parser::reset() {
  impl_->create();
  impl_->fail_condition.clear();
  impl_->dead = false;
}

bool stream_parser::feed(std::string_view bytes, std::vector<stream_event>& out) {
  auto& s = *impl_;
  if (!s.fail_condition.empty()) return false;
  if (s.dead) return true;  // after </stream:stream>: ignore
  s.out = &out;
  if (!s.p) s.wake();
  // Feed in slices so that the stanza size limit is checked before a huge chunk is buffered.
  constexpr std::size_t slice = 16 * 1024;
  while (!bytes.empty()) {
    std::string_view part = bytes.substr(0, slice);
    bytes.remove_prefix(part.size());
    auto st = XML_Parse(s.p, part.data(), static_cast<int>(part.size()), XML_FALSE);
    s.fed += part.size();
    if (s.dead && s.fail_condition.empty()) break;
    if (st == XML_STATUS_ERROR || !s.fail_condition.empty()) {
      if (s.fail_condition.empty()) {
        auto code = XML_GetErrorCode(s.p);
        // An undefined entity reference is also restricted XML (RFC 6120 §11.1).
        s.fail_condition = code == XML_ERROR_UNDEFINED_ENTITY ? "restricted-xml" : "not-well-formed";
      }
      stream_event ev;
      ev.kind = stream_event::error;
      ev.condition = s.fail_condition;
      out.push_back(std::move(ev));
      s.out = nullptr;
      return false;
    }
    if (s.depth >= 2 && s.fed - s.stanza_start > s.lim.max_stanza) {
      s.fail_condition = "policy-violation";
      stream_event ev;
      ev.kind = stream_event::error;
      ev.condition = s.fail_condition;
      out.push_back(std::move(ev));
      s.out = nullptr;
      return false;
    }
  }
  s.out = nullptr;
  return true;
}

std::optional<element> parse_fragment(std::string_view xml) {
  stream_parser p({.max_stanza = 16 * 1024 * 1024, .max_depth = 256, .max_attrs = 256});
  std::vector<stream_event> ev;
  p.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", ev);
  p.feed(xml, ev);
  if (ev.size() != 2 || ev[1].kind != stream_event::stanza) return std::nullopt;
  return std::move(ev[1].el);
}

}  // namespace hearth::xmpp
