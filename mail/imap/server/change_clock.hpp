// Whether a mailbox may have changed since a moment, so that the refresh ending each command
// (view.cpp) need not ask the database when nothing did: asked every time, under the
// state-tracking load, that statement costs an eighth of the server's CPU, for an answer that
// is mostly "nothing".
//
// Two sources, and a change is missed by neither:
//  - this process's writers: every "mail.new" and "mail.changed" event on the bus takes the
//    next number of one sequence, remembered under its owner and mailbox name (an event
//    without a name under the whole account; a resync, when events may have been lost, makes
//    everything read before it old). The store publishes after its commit, so an event
//    numbered at or below a reading was committed before the reads that follow the reading;
//  - other processes on the same file (`hearth import`, `hearth migrate imap`, any CLI
//    write): `others`, a function whose value moves whenever another process may have written
//    (core/db/other_processes.hpp, wired by app/serve_imap.cpp). When it moved, everything
//    read before is old, so the next command reads, as it always did.
// A reader takes now() BEFORE the reads whose result it keeps and later asks changed_since
// with that number; false means that the database still holds, for that mailbox, what those
// reads saw.
//
// Only for SQLite: on PostgreSQL another node's events arrive after its commits, and nothing
// cheap says that another node wrote; there every command reads.
//
// Thread-safety: every member may be called from any thread. The bus must outlive the clock.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/events/bus.hpp"

namespace hearth::mail::imap {

class change_clock {
 public:
  // `others`: see the top of this file; null means that another process may always have
  // written (nothing is ever skipped).
  change_clock(events::bus& bus, std::function<std::uint64_t()> others);
  change_clock(const change_clock&) = delete;
  change_clock& operator=(const change_clock&) = delete;

  // The number of the last event seen; never 0, so 0 can mean "no reading".
  std::uint64_t now() const;
  // Whether the owner's mailbox, one of its parents (RENAME and DELETE of a parent carry the
  // parent's name) or the whole account had an event numbered above `since`, or another
  // process may have written since then. True when `since` is 0 or older than what the clock
  // still remembers.
  bool changed_since(std::string_view owner, std::string_view mailbox, std::uint64_t since);

  // Called by the bus; public for the tests.
  void on_event(const events::event& e);

 private:
  struct owner_marks {
    std::uint64_t all = 0;  // the last event about the whole account
    std::map<std::string, std::uint64_t, std::less<>> by_mailbox;
  };
  // Owners and names remembered in all; past it they are forgotten at once and floor_ says
  // that anything read before then must be read again.
  static constexpr std::size_t max_names = 100000;

  mutable std::mutex m_;
  std::function<std::uint64_t()> others_;
  std::uint64_t others_seen_ = 0;
  std::uint64_t seq_ = 1;
  std::uint64_t floor_ = 0;
  std::size_t names_ = 0;
  std::map<std::string, owner_marks, std::less<>> owners_;
  events::subscription new_, changed_;
};

}  // namespace hearth::mail::imap
