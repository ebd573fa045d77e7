# Login throttling across protocols (auth/); NET 61.
hearth_e2e(auth_throttle auth/test_throttle.py 61)
