// select = ("SELECT" / "EXAMINE") SP mailbox [select-params]  (RFC 9051 §9)
// select-params = SP "(" select-param *(SP select-param) ")"  (RFC 7162 §3.1.8, §3.2.5.1)
#include "mail/imap/proto/command_table.hpp"

namespace hearth::mail::imap {

command_args syntax_select(lexer& lx, std::string_view, const parse_options&) {
  cmd_select s;
  lx.sp();
  s.mailbox = lx.mailbox();
  if (!lx.eat(' ')) return s;
  lx.expect('(', "( of select parameters");
  for (std::size_t n = 0;; ++n) {
    if (n > 8) lx.fail("too many select parameters");
    auto p = lx.upper_atom();
    if (p == "CONDSTORE") {
      s.condstore = true;
    } else if (p == "QRESYNC") {
      // QRESYNC SP "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
      qresync_params q;
      lx.sp();
      lx.expect('(', "( of QRESYNC parameters");
      q.uidvalidity = lx.nz_number();
      lx.sp();
      q.modseq = lx.mod_sequence_value();
      if (lx.eat(' ')) {
        if (lx.peek() != '(') {
          q.known_uids = lx.seq_set();
          if (q.known_uids->saved) lx.fail("$ is not allowed in QRESYNC");
        }
        if (lx.peek() == ' ' || lx.peek() == '(') {
          if (q.known_uids) lx.sp();
          lx.expect('(', "( of seq-match-data");
          auto seqs = lx.seq_set();
          lx.sp();
          auto uids = lx.seq_set();
          if (seqs.saved || uids.saved) lx.fail("$ is not allowed in QRESYNC");
          lx.expect(')', ") of seq-match-data");
          q.seq_match = std::make_pair(std::move(seqs), std::move(uids));
        }
      }
      lx.expect(')', ") of QRESYNC parameters");
      s.qresync = std::move(q);
    } else {
      lx.fail("unknown select parameter " + p);
    }
    if (lx.eat(')')) return s;
    lx.sp();
  }
}

}  // namespace hearth::mail::imap
