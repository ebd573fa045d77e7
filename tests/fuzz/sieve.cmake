# mail/sieve fuzz target: the script compiler and the interpreter.
set(fuzz_libs_sieve hearth_mail_sieve)
