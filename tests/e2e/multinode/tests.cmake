# Several nodes on one database (README "Several nodes"); NETs 250-251.
hearth_e2e(queue_handover multinode/test_queue_handover.py 251)
hearth_e2e(multinode multinode/test_multinode.py 250)
# XMPP across the two nodes: presence, chat, carbons, a room, and node B killed with -9 (NET 150).
hearth_e2e(xmpp_multinode multinode/test_xmpp_multinode.py 150)
set_tests_properties(e2e.xmpp_multinode PROPERTIES LABELS pg SKIP_RETURN_CODE 77)
