# DMARC and TLS-RPT report fuzz targets (mail/reports).
set(fuzz_libs_reports_dmarc hearth_mail_reports)
set(fuzz_libs_reports_tls hearth_mail_reports)
set(fuzz_libs_reports_unpack hearth_mail_reports)
