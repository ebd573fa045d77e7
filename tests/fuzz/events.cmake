# The cross-node event payload (core/events/wire.hpp).
set(fuzz_libs_event_wire hearth_events)
