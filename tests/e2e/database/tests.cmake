# [database]: the settings themselves (NET 230), and existing tests run a second time with every
# store in PostgreSQL (hearth_e2e_pg, label `pg`; NETs 231-234 and 236-249).
hearth_e2e(database database/test_database.py 230)
