# IMAP/POP3 area fuzz targets (issue 4).
set(fuzz_libs_imap_fetch hearth_mail_imap_server)
