#include <algorithm>
#include <unordered_set>

#include "core/log/log.hpp"
#include "directory/sql_directory.hpp"

namespace hearth::directory {

namespace {

struct parsed_source {
  std::string source;  // "x@d" or "@d"
  std::string domain;  // ACE
  bool catch_all = false;
};

result<parsed_source> parse_source(std::string_view s) {
  if (!s.empty() && s.front() == '@') {
    auto d = normalize_domain(s.substr(1));
    if (!d || s.back() == '.') return fail("directory.invalid", "not a valid catch-all: " + std::string(s.substr(0, 300)));
    return parsed_source{"@" + *d, *d, true};
  }
  auto a = parse_address(s);
  if (!a) return a.error();
  return parsed_source{*a, std::string(domain_of(*a)), false};
}

bool is_role_source(const parsed_source& p) {
  return !p.catch_all && (p.source == "postmaster@" + p.domain || p.source == "abuse@" + p.domain);
}

}  // namespace

result<void> sql_directory::add_alias(std::string_view source, const std::vector<std::string>& targets) {
  auto src = parse_source(source);
  if (!src) return src.error();
  if (targets.empty()) return fail("directory.invalid", "an alias needs at least one target");
  if (targets.size() > max_alias_targets) return fail("directory.invalid", "too many alias targets");
  std::vector<std::string> norm;
  for (const auto& t : targets) {
    auto n = parse_address(t);
    if (!n) return n.error();
    if (*n == src->source) return fail("directory.invalid", "an alias cannot point at itself");
    norm.push_back(std::move(*n));
  }
  auto& c = conn();
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto did = domain_id(c, src->domain);
  if (!did) return did.error();
  if (!*did) return fail("directory.no_domain", src->domain + " is not a local domain");
  if (!src->catch_all) {
    auto acc = account_id(c, src->source);
    if (!acc) return acc.error();
    if (*acc) return fail("directory.conflict", src->source + " is an account");
  }
  auto existing = alias_targets(c, src->source);
  if (!existing) return existing.error();
  if (existing->size() + norm.size() > max_alias_targets) return fail("directory.invalid", "too many alias targets");
  for (const auto& t : norm) {
    auto r = c.query("INSERT INTO aliases(domain_id, source, target) VALUES(?1, ?2, ?3) ON CONFLICT(source, target) DO NOTHING",
                     **did, src->source, t);
    if (!r) return r.error();
  }
  if (auto r = tx->commit(); !r) return r;
  log::info("directory.alias_added", {{"source", src->source}, {"targets", std::to_string(norm.size())}});
  return {};
}

result<void> sql_directory::remove_alias(std::string_view source, std::optional<std::string> target) {
  auto src = parse_source(source);
  if (!src) return src.error();
  std::optional<std::string> tgt;
  if (target) {
    auto n = parse_address(*target);
    if (!n) return n.error();
    tgt = std::move(*n);
  }
  auto& c = conn();
  auto tx = sql::transaction::begin(c, sql::durability::full);
  if (!tx) return tx.error();
  auto existing = alias_targets(c, src->source);
  if (!existing) return existing.error();
  std::size_t removing = existing->size();
  if (tgt) removing = std::count(existing->begin(), existing->end(), *tgt);
  if (removing == 0)
    return fail("directory.not_found", "no alias " + src->source + (tgt ? " -> " + *tgt : std::string()));
  if (is_role_source(*src) && removing == existing->size()) {
    // RFC 5321 §4.5.1: postmaster must be deliverable; RFC 2142 §4 likewise for abuse.
    auto n = c.query_int("SELECT COUNT(*) FROM accounts WHERE domain_id = (SELECT id FROM domains WHERE name = ?1)",
                         src->domain);
    if (!n) return n.error();
    if (n->value_or(0) > 0)
      return fail("directory.required", src->source + " must keep a target while " + src->domain + " has accounts");
  }
  auto del = tgt ? c.query("DELETE FROM aliases WHERE source = ?1 AND target = ?2", src->source, *tgt)
                 : c.query("DELETE FROM aliases WHERE source = ?1", src->source);
  if (!del) return del.error();
  if (auto r = tx->commit(); !r) return r;
  log::info("directory.alias_removed", {{"source", src->source}, {"target", tgt.value_or("*")}});
  return {};
}

std::vector<alias> sql_directory::aliases(std::optional<std::string> domain) {
  std::vector<alias> out;
  auto& c = conn();
  sql::rows r;
  if (domain) {
    auto ace = normalize_domain(*domain);
    if (!ace) return out;
    r = c.query("SELECT source, target FROM aliases WHERE domain_id = (SELECT id FROM domains WHERE name = ?1) "
                "ORDER BY source, id",
                *ace)
            .value();
  } else {
    r = c.query("SELECT source, target FROM aliases ORDER BY source, id").value();
  }
  for (int i = 0; i < r.size(); ++i) {
    std::string source = r.text(i, 0);
    if (out.empty() || out.back().source != source) out.push_back(alias{source, {}});
    out.back().targets.push_back(r.text(i, 1));
  }
  return out;
}

std::vector<std::string> sql_directory::resolve(std::string_view address) {
  std::vector<std::string> out;
  auto start = normalize_address(address);
  if (!start) return out;
  auto& c = conn();
  // Each address is looked at once: this both de-duplicates and cuts loops (a -> b -> a).
  std::unordered_set<std::string> seen;
  auto expand = [&](auto& self, const std::string& addr, int depth) -> void {
    if (!seen.insert(addr).second) return;
    if (depth > max_alias_depth) {
      log::warn("directory.alias_too_deep", {{"address", addr}, {"start", *start}});
      return;
    }
    if (account_id(c, addr).value()) {
      out.push_back(addr);
      return;
    }
    auto targets = alias_targets(c, addr).value();
    if (!targets.empty()) {
      for (const auto& t : targets) self(self, t, depth + 1);
      return;
    }
    std::string dom(domain_of(addr));
    if (!domain_id(c, dom).value()) {
      out.push_back(addr);  // remote: the queue delivers it
      return;
    }
    for (const auto& t : alias_targets(c, "@" + dom).value()) self(self, t, depth + 1);
  };
  expand(expand, *start, 0);
  return out;
}

}  // namespace hearth::directory
