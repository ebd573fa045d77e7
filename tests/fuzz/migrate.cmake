# `hearth migrate imap`: the IMAP client's response parser and the migration rules.
set(fuzz_libs_imap_client hearth_mail_imap_client hearth_mail_migrate)
