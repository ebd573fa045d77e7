# IMAP and POP3 end-to-end tests; NET range 120-139.
hearth_e2e(imap_basic imap/test_basic.py 120)
hearth_e2e(imap_idle imap/test_idle.py 121)
hearth_e2e(imap_qresync imap/test_qresync.py 122)
hearth_e2e(imap_search imap/test_search.py 123)
hearth_e2e(imap_corpus imap/test_corpus.py 124)
hearth_e2e(imap_curl imap/test_curl.py 125)
hearth_e2e(imap_mbsync imap/test_mbsync.py 126)
hearth_e2e(pop3 imap/test_pop3.py 127)
hearth_e2e(imap_limits imap/test_limits.py 128)
hearth_e2e(imap_config_limits imap/test_config_limits.py 129)
hearth_e2e(imap_thread_i18n imap/test_thread_i18n.py 130)
hearth_e2e(imap_utf8_accept imap/test_utf8_accept.py 131)
hearth_e2e(imap_idle_push imap/test_idle_push.py 136)
hearth_e2e(imap_conformance imap/test_conformance.py 138)
hearth_e2e(imap_inprogress imap/test_inprogress.py 139)
# Shared mailboxes, NOTIFY and CONTEXT=SEARCH: NETs 77, 78 and 79.
hearth_e2e(imap_shared imap/test_shared.py 77)
hearth_e2e(imap_notify imap/test_notify.py 78)
hearth_e2e(imap_search_context imap/test_search_context.py 79)
# CONTEXT=SORT: NET 89.
hearth_e2e(imap_sort_context imap/test_sort_context.py 89)
# Inline reads and group commit (imapperf): NET 90.
hearth_e2e(imap_command_paths imap/test_command_paths.py 90)
# Sharees managing folders, per-user \Seen on shared mailboxes: NETs 92 and 93.
hearth_e2e(imap_shared_manage imap/test_shared_manage.py 92)
hearth_e2e(imap_shared_seen imap/test_shared_seen.py 93)
# Write commands inline when the write lock is free (imapwrite): NET 68.
hearth_e2e(imap_write_paths imap/test_write_paths.py 68)
# A sharee's \Seen going with their read right (imaptail): NET 73.
hearth_e2e(imap_shared_seen_revoke imap/test_shared_seen_revoke.py 73)
# A large APPEND's summary in its commit, CATENATE put together in pieces: NETs 27 and 28.
hearth_e2e(imap_catenate_stream imap/test_catenate_stream.py 27)
hearth_e2e_pg(imap_catenate_stream imap/test_catenate_stream.py 28)
# A write by another process (the CLI) seen by the next command though the refresh may skip
# its read: NET 35.
hearth_e2e(imap_refresh_other_process imap/test_refresh_other_process.py 35)
