# Backup, restore, imports and export (issue 18): NET 205-209.
hearth_e2e(backup backup/test_backup.py 205)
