# IMAP and POP3 end-to-end tests (issue 4); NET range 120-139.
hearth_e2e(imap_basic imap/test_basic.py 120)
hearth_e2e(imap_idle imap/test_idle.py 121)
hearth_e2e(imap_qresync imap/test_qresync.py 122)
hearth_e2e(imap_search imap/test_search.py 123)
hearth_e2e(imap_corpus imap/test_corpus.py 124)
hearth_e2e(imap_curl imap/test_curl.py 125)
hearth_e2e(imap_mbsync imap/test_mbsync.py 126)
hearth_e2e(pop3 imap/test_pop3.py 127)
