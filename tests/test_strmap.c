/* test_strmap.c - analyzer/strmap.h: ids dense and stable in insertion order, keys copied,
 * byte strings (NUL inside, empty key) distinct, growth past many rehashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "analyzer/strmap.h"

static void test_intern_find(void **st)
{
	(void)st;
	struct strmap m;
	strmap_init(&m);
	assert_true(strmap_find(&m, "a", 1) == SIZE_MAX);
	int added = -1;
	char key[8] = "login";
	size_t id = strmap_intern(&m, key, 5, &added);
	assert_int_equal(id, 0);
	assert_int_equal(added, 1);
	memcpy(key, "XXXXX", 5);                 /* the map copied the key */
	assert_int_equal(strmap_find(&m, "login", 5), 0);
	assert_memory_equal(strmap_key(&m, 0), "login", 5);
	assert_int_equal(strmap_len(&m, 0), 5);
	assert_int_equal(strmap_intern(&m, "login", 5, &added), 0);
	assert_int_equal(added, 0);
	/* a prefix, the empty key and a key with a NUL inside are distinct keys */
	assert_int_equal(strmap_intern(&m, "log", 3, &added), 1);
	assert_int_equal(added, 1);
	assert_int_equal(strmap_intern(&m, "", 0, &added), 2);
	assert_int_equal(strmap_intern(&m, "a\0b", 3, &added), 3);
	assert_int_equal(strmap_intern(&m, "a\0c", 3, &added), 4);
	assert_int_equal(strmap_find(&m, "a\0b", 3), 3);
	assert_true(strmap_find(&m, "a", 1) == SIZE_MAX);
	assert_int_equal(m.n, 5);
	strmap_free(&m);
}

static void test_growth(void **st)
{
	(void)st;
	struct strmap m;
	strmap_init(&m);
	enum { N = 20000 };
	char k[32];
	for (int i = 0; i < N; i++) {
		int added;
		int w = snprintf(k, sizeof k, "key-%d", i);
		assert_int_equal(strmap_intern(&m, k, (size_t)w, &added), (size_t)i);
		assert_int_equal(added, 1);
	}
	assert_int_equal(m.n, N);
	for (int i = N - 1; i >= 0; i--) {   /* every id survived the rehashes */
		int w = snprintf(k, sizeof k, "key-%d", i);
		assert_int_equal(strmap_find(&m, k, (size_t)w), (size_t)i);
		assert_memory_equal(strmap_key(&m, (size_t)i), k, (size_t)w);
	}
	assert_true(strmap_find(&m, "key-20000", 9) == SIZE_MAX);
	strmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern_find),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
