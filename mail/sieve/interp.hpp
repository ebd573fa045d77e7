// The interpreter's state for one run. Internal; see run.hpp for the contract.
#pragma once
#include "mail/message/mime.hpp"
#include "mail/sieve/internal.hpp"
#include "mail/sieve/run.hpp"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::mail::sieve::detail {

struct runtime_error {
  pos at;
  std::string message;
};

// The message header as the script sees it: editheader changes it in place.
struct field {
  std::string_view name;
  std::string_view value;  // raw, folding kept, no final CRLF
};

// One executing script (the main one or an included one): its variables.
struct frame {
  const program* prog = nullptr;
  std::map<std::string, std::string> locals;
  std::set<std::string> globals_declared;
};

enum class flow { next, stop, ret };

class interpreter {
 public:
  interpreter(std::string_view message, const environment& env, const limits& lim);
  outcome execute(const program& prog);

  // Used by the test evaluation (tests.cpp).
  bool test(const node& t);

 private:
  friend struct tests_access;
  flow commands(const std::vector<node>& cmds);
  flow command(const node& n);
  void step(const node& n);
  [[noreturn]] void fail(const node& n, std::string msg);

  // Strings and variables (RFC 5229).
  std::string expand(const sstring& s);
  std::vector<std::string> expand_list(const argument& a);
  std::string get_var(const std::string& name);
  void set_var(const std::string& name, std::string value);
  std::string* var_slot(const std::string& name);

  // Matching, shared by every test.
  bool match_values(const node& t, const std::vector<std::string>& values, const argument& keys);
  bool match_one(const node& t, std::string_view value, std::string_view key, int regex_id);

  // Header access (after edits).
  std::vector<std::string_view> header_raw(std::string_view name, const match_spec& m);
  std::string decoded(std::string_view raw);
  // Decoded values / addresses of every field named `name`, computed once per run (header
  // edits clear them): most scripts ask about the same few fields in every rule.
  const std::vector<std::string>& decoded_values(std::string_view name);
  const std::vector<std::string>& addresses(std::string_view name);
  void header_changed();
  const message_structure& structure();

  // Flags (RFC 5232): a space-separated set.
  static std::vector<std::string> split_flags(const std::vector<std::string>& lists);
  std::vector<std::string> current_flags();

  // Actions.
  void add_action(const node& n, action a, bool cancels_keep);
  void do_vacation(const node& n);
  void do_notify(const node& n);
  void do_include(const node& n);
  void do_set(const node& n);
  void do_flags(const node& n);
  void do_addheader(const node& n);
  void do_deleteheader(const node& n);

  // Tests.
  bool t_header_test(const node& t);
  bool t_address_test(const node& t);
  bool t_envelope_test(const node& t);
  bool t_body_test(const node& t);
  bool t_date_test(const node& t);
  bool t_duplicate_test(const node& t);
  bool t_spam_test(const node& t);
  std::vector<std::string> address_parts(std::string_view addr, const match_spec& m);

  std::string_view msg_;
  const environment& env_;
  const limits& lim_;
  std::vector<field> fields_;
  std::string_view body_;
  std::deque<std::string> owned_;  // storage for edited header fields
  bool edited_ = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> decoded_cache_, address_cache_;
  std::optional<message_structure> structure_;
  std::unique_ptr<std::string> structure_source_;

  outcome out_;
  bool keep_cancelled_ = false;
  bool explicit_keep_ = false;
  unsigned redirects_ = 0;
  bool vacation_done_ = false;
  bool stopped_ = false;
  std::uint64_t steps_ = 0;
  std::vector<frame*> frames_;
  std::map<std::string, std::string> globals_;
  std::vector<std::string> match_vars_;
  std::string internal_flags_;
  std::vector<std::string> include_chain_;
  std::set<std::string> included_once_;
  std::map<std::string, std::shared_ptr<const program>> include_cache_;
  unsigned includes_ = 0;
};

}  // namespace hearth::mail::sieve::detail
