# Webmail peers (Roundcube from Debian in headless Chromium): NET 226.
hearth_e2e(webmail_roundcube webmail/test_roundcube.py 226)
