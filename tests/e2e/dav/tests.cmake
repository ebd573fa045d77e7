# CalDAV/CardDAV e2e tests (NET range 140-159).
hearth_e2e(dav_davx5 dav/test_davx5.py 140)
hearth_e2e(dav_caldav dav/test_caldav_client.py 141)
hearth_e2e(dav_vdirsyncer dav/test_vdirsyncer.py 142)
hearth_e2e(dav_import dav/test_import.py 144)
hearth_e2e(dav_curl dav/test_curl.py 143)
hearth_e2e(dav_partial dav/test_partial.py 145)
hearth_e2e(dav_collections dav/test_collections.py 146)
hearth_e2e(dav_birthdays dav/test_birthdays.py 147)
hearth_e2e(dav_schedule dav/test_schedule.py 148)
hearth_e2e(dav_imip dav/test_imip.py 149)
# Shared calendars and address books (NETs 223-225).
hearth_e2e(dav_share_davx5 dav/test_share_davx5.py 223)
hearth_e2e(dav_share_vdirsyncer dav/test_share_vdirsyncer.py 224)
hearth_e2e(dav_share_caldav dav/test_share_caldav.py 225)
# Scheduling fan-out, tentative invitations, answers in free-busy; iMIP between local users
# (NETs 74, 75).
hearth_e2e(dav_schedule_fanout dav/test_schedule_fanout.py 74)
hearth_e2e(dav_imip_local dav/test_imip_local.py 75)
# iMIP in a 40 MB message, its calendar part read in pieces (the pg variant on hosts .12).
hearth_e2e(dav_imip_large dav/test_imip_large.py 42)
hearth_e2e_pg(dav_imip_large dav/test_imip_large.py 42)
