// libFuzzer target: calendar object and vCard validation, instance expansion and export
// splitting, partial retrieval (calendar-data, address-data, vCard 3.0/4.0 conversion) and
// calendar-timezone parsing
// (dav/ical): what a PUT body, an imported file or a PROPPATCH can reach.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dav/ical/ical.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace hearth::dav::ical;
  if (auto info = inspect(text)) {
    (void)instances(text, 0, 4102444800, 100);
    (void)expand(text, 0, 4102444800);
    calendar_data_spec spec;
    spec.comp = comp_select{"VCALENDAR", true, {}, false, {comp_select{"VEVENT", false, {{"SUMMARY", true}}, false, {}}}};
    spec.limit_recurrence = time_range{0, 4102444800};
    spec.limit_freebusy = time_range{0, 4102444800};
    (void)calendar_data(text, spec);
    comp_filter alarm{"VALARM", false, time_range{0, 4102444800}, {}, {}};
    comp_filter todo{"VTODO", false, time_range{0, 4102444800}, {}, {alarm}};
    comp_filter top{"VCALENDAR", false, std::nullopt, {}, {todo}};
    (void)matches(text, top);
    (void)busy(text, 0, 4102444800);
  }
  if (auto z = zone::parse(text)) (void)instances("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", 0, 1, 1, z->get());
  (void)address_data(text, {{"FN", false}, {"EMAIL", true}});
  (void)inspect_vcard(text);
  // Conversion both ways must give a card that still validates as the version asked for.
  for (const char* v : {"3.0", "4.0"}) {
    auto out = convert_vcard(text, v);
    if (inspect_vcard(text) && out != text) {
      auto again = inspect_vcard(out);
      if (again && again->version != v) __builtin_trap();
    }
  }
  for (auto& o : split_calendar(text).objects) (void)inspect(o);
  (void)split_vcards(text);
  // Birthday events must always be calendar objects the store accepts.
  for (const auto& ev : birthday_events(text))
    if (!inspect(ev.ics)) __builtin_trap();
  return 0;
}
