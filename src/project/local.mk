noinst_LIBRARIES += libproject.a
libproject_a_SOURCES = \
	src/project/project.h \
	src/project/project_int.h \
	src/project/cond.c \
	src/project/cron.c \
	src/project/diag.c \
	src/project/flows.c \
	src/project/loader.c \
	src/project/loader_objects.c \
	src/project/loader_tasks.c \
	src/project/model.c \
	src/project/param.c \
	src/project/partition.c \
	src/project/project_json.c \
	src/project/secrets.c \
	src/project/spec.c \
	src/project/tz.c

check_PROGRAMS += tests/unit/test_project
tests_unit_test_project_SOURCES = tests/unit/test_project.c tests/unit/testutil.h
tests_unit_test_project_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_project_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_project

check_PROGRAMS += tests/unit/test_project_json
tests_unit_test_project_json_SOURCES = tests/unit/test_project_json.c tests/unit/testutil.h
tests_unit_test_project_json_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_project_json_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_project_json
