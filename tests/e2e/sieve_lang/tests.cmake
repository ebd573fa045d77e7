# The Sieve language (mail/sieve): differential test against Pigeonhole's sieve-test.
hearth_e2e(sieve_differential sieve_lang/test_sieve_differential.py 200)
set_tests_properties(e2e.sieve_differential PROPERTIES SKIP_RETURN_CODE 77)
