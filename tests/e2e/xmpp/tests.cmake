# XMPP end-to-end tests: NET 160-179.
pkg_check_modules(GLOOX IMPORTED_TARGET gloox)
if(GLOOX_FOUND)
  # gloox is GPL-3.0: a test helper only, never linked into hearth.
  add_executable(xmpp_gloox_client ${CMAKE_CURRENT_LIST_DIR}/gloox/gloox_client.cpp)
  target_link_libraries(xmpp_gloox_client PRIVATE PkgConfig::GLOOX)
  hearth_e2e(xmpp_gloox xmpp/test_gloox.py 160)
  set_property(TEST e2e.xmpp_gloox APPEND PROPERTY ENVIRONMENT "GLOOX_CLIENT=$<TARGET_FILE:xmpp_gloox_client>")
endif()
hearth_e2e(xmpp_im xmpp/test_im.py 161)
hearth_e2e(xmpp_mobile xmpp/test_mobile.py 162)
hearth_e2e(xmpp_robustness xmpp/test_robustness.py 163)
hearth_e2e(xmpp_federation xmpp/test_federation.py 170)
add_test(NAME e2e.xmpp_federation_verified COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_federation.py verified)
set_tests_properties(e2e.xmpp_federation_verified PROPERTIES TIMEOUT 300
  ENVIRONMENT "HEARTH_BIN=$<TARGET_FILE:hearth>;HEARTH_SOURCE_DIR=${HEARTH_ROOT};HEARTH_TEST_NET=127.0.171;PYTHONPATH=${CMAKE_SOURCE_DIR}/tests/e2e/lib")
hearth_e2e(xmpp_limits xmpp/test_limits.py 164)
add_test(NAME e2e.xmpp_federation_direct_verified COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_federation.py verified_direct)
set_tests_properties(e2e.xmpp_federation_direct_verified PROPERTIES TIMEOUT 300
  ENVIRONMENT "HEARTH_BIN=$<TARGET_FILE:hearth>;HEARTH_SOURCE_DIR=${HEARTH_ROOT};HEARTH_TEST_NET=127.0.172;PYTHONPATH=${CMAKE_SOURCE_DIR}/tests/e2e/lib")
hearth_e2e(xmpp_slixmpp_defaults xmpp/test_slixmpp_defaults.py 137)
# Outgoing s2s backoff against a fake remote that closes each stream right after dialback.
hearth_e2e(xmpp_s2s_backoff xmpp/test_s2s_backoff.py 173)
# XMPP for browsers: WebSocket (raw client) and Converse.js in headless Chromium.
hearth_e2e(xmpp_websocket xmpp/test_websocket.py 165)
add_test(NAME e2e.xmpp_converse COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_converse.py websocket bosh)
set_tests_properties(e2e.xmpp_converse PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
  ENVIRONMENT "HEARTH_BIN=$<TARGET_FILE:hearth>;HEARTH_SOURCE_DIR=${HEARTH_ROOT};HEARTH_TEST_NET=127.0.166;PYTHONPATH=${CMAKE_SOURCE_DIR}/tests/e2e/lib")
hearth_e2e(xmpp_bosh xmpp/test_bosh.py 167)
# Group chat (XEP-0045): rooms on one instance (and a restart); a user of a second instance over s2s.
hearth_e2e(xmpp_muc xmpp/test_muc.py 174)
hearth_e2e(xmpp_muc_federation xmpp/test_muc_federation.py 175)
# HTTP File Upload (XEP-0363): slots, PUT/GET over HTTPS, ranges, quotas, expired slots, backups.
hearth_e2e(xmpp_upload xmpp/test_upload.py 168)
# SASL2 (XEP-0388), Bind2 (XEP-0386) and FAST tokens (XEP-0484) with a raw client.
hearth_e2e(xmpp_sasl2 xmpp/test_sasl2.py 169)
# External services (XEP-0215) with coturn on loopback.
hearth_e2e(xmpp_extdisco xmpp/test_extdisco.py 176)
set_tests_properties(e2e.xmpp_extdisco PROPERTIES SKIP_RETURN_CODE 77)
# External components (XEP-0114) and push notifications (XEP-0357).
hearth_e2e(xmpp_push xmpp/test_push.py 81)
# BOSH overactivity (polling, requests) and ended sessions.
hearth_e2e(xmpp_bosh_polling xmpp/test_bosh_polling.py 83)
# Group chat: voice requests, registration with a room, carbons of private messages.
hearth_e2e(xmpp_muc_voice xmpp/test_muc_voice.py 82)
# A room of 10 000 occupants (joins through bench_xmpp, our C++ load client) and a slow occupant.
hearth_e2e(xmpp_muc_large xmpp/test_muc_large.py 86)
set_property(TEST e2e.xmpp_muc_large APPEND PROPERTY ENVIRONMENT "BENCH_XMPP=$<TARGET_FILE:bench_xmpp>")
set_tests_properties(e2e.xmpp_muc_large PROPERTIES SKIP_RETURN_CODE 77)
