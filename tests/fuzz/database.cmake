# [database]: the url check in core/config and pg::describe (libpq's conninfo parser).
set(fuzz_libs_database_url hearth_config hearth_pg)
