# IMAP/POP3 area fuzz targets.
set(fuzz_libs_imap_fetch hearth_mail_imap_server)
