# The web console's admin side: NETs 218-220.
hearth_e2e(web_admin_api web_admin/test_admin_api.py 218)
hearth_e2e(web_admin_pages web_admin/test_admin_pages.py 219)
set_tests_properties(e2e.web_admin_pages PROPERTIES SKIP_RETURN_CODE 77)
