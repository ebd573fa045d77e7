# Mail authentication e2e tests: NET 180-189.
hearth_e2e(mailauth_hygiene mailauth/test_hygiene.py 180)
hearth_e2e(mailauth_dkim mailauth/test_dkim.py 181)
hearth_e2e(mailauth_spf mailauth/test_spf.py 182)
hearth_e2e(mailauth_dmarc mailauth/test_dmarc.py 183)
# Forwarding that passes: SRS and ARC, NET 184-186.
hearth_e2e(mailauth_forwarding mailauth/test_forwarding.py 184)
hearth_e2e(mailauth_arc_interop mailauth/test_arc_interop.py 185)
hearth_e2e(mailauth_srs_postsrsd mailauth/test_srs_postsrsd.py 186)
