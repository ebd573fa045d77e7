# The benchmarks' smoke runs (bench/): a few messages through each configuration, so that
# `make bench` keeps working; never timed. NETs 157-158.
hearth_e2e(bench_smtp_smoke bench/test_bench_smtp_smoke.py 157)
