# DMARC and TLS-RPT reports e2e tests (mail/reports): NET 187-189, and 66 (TLS-RPT sent).
hearth_e2e(reports_received reports/test_reports_received.py 187)
hearth_e2e(reports_exchange reports/test_reports_exchange.py 188)
hearth_e2e(reports_tls_send reports/test_reports_tls_send.py 66)
