# [database]: the settings themselves (NET 230), and existing tests run a second time with every
# store in PostgreSQL (hearth_e2e_pg, label `pg`; NETs 231-234 and 236-249).
hearth_e2e(database database/test_database.py 230)
# Label `pg`: scripts that together touch every store on PostgreSQL, each short.
hearth_e2e_pg(smtp_imap mail/test_smtp_imap.py 231)                 # SMTP delivery, IMAP IDLE/FETCH, POP3
hearth_e2e_pg(pop3 imap/test_pop3.py 232)                           # POP3 on a corpus
hearth_e2e_pg(imap_shared imap/test_shared.py 233)                  # IMAP ACL, `hearth share mailbox`
hearth_e2e_pg(managesieve_delivery managesieve/test_delivery.py 234) # Sieve scripts, ManageSieve, delivery
hearth_e2e_pg(filter_greylist filter/test_greylist.py 236)          # greylist
hearth_e2e_pg(queue_outbound mail/test_queue_outbound.py 237)       # outbound queue, two instances
hearth_e2e_pg(dav_caldav dav/test_caldav_client.py 238)             # CalDAV
hearth_e2e_pg(dav_vdirsyncer dav/test_vdirsyncer.py 239)            # CalDAV + CardDAV sync
hearth_e2e_pg(dav_share_caldav dav/test_share_caldav.py 240)        # DAV sharing
hearth_e2e_pg(xmpp_im xmpp/test_im.py 241)                          # XMPP roster, presence, messages
hearth_e2e_pg(xmpp_mobile xmpp/test_mobile.py 242)                  # XMPP offline, MAM, carbons
hearth_e2e_pg(web_api web/test_api.py 243)                          # web console sessions
hearth_e2e_pg(reports_received reports/test_reports_received.py 244) # DMARC/TLS-RPT reports
hearth_e2e_pg(web_admin_api web_admin/test_admin_api.py 245)        # admin tokens, decisions, queue
hearth_e2e_pg(xmpp_muc xmpp/test_muc.py 246)                        # XMPP group chat rooms (not xmpp_upload: it runs `hearth backup`, SQLite only)
