// Internal to core/config: what the schema's key lists are written with (bind<>() and the
// key_def makers), shared by schema.cpp and the schema_keys_*.cpp files that hold one area's
// keys each. The order in which build_keys() calls them is the order of `hearth config example`.
#pragma once
#include <filesystem>
#include <type_traits>

#include "core/config/schema.hpp"

namespace hearth::config::detail {

constexpr std::int64_t day = 86400;

// Converts between a struct field and a schema value. Integers were range-checked against
// the key's min/max before set() is called, so the narrowing casts cannot wrap.
template <class F>
value to_value(const F& f) {
  if constexpr (std::is_same_v<F, bool>) return f;
  else if constexpr (std::is_integral_v<F>) return static_cast<std::int64_t>(f);
  else if constexpr (std::is_same_v<F, std::filesystem::path>) return f.generic_string();
  else return f;  // std::string, std::vector<std::string>
}
template <class F>
void from_value(F& f, const value& v) {
  if constexpr (std::is_same_v<F, bool>) f = std::get<bool>(v);
  else if constexpr (std::is_integral_v<F>) f = static_cast<F>(std::get<std::int64_t>(v));
  else if constexpr (std::is_same_v<F, std::filesystem::path>) f = std::get<std::string>(v);
  else f = std::get<F>(v);
}

template <class C, class F>
C owner_of(F C::*);
template <class C, class F>
F field_of(F C::*);

struct binding {
  std::function<value(const void*)> get;
  std::function<void(void*, const value&)> set;
  scope where;
};

// bind<&config::threads>(): getter and setter for one member of config or certificate.
template <auto M>
binding bind() {
  using owner = decltype(owner_of(M));
  using field = decltype(field_of(M));
  return {[](const void* o) { return to_value<field>(static_cast<const owner*>(o)->*M); },
          [](void* o, const value& v) { from_value<field>(static_cast<owner*>(o)->*M, v); },
          std::is_same_v<owner, certificate> ? scope::certificate
          : std::is_same_v<owner, route>     ? scope::route
          : std::is_same_v<owner, xmpp_component> ? scope::component
                                             : scope::config};
}

inline key_def make(std::string path, kind type, value def, std::string doc, binding b,
             syntax check = syntax::any, std::int64_t min = 0, std::int64_t max = 0) {
  key_def k;
  k.path = std::move(path);
  k.type = type;
  k.def = std::move(def);
  k.doc = std::move(doc);
  k.check = check;
  k.min = min;
  k.max = max;
  k.get = std::move(b.get);
  k.set = std::move(b.set);
  k.where = b.where;
  return k;
}
inline key_def str(std::string path, std::string def, std::string doc, binding b, syntax check = syntax::any) {
  return make(std::move(path), kind::string, std::move(def), std::move(doc), std::move(b), check);
}
inline key_def list(std::string path, std::vector<std::string> def, std::string doc, binding b,
             syntax check = syntax::any) {
  return make(std::move(path), kind::string_list, std::move(def), std::move(doc), std::move(b), check);
}
inline key_def integer(std::string path, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc,
                binding b) {
  return make(std::move(path), kind::integer, def, std::move(doc), std::move(b), syntax::any, min, max);
}
inline key_def boolean(std::string path, bool def, std::string doc, binding b) {
  return make(std::move(path), kind::boolean, def, std::move(doc), std::move(b));
}

inline listener& listener_of(void* o, service s) {
  auto& c = *static_cast<config*>(o);
  for (auto& l : c.listeners)
    if (l.svc == s) return l;
  c.listeners.push_back(listener{s, {}, 0});
  return c.listeners.back();
}

// Per-service keys are generated from all_services, so a new service is one enum entry.
inline binding port_of(service s) {
  return {[s](const void* o) { return value{std::int64_t{static_cast<const config*>(o)->listen(s).port}}; },
          [s](void* o, const value& v) {
            listener_of(o, s).port = static_cast<std::uint16_t>(std::get<std::int64_t>(v));
          },
          scope::config};
}
inline binding addresses_of(service s) {
  return {[s](const void* o) { return value{static_cast<const config*>(o)->listen(s).addresses}; },
          [s](void* o, const value& v) { listener_of(o, s).addresses = std::get<std::vector<std::string>>(v); },
          scope::config};
}

// One area's keys each, appended in the order the example file shows them.
void add_core_keys(std::vector<key_def>& k);     // server, log, listen, tls, dns, auth
void add_mail_keys(std::vector<key_def>& k);     // smtp, queue, routes, dkim, mailauth, zone, reports, blocklists, imap, managesieve
void add_service_keys(std::vector<key_def>& k);  // http, dav, web, filter, bayes, antivirus, backup_mx, backup
void add_xmpp_keys(std::vector<key_def>& k);     // xmpp, components

}  // namespace hearth::config::detail
