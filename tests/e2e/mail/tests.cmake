# Mail e2e tests: NET 100-109 SMTP sessions, 110-119 the outbound queue (queue.cmake).
hearth_e2e(smtp_in mail/test_smtp_in.py 100)
hearth_e2e(smtp_robust mail/test_smtp_robust.py 101)
hearth_e2e(smtp_durable mail/test_smtp_durable.py 102)
hearth_e2e(smtp_imap mail/test_smtp_imap.py 103)
include(${CMAKE_CURRENT_LIST_DIR}/queue.cmake OPTIONAL)
hearth_e2e(smtp_postmaster mail/test_smtp_postmaster.py 107)
hearth_e2e(mail_clients mail/test_mail_clients.py 109)
