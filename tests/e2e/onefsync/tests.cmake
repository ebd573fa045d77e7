# One fsync per accepted copy (small bodies in the database with their row): kill -9 tests.
# NETs 152-154.
hearth_e2e(onefsync_crash onefsync/test_onefsync_crash.py 152)
hearth_e2e_pg(onefsync_crash onefsync/test_onefsync_crash.py 153)
# Large bodies in the database streamed to IMAP and POP3 (NETs 94, 95).
hearth_e2e(blob_stream onefsync/test_blob_stream.py 94)
hearth_e2e_pg(blob_stream onefsync/test_blob_stream.py 95)
# One network for both: the pg variant uses hosts .11-.13 of it.
hearth_e2e(smtp_stream onefsync/test_smtp_stream.py 69)
hearth_e2e_pg(smtp_stream onefsync/test_smtp_stream.py 69)
# A Sieve redirect, a RET=FULL bounce, the queue's local delivery and `hearth queue show` of a
# 40 MB message, in pieces (one network for both, as smtp_stream).
hearth_e2e(redirect_bounce_stream onefsync/test_redirect_bounce_stream.py 41)
hearth_e2e_pg(redirect_bounce_stream onefsync/test_redirect_bounce_stream.py 41)
