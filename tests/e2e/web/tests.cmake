# The web console (issue 19): API refusals, sessions, headers, throttling; NETs 215-217.
hearth_e2e(web_api web/test_api.py 215)
