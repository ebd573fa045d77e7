#include "mail/sieve/spec.hpp"

#include "mail/sieve/internal.hpp"
#include "mail/sieve/sieve.hpp"

namespace hearth::mail::sieve {
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

}  // namespace

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

}  // namespace detail
}  // namespace hearth::mail::sieve
