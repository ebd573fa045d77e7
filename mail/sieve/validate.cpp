// Semantic checks (RFC 5228 §2.6, §3, §8.2 and each extension's syntax section): every
// command and test is known and required, tagged arguments are allowed, not repeated and
// followed by their value, positional arguments have the right type and number.
#include "mail/sieve/internal.hpp"
#include "mail/sieve/strings.hpp"

#include <regex.h>

#include <algorithm>
#include <array>
#include <ostream>

namespace hearth::mail::sieve {

program::~program() {
  for (void* r : regexes) {
    regfree(static_cast<regex_t*>(r));
    delete static_cast<regex_t*>(r);
  }
}

std::ostream& operator<<(std::ostream& os, const diagnostic& d) {
  return os << d.line << ':' << d.column << ": " << d.message;
}

void throw_exception_from_error(const diagnostic& d, const boost::source_location&) {
  throw std::runtime_error(std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message);
}

namespace {
constexpr std::string_view all_extensions =
    "fileinto reject ereject envelope encoded-character imap4flags body variables vacation "
    "vacation-seconds relational subaddress copy date index mailbox regex include spamtest "
    "spamtestplus virustest duplicate environment special-use editheader enotify "
    "comparator-i;ascii-numeric";
}  // namespace

std::string_view extensions() { return all_extensions; }
std::string_view notify_methods() { return "mailto xmpp"; }

namespace detail {
namespace {

enum class argk : char { none, str, list, num };
enum group : int { g_none = 0, g_match, g_cmp, g_part, g_zone, g_dupid, g_period, g_location,
                   g_transform, g_size, g_case, g_first };

struct tag_spec {
  std::string_view name;
  argk arg;
  std::string_view ext;  // extension that must be required, empty = core
  int group;
};

struct spec {
  std::string_view name;
  int id;
  bool is_test;
  std::string_view ext;
  std::vector<tag_spec> tags;
  std::vector<std::string_view> shapes;  // allowed positional shapes: s string, l list, n number
  int tests;  // 0 none, 1 one test, 2 a test list
  bool block;
};

const std::vector<tag_spec> comparator_tags = {{"comparator", argk::str, "", g_cmp}};
const std::vector<tag_spec> match_tags = {
    {"is", argk::none, "", g_match},          {"contains", argk::none, "", g_match},
    {"matches", argk::none, "", g_match},     {"regex", argk::none, "regex", g_match},
    {"value", argk::str, "relational", g_match}, {"count", argk::str, "relational", g_match}};
const std::vector<tag_spec> part_tags = {
    {"all", argk::none, "", g_part}, {"localpart", argk::none, "", g_part},
    {"domain", argk::none, "", g_part}, {"user", argk::none, "subaddress", g_part},
    {"detail", argk::none, "subaddress", g_part}};
const std::vector<tag_spec> index_tags = {{"index", argk::num, "index", g_none},
                                          {"last", argk::none, "index", g_none}};

std::vector<tag_spec> join(std::initializer_list<std::vector<tag_spec>> parts) {
  std::vector<tag_spec> r;
  for (auto& p : parts) r.insert(r.end(), p.begin(), p.end());
  return r;
}

const std::vector<spec>& specs() {
  static const std::vector<spec> table = [] {
    auto cm = join({comparator_tags, match_tags});
    std::vector<spec> t;
    // Control (RFC 5228 §3) and actions (§4).
    t.push_back({"require", c_require, false, "", {}, {"l"}, 0, false});
    t.push_back({"if", c_if, false, "", {}, {""}, 1, true});
    t.push_back({"elsif", c_elsif, false, "", {}, {""}, 1, true});
    t.push_back({"else", c_else, false, "", {}, {""}, 0, true});
    t.push_back({"stop", c_stop, false, "", {}, {""}, 0, false});
    t.push_back({"keep", c_keep, false, "", {{"flags", argk::list, "imap4flags", g_none}}, {""}, 0, false});
    t.push_back({"discard", c_discard, false, "", {}, {""}, 0, false});
    t.push_back({"redirect", c_redirect, false, "", {{"copy", argk::none, "copy", g_none}}, {"s"}, 0, false});
    t.push_back({"fileinto", c_fileinto, false, "fileinto",
                 {{"copy", argk::none, "copy", g_none},
                  {"flags", argk::list, "imap4flags", g_none},
                  {"create", argk::none, "mailbox", g_none},
                  {"specialuse", argk::str, "special-use", g_none}},
                 {"s"}, 0, false});
    t.push_back({"reject", c_reject, false, "reject", {}, {"s"}, 0, false});
    t.push_back({"ereject", c_ereject, false, "ereject", {}, {"s"}, 0, false});
    for (auto [n, id] : {std::pair{"setflag", c_setflag}, {"addflag", c_addflag}, {"removeflag", c_removeflag}})
      t.push_back({n, id, false, "imap4flags", {}, {"l", "sl"}, 0, false});
    t.push_back({"set", c_set, false, "variables",
                 {{"lower", argk::none, "", g_case}, {"upper", argk::none, "", g_case},
                  {"lowerfirst", argk::none, "", g_first}, {"upperfirst", argk::none, "", g_first},
                  {"quotewildcard", argk::none, "", g_none}, {"quoteregex", argk::none, "regex", g_none},
                  {"encodeurl", argk::none, "enotify", g_none}, {"length", argk::none, "", g_none}},
                 {"ss"}, 0, false});
    t.push_back({"vacation", c_vacation, false, "vacation",
                 {{"days", argk::num, "", g_period}, {"seconds", argk::num, "vacation-seconds", g_period},
                  {"subject", argk::str, "", g_none}, {"from", argk::str, "", g_none},
                  {"addresses", argk::list, "", g_none}, {"mime", argk::none, "", g_none},
                  {"handle", argk::str, "", g_none}},
                 {"s"}, 0, false});
    t.push_back({"include", c_include, false, "include",
                 {{"personal", argk::none, "", g_location}, {"global", argk::none, "", g_location},
                  {"once", argk::none, "", g_none}, {"optional", argk::none, "", g_none}},
                 {"s"}, 0, false});
    t.push_back({"return", c_return, false, "include", {}, {""}, 0, false});
    t.push_back({"global", c_global, false, "include", {}, {"l"}, 0, false});
    t.push_back({"addheader", c_addheader, false, "editheader", {{"last", argk::none, "", g_none}}, {"ss"}, 0, false});
    t.push_back({"deleteheader", c_deleteheader, false, "editheader",
                 join({{{"index", argk::num, "", g_none}, {"last", argk::none, "", g_none}}, cm}),
                 {"s", "sl"}, 0, false});
    t.push_back({"notify", c_notify, false, "enotify",
                 {{"from", argk::str, "", g_none}, {"importance", argk::str, "", g_none},
                  {"options", argk::list, "", g_none}, {"message", argk::str, "", g_none}},
                 {"s"}, 0, false});
    // Tests (§5 and extensions).
    t.push_back({"address", t_address, true, "", join({cm, part_tags, index_tags}), {"ll"}, 0, false});
    t.push_back({"envelope", t_envelope, true, "envelope", join({cm, part_tags}), {"ll"}, 0, false});
    t.push_back({"header", t_header, true, "", join({cm, index_tags}), {"ll"}, 0, false});
    t.push_back({"exists", t_exists, true, "", {}, {"l"}, 0, false});
    t.push_back({"size", t_size, true, "",
                 {{"over", argk::none, "", g_size}, {"under", argk::none, "", g_size}}, {"n"}, 0, false});
    t.push_back({"allof", t_allof, true, "", {}, {""}, 2, false});
    t.push_back({"anyof", t_anyof, true, "", {}, {""}, 2, false});
    t.push_back({"not", t_not, true, "", {}, {""}, 1, false});
    t.push_back({"true", t_true, true, "", {}, {""}, 0, false});
    t.push_back({"false", t_false, true, "", {}, {""}, 0, false});
    t.push_back({"body", t_body, true, "body",
                 join({cm, {{"raw", argk::none, "", g_transform}, {"content", argk::list, "", g_transform},
                            {"text", argk::none, "", g_transform}}}),
                 {"l"}, 0, false});
    t.push_back({"string", t_string, true, "variables", cm, {"ll"}, 0, false});
    t.push_back({"hasflag", t_hasflag, true, "imap4flags", cm, {"l", "ll"}, 0, false});
    t.push_back({"date", t_date, true, "date",
                 join({cm, index_tags, {{"zone", argk::str, "", g_zone}, {"originalzone", argk::none, "", g_zone}}}),
                 {"ssl"}, 0, false});
    t.push_back({"currentdate", t_currentdate, true, "date",
                 join({cm, {{"zone", argk::str, "", g_zone}}}), {"sl"}, 0, false});
    t.push_back({"mailboxexists", t_mailboxexists, true, "mailbox", {}, {"l"}, 0, false});
    t.push_back({"spamtest", t_spamtest, true, "spamtest",
                 join({cm, {{"percent", argk::none, "spamtestplus", g_none}}}), {"s"}, 0, false});
    t.push_back({"virustest", t_virustest, true, "virustest", cm, {"s"}, 0, false});
    t.push_back({"duplicate", t_duplicate, true, "duplicate",
                 {{"handle", argk::str, "", g_none}, {"header", argk::str, "", g_dupid},
                  {"uniqueid", argk::str, "", g_dupid}, {"seconds", argk::num, "", g_none},
                  {"last", argk::none, "", g_none}},
                 {""}, 0, false});
    t.push_back({"environment", t_environment, true, "environment", cm, {"sl"}, 0, false});
    t.push_back({"specialuse_exists", t_specialuse_exists, true, "special-use", {}, {"l", "sl"}, 0, false});
    t.push_back({"valid_notify_method", t_valid_notify_method, true, "enotify", {}, {"l"}, 0, false});
    t.push_back({"notify_method_capability", t_notify_method_capability, true, "enotify", cm, {"ssl"}, 0, false});
    return t;
  }();
  return table;
}

const spec* find_spec(std::string_view name, bool is_test) {
  for (auto& s : specs())
    if (s.name == name && s.is_test == is_test) return &s;
  return nullptr;
}

bool known_extension(std::string_view e) {
  if (e == "comparator-i;octet" || e == "comparator-i;ascii-casemap") return true;
  std::string_view all = all_extensions;
  while (!all.empty()) {
    auto sp = all.find(' ');
    if (all.substr(0, sp) == e) return true;
    if (sp == std::string_view::npos) break;
    all.remove_prefix(sp + 1);
  }
  return false;
}

class validator {
 public:
  validator(program& p, const limits& lim) : p_(p), lim_(lim) {}

  bool run(std::vector<node>& cmds, compile_error& err) {
    bool ok = block(cmds, true, 0);
    if (!ok) err = err_;
    return ok;
  }

 private:
  bool fail(pos at, std::string msg) {
    if (err_.message.empty()) err_ = {at, std::move(msg)};
    return false;
  }

  bool has(std::string_view ext) const { return p_.requires_ext(ext); }

  bool block(std::vector<node>& cmds, bool top, unsigned depth) {
    bool requires_allowed = top;
    int prev = 0;
    for (auto& n : cmds) {
      const spec* s = find_spec(n.name, false);
      if (!s) {
        if (find_spec(n.name, true)) return fail(n.at, "'" + n.name + "' is a test, not a command");
        return fail(n.at, "unknown command '" + n.name + "'");
      }
      n.id = s->id;
      if (n.id == c_require) {
        if (!requires_allowed)
          return fail(n.at, "'require' is only allowed at the top of the script, before other commands");
      } else {
        requires_allowed = false;
      }
      if ((n.id == c_elsif || n.id == c_else) && prev != c_if && prev != c_elsif)
        return fail(n.at, "'" + n.name + "' without a preceding 'if'");
      if (!node_args(n, *s)) return false;
      if (n.id == c_require) {
        for (auto& str : n.positional[0].strings) {
          std::string e = lower(str.text);
          if (!known_extension(e))
            return fail(n.positional[0].at, "unsupported extension '" + str.text + "'");
          if (!has(e)) p_.required.push_back(e);
          // RFC 5235 §3.2: spamtestplus extends the spamtest test, so it brings it along.
          if (e == "spamtestplus" && !has("spamtest")) p_.required.push_back("spamtest");
        }
        p_.variables = has("variables");
      }
      if (s->block && !n.has_block) return fail(n.at, "'" + n.name + "' needs a block '{ ... }'");
      if (!s->block && n.has_block) return fail(n.at, "'" + n.name + "' takes no block");
      if (n.has_block && !block(n.block, false, depth + 1)) return false;
      if (!command_checks(n)) return false;
      prev = n.id;
    }
    return true;
  }

  bool test(node& n, unsigned depth) {
    if (depth > lim_.max_nesting) return fail(n.at, "tests are nested too deeply");
    const spec* s = find_spec(n.name, true);
    if (!s) {
      if (find_spec(n.name, false)) return fail(n.at, "'" + n.name + "' is a command, not a test");
      return fail(n.at, "unknown test '" + n.name + "'");
    }
    n.id = s->id;
    if (!node_args(n, *s)) return false;
    for (auto& t : n.tests)
      if (!test(t, depth + 1)) return false;
    return test_checks(n);
  }

  // Decodes encoded-character (RFC 5228 §2.4.2.4) and notes the strings with variables.
  bool prepare_strings(argument& a) {
    for (auto& s : a.strings) {
      if (has("encoded-character") && s.text.find("${") != std::string::npos) {
        std::string err;
        if (!decode_encoded_characters(s.text, err)) return fail(a.at, err);
      }
      if (p_.variables && s.text.find("${") != std::string::npos) s.vars = true;
      if (s.text.size() > lim_.max_string_bytes) return fail(a.at, "string is too long");
    }
    return true;
  }

  bool node_args(node& n, const spec& s) {
    if (!s.ext.empty() && !has(s.ext))
      return fail(n.at, "'" + n.name + "' requires the extension \"" + std::string(s.ext) + "\"");
    std::vector<argument> raw = std::move(n.positional);
    n.positional.clear();
    std::vector<int> groups_seen;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      argument& a = raw[i];
      if (a.k != argument::kind::tag) {
        if (!prepare_strings(a)) return false;
        n.positional.push_back(std::move(a));
        continue;
      }
      if (!n.positional.empty())
        return fail(a.at, "tag ':" + a.tag + "' must come before the positional arguments of '" + n.name + "'");
      const tag_spec* ts = nullptr;
      for (auto& t : s.tags)
        if (t.name == a.tag) ts = &t;
      if (!ts) return fail(a.at, "unknown tag ':" + a.tag + "' for '" + n.name + "'");
      if (!ts->ext.empty() && !has(ts->ext))
        return fail(a.at, "tag ':" + a.tag + "' requires the extension \"" + std::string(ts->ext) + "\"");
      if (n.has(a.tag)) return fail(a.at, "tag ':" + a.tag + "' appears twice");
      if (ts->group != g_none) {
        if (std::find(groups_seen.begin(), groups_seen.end(), ts->group) != groups_seen.end())
          return fail(a.at, "tag ':" + a.tag + "' conflicts with an earlier tag of '" + n.name + "'");
        groups_seen.push_back(ts->group);
      }
      argument value = a;
      if (ts->arg != argk::none) {
        if (i + 1 >= raw.size() || raw[i + 1].k == argument::kind::tag)
          return fail(a.at, "tag ':" + a.tag + "' needs a value");
        argument& v = raw[++i];
        if (ts->arg == argk::num && v.k != argument::kind::number)
          return fail(v.at, "tag ':" + a.tag + "' needs a number");
        if (ts->arg != argk::num && v.k != argument::kind::strings)
          return fail(v.at, "tag ':" + a.tag + "' needs a string");
        if (ts->arg == argk::str && v.list) return fail(v.at, "tag ':" + a.tag + "' needs a single string, not a list");
        if (!prepare_strings(v)) return false;
        value = std::move(v);
        value.tag = a.tag;
      }
      n.tags.emplace_back(a.tag, std::move(value));
    }
    // Positional shape.
    const std::string_view* shape = nullptr;
    for (auto& sh : s.shapes)
      if (sh.size() == n.positional.size()) shape = &sh;
    if (!shape) {
      if (s.shapes.size() == 1 && s.shapes[0].empty())
        return fail(n.positional.front().at, "'" + n.name + "' takes no positional arguments");
      return fail(n.positional.empty() ? n.at : n.positional.back().at,
                  "wrong number of arguments for '" + n.name + "'");
    }
    for (std::size_t i = 0; i < shape->size(); ++i) {
      auto& a = n.positional[i];
      char want = (*shape)[i];
      if (want == 'n' && a.k != argument::kind::number) return fail(a.at, "'" + n.name + "' expects a number here");
      if (want != 'n' && a.k != argument::kind::strings) return fail(a.at, "'" + n.name + "' expects a string here");
      if (want == 's' && a.list) return fail(a.at, "'" + n.name + "' expects a single string here, not a list");
    }
    if (s.tests == 0 && !n.tests.empty())
      return fail(n.tests.front().at, "unexpected '" + n.tests.front().name + "' after the arguments of '" + n.name +
                                          "' (a missing ';' or '{'?)");
    // RFC 5228 §8.2: if/elsif/not take one test, allof/anyof a parenthesised test-list.
    if (s.tests == 1 && (n.tests.size() != 1 || n.test_list))
      return fail(n.at, "'" + n.name + "' needs exactly one test, not a list");
    if (s.tests == 2 && (n.tests.empty() || !n.test_list))
      return fail(n.at, "'" + n.name + "' needs a list of tests in parentheses");
    if (!s.is_test)
      for (auto& t : n.tests)
        if (!test(t, 1)) return false;
    return match_args(n);
  }

  static bool constant(const argument& a) {
    for (auto& s : a.strings)
      if (s.vars) return false;
    return true;
  }

  bool match_args(node& n) {
    auto& m = n.m;
    if (auto* c = n.tag("comparator")) {
      std::string name = lower(c->strings[0].text);
      if (name == "i;octet") m.cmp = comparator::octet;
      else if (name == "i;ascii-casemap") m.cmp = comparator::casemap;
      else if (name == "i;ascii-numeric") {
        if (!has("comparator-i;ascii-numeric"))
          return fail(c->at, "comparator 'i;ascii-numeric' requires \"comparator-i;ascii-numeric\"");
        m.cmp = comparator::numeric;
      } else {
        return fail(c->at, "unknown comparator '" + c->strings[0].text + "'");
      }
    }
    for (auto [tag, type] : {std::pair{"is", match_type::is}, {"contains", match_type::contains},
                             {"matches", match_type::matches}, {"regex", match_type::regex},
                             {"value", match_type::value}, {"count", match_type::count}}) {
      auto* a = n.tag(tag);
      if (!a) continue;
      m.type = type;
      if (type == match_type::value || type == match_type::count) {
        std::string op = lower(a->strings[0].text);
        static const std::array<std::pair<const char*, relop>, 6> ops = {
            {{"gt", relop::gt}, {"ge", relop::ge}, {"lt", relop::lt}, {"le", relop::le}, {"eq", relop::eq}, {"ne", relop::ne}}};
        bool found = false;
        for (auto& [name, r] : ops)
          if (op == name) { m.rel = r; found = true; }
        if (!found) return fail(a->at, "invalid relational operator '" + a->strings[0].text + "'");
      }
    }
    // RFC 4790 §9.1: i;ascii-numeric offers equality and ordering, no substring operations.
    if (m.cmp == comparator::numeric &&
        (m.type == match_type::regex || m.type == match_type::contains || m.type == match_type::matches))
      return fail(n.at, "the i;ascii-numeric comparator does not support substring matching");
    for (auto [tag, part] : {std::pair{"all", address_part::all}, {"localpart", address_part::localpart},
                             {"domain", address_part::domain}, {"user", address_part::user},
                             {"detail", address_part::detail}})
      if (n.has(tag)) m.part = part;
    if (n.id != c_addheader && n.id != t_duplicate) {
      if (auto* ix = n.tag("index")) {
        if (ix->number == 0 || ix->number > 1000000) return fail(ix->at, "':index' must be a positive number");
        m.index = static_cast<int>(ix->number);
      }
      if (auto* l = n.tag("last")) {
        if (!m.index) return fail(l->at, "':last' needs ':index'");
        m.last = true;
      }
    }
    return true;
  }

  bool check_regex_keys(node& n, const argument& keys) {
    if (n.m.type != match_type::regex) return true;
    for (auto& k : keys.strings) {
      if (k.vars) {
        n.regex_ids.push_back(-1);
        continue;
      }
      auto* r = new regex_t;
      int flags = REG_EXTENDED | (n.m.cmp == comparator::casemap ? REG_ICASE : 0);
      if (regcomp(r, k.text.c_str(), flags) != 0) {
        delete r;
        return fail(keys.at, "invalid regular expression '" + k.text + "'");
      }
      p_.regexes.push_back(r);
      n.regex_ids.push_back(static_cast<int>(p_.regexes.size() - 1));
    }
    return true;
  }

  bool check_variable_name(const argument& a, const sstring& s) {
    if (!valid_variable_name(s.text)) return fail(a.at, "invalid variable name '" + s.text + "'");
    return true;
  }

  bool check_header_names(const argument& a) {
    for (auto& s : a.strings)
      if (!s.vars && !valid_header_name(s.text)) return fail(a.at, "invalid header name '" + s.text + "'");
    return true;
  }

  bool command_checks(node& n) {
    switch (n.id) {
      case c_set: {
        if (!constant(n.positional[0])) return fail(n.positional[0].at, "variable name must be a constant");
        return check_variable_name(n.positional[0], n.positional[0].strings[0]);
      }
      case c_global:
        if (!has("variables")) return fail(n.at, "'global' requires the extension \"variables\"");
        for (auto& s : n.positional[0].strings)
          if (!check_variable_name(n.positional[0], s)) return false;
        return true;
      case c_setflag: case c_addflag: case c_removeflag:
        if (n.positional.size() == 2) {
          if (!has("variables")) return fail(n.positional[0].at, "a flag variable requires \"variables\"");
          return check_variable_name(n.positional[0], n.positional[0].strings[0]);
        }
        return true;
      case c_include: {
        auto& name = n.positional[0].strings[0];
        if (!name.vars && (name.text.empty() || name.text.find('/') != std::string::npos))
          return fail(n.positional[0].at, "invalid script name '" + name.text + "'");
        return true;
      }
      case c_vacation: {
        if (auto* f = n.tag("from"); f && constant(*f) && !valid_address_field(f->strings[0].text))
          return fail(f->at, "invalid :from address '" + f->strings[0].text + "'");
        return true;
      }
      case c_redirect: {
        auto& a = n.positional[0];
        if (constant(a) && !valid_address_field(a.strings[0].text))
          return fail(a.at, "invalid redirect address '" + a.strings[0].text + "'");
        return true;
      }
      case c_addheader:
      case c_deleteheader:
        if (!check_header_names(n.positional[0])) return false;
        if (n.id == c_addheader && n.has("index")) return fail(n.at, "':index' is not allowed here");
        if (n.id == c_deleteheader && n.positional.size() == 2 && !check_regex_keys(n, n.positional[1]))
          return false;
        return true;
      case c_notify: {
        if (auto* im = n.tag("importance"); im && constant(*im)) {
          auto& v = im->strings[0].text;
          if (v != "1" && v != "2" && v != "3") return fail(im->at, ":importance must be \"1\", \"2\" or \"3\"");
        }
        auto& uri = n.positional[0];
        if (constant(uri)) {
          std::string why;
          if (!valid_notify_uri(uri.strings[0].text, why)) return fail(uri.at, why);
        }
        return true;
      }
      default:
        return true;
    }
  }

  bool test_checks(node& n) {
    switch (n.id) {
      case t_size:
        if (!n.has("over") && !n.has("under")) return fail(n.at, "'size' needs ':over' or ':under'");
        return true;
      case t_address:
        // RFC 5228 §5.1: the address test only looks at headers that hold addresses.
        for (auto& h : n.positional[0].strings)
          if (!h.vars && !address_header_allowed(h.text))
            return fail(n.positional[0].at, "header '" + h.text + "' holds no addresses; it is not allowed in 'address'");
        return check_regex_keys(n, n.positional[1]);
      case t_header:
        return check_regex_keys(n, n.positional[1]);
      case t_envelope:
        for (auto& s : n.positional[0].strings) {
          std::string part = lower(s.text);
          if (!s.vars && part != "from" && part != "to" && part != "auth")
            return fail(n.positional[0].at, "unknown envelope part '" + s.text + "'");
        }
        return check_regex_keys(n, n.positional[1]);
      case t_date: case t_currentdate: {
        std::size_t dp = n.id == t_date ? 1 : 0;
        // An unknown date-part is not an error: the test is false (as in Pigeonhole).
        if (auto* z = n.tag("zone"); z && constant(*z) && !parse_zone(z->strings[0].text))
          return fail(z->at, "invalid time zone '" + z->strings[0].text + "'");
        return check_regex_keys(n, n.positional[dp + 1]);
      }
      case t_body: case t_string: case t_environment:
        return check_regex_keys(n, n.positional.back());
      case t_hasflag:
        if (n.positional.size() == 2) {
          for (auto& s : n.positional[0].strings)
            if (!check_variable_name(n.positional[0], s)) return false;
        }
        return check_regex_keys(n, n.positional.back());
      case t_spamtest: case t_virustest:
      case t_notify_method_capability:
        return check_regex_keys(n, n.positional.back());
      case t_duplicate:
        if (auto* h = n.tag("header"); h && !check_header_names(*h)) return false;
        return true;
      default:
        return true;
    }
  }

  program& p_;
  const limits& lim_;
  compile_error err_;
};

}  // namespace
}  // namespace detail

compile_result compile(std::string_view source, const limits& lim) {
  if (source.size() > lim.max_script_bytes)
    return diagnostic{1, 1, "script is too large (" + std::to_string(source.size()) + " bytes, limit " +
                                std::to_string(lim.max_script_bytes) + ")"};
  detail::parse_output out;
  detail::compile_error err;
  if (!detail::parse(source, lim, out, err)) return diagnostic{err.at.line, err.at.column, err.message};
  auto p = std::make_shared<program>();
  detail::validator v(*p, lim);
  if (!v.run(out.commands, err)) return diagnostic{err.at.line, err.at.column, err.message};
  p->commands = std::move(out.commands);
  return std::shared_ptr<const program>(std::move(p));
}

}  // namespace hearth::mail::sieve
