# Fuzzers (tests/fuzz/fuzz.h).  Every harness is built twice: as a replay
# of its seed corpus and regression inputs for `make check` (any compiler),
# and, with --enable-fuzzers, as a libFuzzer program that tests/fuzz/run
# drives for a bounded time.
EXTRA_DIST += tests/fuzz/run tests/fuzz/corpus tests/fuzz/regress \
	tests/fuzz/csv.dict tests/fuzz/json.dict tests/fuzz/ndjson.dict \
	tests/fuzz/project.dict tests/fuzz/tzif.dict tests/fuzz/tzrule.dict \
	tests/fuzz/cron.dict tests/fuzz/cmdsplit.dict tests/fuzz/parquet.dict \
	tests/fuzz/make-parquet-regress.py

FUZZ_HARNESS = tests/fuzz/fuzz.h tests/fuzz/fuzz_driver.c
FUZZ_REPLAY_LIBS = $(SLUICE_LIBS) $(DEP_LIBS)

check_PROGRAMS += tests/fuzz/replay_csv tests/fuzz/replay_json \
	tests/fuzz/replay_ndjson tests/fuzz/replay_project tests/fuzz/replay_tzif \
	tests/fuzz/replay_tzrule tests/fuzz/replay_cron tests/fuzz/replay_cmdsplit
TESTS += tests/fuzz/replay_csv tests/fuzz/replay_json \
	tests/fuzz/replay_ndjson tests/fuzz/replay_project tests/fuzz/replay_tzif \
	tests/fuzz/replay_tzrule tests/fuzz/replay_cron tests/fuzz/replay_cmdsplit

tests_fuzz_replay_csv_SOURCES = tests/fuzz/fuzz_format.c $(FUZZ_HARNESS)
tests_fuzz_replay_csv_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"csv"' -DFUZZ_FORMAT=FMT_CSV
tests_fuzz_replay_csv_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_json_SOURCES = tests/fuzz/fuzz_format.c $(FUZZ_HARNESS)
tests_fuzz_replay_json_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"json"' -DFUZZ_FORMAT=FMT_JSON
tests_fuzz_replay_json_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_ndjson_SOURCES = tests/fuzz/fuzz_format.c $(FUZZ_HARNESS)
tests_fuzz_replay_ndjson_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"ndjson"' -DFUZZ_FORMAT=FMT_NDJSON
tests_fuzz_replay_ndjson_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_project_SOURCES = tests/fuzz/fuzz_project.c $(FUZZ_HARNESS)
tests_fuzz_replay_project_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"project"'
tests_fuzz_replay_project_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_tzif_SOURCES = tests/fuzz/fuzz_tz.c $(FUZZ_HARNESS)
tests_fuzz_replay_tzif_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"tzif"' -DFUZZ_TZIF
tests_fuzz_replay_tzif_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_tzrule_SOURCES = tests/fuzz/fuzz_tz.c $(FUZZ_HARNESS)
tests_fuzz_replay_tzrule_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"tzrule"'
tests_fuzz_replay_tzrule_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_cron_SOURCES = tests/fuzz/fuzz_cron.c $(FUZZ_HARNESS)
tests_fuzz_replay_cron_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"cron"'
tests_fuzz_replay_cron_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_cmdsplit_SOURCES = tests/fuzz/fuzz_cmdsplit.c $(FUZZ_HARNESS)
tests_fuzz_replay_cmdsplit_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"cmdsplit"'
tests_fuzz_replay_cmdsplit_LDADD = $(FUZZ_REPLAY_LIBS)

# Parquet: seeds written by sluice and by hyparquet-writer, and a corpus of
# damaged files (tests/fuzz/regress/parquet) every run replays.
check_PROGRAMS += tests/fuzz/replay_parquet
TESTS += tests/fuzz/replay_parquet
tests_fuzz_replay_parquet_SOURCES = tests/fuzz/fuzz_parquet.c $(FUZZ_HARNESS)
tests_fuzz_replay_parquet_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"parquet"'
tests_fuzz_replay_parquet_LDADD = $(FUZZ_REPLAY_LIBS)

if FUZZERS
noinst_PROGRAMS = tests/fuzz/csv_fuzzer tests/fuzz/json_fuzzer \
	tests/fuzz/ndjson_fuzzer tests/fuzz/project_fuzzer tests/fuzz/tzif_fuzzer \
	tests/fuzz/tzrule_fuzzer tests/fuzz/cron_fuzzer tests/fuzz/cmdsplit_fuzzer
FUZZ_LINK = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)

tests_fuzz_csv_fuzzer_SOURCES = tests/fuzz/fuzz_format.c tests/fuzz/fuzz.h
tests_fuzz_csv_fuzzer_CFLAGS = $(AM_CFLAGS) -DFUZZ_FORMAT=FMT_CSV
tests_fuzz_csv_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_csv_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_json_fuzzer_SOURCES = tests/fuzz/fuzz_format.c tests/fuzz/fuzz.h
tests_fuzz_json_fuzzer_CFLAGS = $(AM_CFLAGS) -DFUZZ_FORMAT=FMT_JSON
tests_fuzz_json_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_json_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_ndjson_fuzzer_SOURCES = tests/fuzz/fuzz_format.c tests/fuzz/fuzz.h
tests_fuzz_ndjson_fuzzer_CFLAGS = $(AM_CFLAGS) -DFUZZ_FORMAT=FMT_NDJSON
tests_fuzz_ndjson_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_ndjson_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_project_fuzzer_SOURCES = tests/fuzz/fuzz_project.c tests/fuzz/fuzz.h
tests_fuzz_project_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_project_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_tzif_fuzzer_SOURCES = tests/fuzz/fuzz_tz.c tests/fuzz/fuzz.h
tests_fuzz_tzif_fuzzer_CFLAGS = $(AM_CFLAGS) -DFUZZ_TZIF
tests_fuzz_tzif_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_tzif_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_tzrule_fuzzer_SOURCES = tests/fuzz/fuzz_tz.c tests/fuzz/fuzz.h
tests_fuzz_tzrule_fuzzer_CFLAGS = $(AM_CFLAGS)
tests_fuzz_tzrule_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_tzrule_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_cron_fuzzer_SOURCES = tests/fuzz/fuzz_cron.c tests/fuzz/fuzz.h
tests_fuzz_cron_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_cron_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_cmdsplit_fuzzer_SOURCES = tests/fuzz/fuzz_cmdsplit.c tests/fuzz/fuzz.h
tests_fuzz_cmdsplit_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_cmdsplit_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
noinst_PROGRAMS += tests/fuzz/parquet_fuzzer
tests_fuzz_parquet_fuzzer_SOURCES = tests/fuzz/fuzz_parquet.c tests/fuzz/fuzz.h
tests_fuzz_parquet_fuzzer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_parquet_fuzzer_LDADD = $(FUZZ_REPLAY_LIBS)
endif
