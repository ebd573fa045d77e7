# The web console's parsers (web/).
set(fuzz_libs_web_sieve_form hearth_web)
