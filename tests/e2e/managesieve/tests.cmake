# ManageSieve (RFC 5804) and Sieve at delivery: NETs 201-204.
hearth_e2e(managesieve_sievelib managesieve/test_sievelib.py 202)
hearth_e2e(managesieve_sieve_connect managesieve/test_sieve_connect.py 203)
hearth_e2e(managesieve_delivery managesieve/test_delivery.py 204)
hearth_e2e(managesieve_robustness managesieve/test_robustness.py 201)
