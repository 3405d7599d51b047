# Oracles: the parsers sluice keeps by hand, checked against independent
# implementations over many generated cases.
check_PROGRAMS += tests/oracle/cron_next tests/oracle/tz_libc
tests_oracle_cron_next_SOURCES = tests/oracle/cron_next.c
tests_oracle_cron_next_LDADD = $(SLUICE_LIBS) $(DEP_LIBS)
tests_oracle_tz_libc_SOURCES = tests/oracle/tz_libc.c
tests_oracle_tz_libc_LDADD = $(SLUICE_LIBS) $(DEP_LIBS)
EXTRA_DIST += tests/oracle/cron_croniter.sh tests/oracle/cron_croniter.py
TESTS += tests/oracle/cron_croniter.sh tests/oracle/tz_libc
