#include "test_steps_fixture.h"
static Suite *s(void) { return suite_create("steps_pg"); }
TEST_MAIN(s)
