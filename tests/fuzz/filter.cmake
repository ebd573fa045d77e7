# mail/filter fuzz targets: link extraction and the config's list/score syntax.
set(fuzz_libs_uri hearth_mail_filter)
set(fuzz_libs_spam hearth_mail_filter)
