// Mail imports from files (app/cmd_import_mail.cpp), shared by `hearth import mbox|maildir`
// and `hearth import takeout`.
#pragma once
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "app/commands.hpp"

namespace hearth::app {

class mail_importer;

// `hearth import mbox|maildir ...` (format is "mbox" or "maildir"); called by cmd_import.
int cmd_import_mail(const globals& g, const std::string& format, const args& a);
// `hearth import takeout ZIP --user U` (cmd_import_takeout.cpp); called by cmd_import.
int cmd_import_takeout(const globals& g, const args& a);
// One mbox file into the importer's account: Gmail labels decide the folders unless
// folder_given; with label_keywords one copy goes to the place Gmail shows it (INBOX, Sent,
// Drafts, Junk, Trash, else Archive) and the user's labels become keywords, as `hearth migrate
// imap --gmail-labels keywords` does. Prints a summary line to `out`; errors to stderr.
// Returns the exit code.
int import_mbox_file(mail_importer& imp, const std::filesystem::path& file, const std::string& folder,
                     bool folder_given, std::ostream& out, bool label_keywords = false);
// "--gmail-labels folders|keywords": true for keywords; nullopt (after printing) when invalid.
std::optional<bool> gmail_labels_option(const std::optional<std::string>& value);
// A Maildir tree (Maildir++ or Dovecot LAYOUT=fs) into the importer's account.
int import_maildir_tree(mail_importer& imp, const std::filesystem::path& root, std::ostream& out);

}  // namespace hearth::app
