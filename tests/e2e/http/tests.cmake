# The HTTPS listener under abuse (core/http, core/net); NET 62.
hearth_e2e(https_slowloris http/test_slowloris.py 62)
hearth_e2e(memory_after_disconnect http/test_memory.py 63)
