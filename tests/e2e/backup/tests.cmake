# Backup, restore, imports and export: NET 205-209.
hearth_e2e(backup backup/test_backup.py 205)
hearth_e2e(import_mail backup/test_import_mail.py 206)
hearth_e2e(import_takeout backup/test_import_takeout.py 207)
hearth_e2e(export backup/test_export.py 208)
# `hearth db copy` SQLite -> PostgreSQL -> SQLite, served after the round trip (own cluster).
hearth_e2e(db_copy backup/test_db_copy.py 229)
# `hearth db copy` edges without a server: tables no store makes, usage errors.
hearth_e2e(db_copy_edges backup/test_db_copy_edges.py 235)
