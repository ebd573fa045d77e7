# `hearth migrate imap`; NETs 210-214 (214: bench/bench_migrate.py).
hearth_e2e(migrate_dovecot migrate/test_migrate_dovecot.py 210)
set_tests_properties(e2e.migrate_dovecot PROPERTIES SKIP_RETURN_CODE 77)
hearth_e2e(migrate_gmail migrate/test_migrate_gmail.py 211)
