# The web console's admin side: NETs 218-220.
hearth_e2e(web_admin_api web_admin/test_admin_api.py 218)
hearth_e2e(web_admin_pages web_admin/test_admin_pages.py 219)
set_tests_properties(e2e.web_admin_pages PROPERTIES SKIP_RETURN_CODE 77)
# The Reports view (DMARC and TLS-RPT received), API and page (NET 71).
hearth_e2e(web_admin_reports web_admin/test_admin_reports.py 71)
set_tests_properties(e2e.web_admin_reports PROPERTIES SKIP_RETURN_CODE 77)
# Decisions about incoming mail (API and page) and the session lifetime settings (NET 72).
hearth_e2e(web_admin_decisions web_admin/test_admin_decisions.py 72)
