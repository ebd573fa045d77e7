# mail/filter e2e tests: NET 190-199. test_greylist.py also uses the
# neighbour networks 191-194 and 198 as other client /24s; test_dnsbl.py 195; test_backup_mx.py 196-197.
hearth_e2e(filter_greylist filter/test_greylist.py 190)
hearth_e2e(filter_dnsbl filter/test_dnsbl.py 195)
hearth_e2e(filter_backup_mx filter/test_backup_mx.py 196)
hearth_e2e(filter_backup_mx_expire filter/test_backup_mx_expire.py 197)
# test_backup_sync.py: the recipient list synced from the primary over HTTPS (NET 199).
hearth_e2e(filter_backup_sync filter/test_backup_sync.py 199)
# The learning spam filter and the antivirus: NET 191-194.
hearth_e2e(filter_spam_learn filter/test_spam_learn.py 191)
hearth_e2e(filter_antivirus filter/test_antivirus.py 192)
hearth_e2e(filter_spam_corpus filter/test_spam_corpus.py 193)
hearth_e2e(filter_spam_bad_input filter/test_spam_bad_input.py 194)
