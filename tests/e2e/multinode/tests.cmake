# Several nodes on one database (README "Several nodes"); NETs 250-251.
hearth_e2e(queue_handover multinode/test_queue_handover.py 251)
hearth_e2e(multinode multinode/test_multinode.py 250)
# XMPP across the two nodes: presence, chat, carbons, a room, and node B killed with -9 (NET 150).
hearth_e2e(xmpp_multinode multinode/test_xmpp_multinode.py 150)
set_tests_properties(e2e.xmpp_multinode PROPERTIES LABELS pg SKIP_RETURN_CODE 77)
# XEP-0198 resumption on the other node, and a resumption naming a killed node (NET 91).
hearth_e2e(xmpp_multinode_resume multinode/test_xmpp_multinode_resume.py 91)
set_tests_properties(e2e.xmpp_multinode_resume PROPERTIES LABELS pg SKIP_RETURN_CODE 77)
# A node's PostgreSQL connections stay within [database] pool (label pg; NET 155).
hearth_e2e_pg(db_pool multinode/test_db_pool.py 155)
# Node A killed with -9 mid-delivery: B finishes it after the claim lease (label pg; NET 156).
hearth_e2e_pg(multinode_kill multinode/test_multinode_kill.py 156)
# A room's home node killed with -9: the room and its occupants go on on the other node (NET 98).
hearth_e2e(xmpp_muc_failover multinode/test_xmpp_muc_failover.py 98)
set_tests_properties(e2e.xmpp_muc_failover PROPERTIES LABELS pg SKIP_RETURN_CODE 77)
# A room's home killed after handling a message, before its ack: not sent or stored twice (NET 44).
hearth_e2e(xmpp_muc_resent multinode/test_xmpp_muc_resent.py 44)
set_tests_properties(e2e.xmpp_muc_resent PROPERTIES LABELS pg SKIP_RETURN_CODE 77)
