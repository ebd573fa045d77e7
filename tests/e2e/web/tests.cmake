# The web console: API refusals, sessions, headers, throttling; NETs 215-217.
hearth_e2e(web_api web/test_api.py 215)
# The pages in headless Chromium with IMAP, XMPP and SMTP as witnesses (NET 216).
hearth_e2e(web_console web/test_console.py 216)
set_tests_properties(e2e.web_console PROPERTIES SKIP_RETURN_CODE 77)
# The account endpoints: password, app passwords, TOTP, devices (NET 217).
hearth_e2e(web_account web/test_account.py 217)
