# Mail authentication fuzz targets (mail/mailauth).
set(fuzz_libs_dkim_sig hearth_mail_mailauth)
set(fuzz_libs_spf hearth_mail_mailauth)
