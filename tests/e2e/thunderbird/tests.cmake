# Real Thunderbird (Debian's, installed by scripts/packages/thunderbird.txt) against Hearth;
# NET 132-135 (131 is imap_utf8_accept).
hearth_e2e(thunderbird_mail thunderbird/test_mail.py 132)
hearth_e2e(thunderbird_dav thunderbird/test_dav.py 133)
hearth_e2e(thunderbird_send thunderbird/test_send.py 134)
hearth_e2e(thunderbird_account_hub thunderbird/test_account_hub.py 135)
# Needs root (a private mount namespace and port 443); skipped otherwise.
set_tests_properties(e2e.thunderbird_account_hub PROPERTIES SKIP_RETURN_CODE 77)
# Thunderbird on a calendar shared with its user (NET 76, lent by the DAV sharing work).
hearth_e2e(thunderbird_shared_calendar thunderbird/test_shared_calendar.py 76)
