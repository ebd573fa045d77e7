# CalDAV/CardDAV fuzz targets.
set(fuzz_libs_dav_xml hearth_dav_server)
set(fuzz_libs_dav_ical hearth_dav_ical)
set(fuzz_libs_dav_itip hearth_dav_ical)
set(fuzz_libs_dav_share hearth_dav_server)
