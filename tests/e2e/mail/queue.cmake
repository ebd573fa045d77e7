# The outbound queue's e2e tests (issue 3, part 2): NET 110-118 (119 is the Catch2 integration test).
hearth_e2e(queue_outbound mail/test_queue_outbound.py 110)
hearth_e2e(queue_retry mail/test_queue_retry.py 111)
hearth_e2e(queue_bounce mail/test_queue_bounce.py 112)
hearth_e2e(queue_kill mail/test_queue_kill.py 113)
hearth_e2e(queue_expire mail/test_queue_expire.py 114)
hearth_e2e(queue_bind mail/test_queue_bind.py 115)
hearth_e2e(queue_lock mail/test_queue_lock.py 116)
hearth_e2e(queue_lost_spool mail/test_queue_lost_spool.py 117)
