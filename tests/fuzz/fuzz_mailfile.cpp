// libFuzzer: the mailbox file parsers of mail/mailfile (mbox splitting and dates,
// X-Gmail-Labels, Maildir names and flags, dovecot-keywords) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/mailfile/mailfile.hpp"

using namespace hearth::mail::mailfile;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mbox_splitter s(4096);
  std::string_view rest = in;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    auto line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
    rest.remove_prefix(line.size());
    if (auto m = s.line(line)) (void)from_line_date(m->from_line);
  }
  (void)s.finish();
  (void)parse_date(in);
  (void)gmail_labels(in);
  auto kw = parse_dovecot_keywords(in);
  auto flags = maildir_flags(in, kw);
  std::vector<std::string> out_kw;
  (void)maildir_filename("u", flags, out_kw);
  if (auto f = maildirpp_folder(in)) (void)maildirpp_dirname(*f);
  (void)fs_layout_folder(in);
  (void)special_folder(in);
  return 0;
}
