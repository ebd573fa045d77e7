# Forwarding fuzz targets: SRS addresses (mail/srs) and ARC chains (mail/mailauth).
set(fuzz_libs_srs hearth_mail_srs)
set(fuzz_libs_arc hearth_mail_mailauth)
