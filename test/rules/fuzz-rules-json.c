/*
 * fuzz-rules-json.c: libFuzzer target — any bytes as a rule set: parse, print, parse the
 * printed text again (it must parse and print the same), and evaluate over a fixed message.
 * OWNS nothing. THREAD: the fuzzer's.
 */
#include "rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct rules_address fuzz_from = { "Joe", "joe@example.com" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_set *set = NULL, *again = NULL;
	const char *error;
	struct rules_facts f;
	struct rules_decision d;

	if (rules_set_parse((const char *)data, size, &set, &error) < 0)
		return 0;
	char *text = rules_set_print(set);
	if (rules_set_parse(text, strlen(text), &again, &error) < 0)
		abort();
	char *text2 = rules_set_print(again);
	if (strcmp(text, text2) != 0)
		abort();
	memset(&f, 0, sizeof(f));
	f.type = RULES_TYPE_INCOMING;
	f.subject = "Hello widget";
	f.from = &fuzz_from;
	f.n_from = 1;
	f.size = 1000;
	rules_evaluate(set, again, &f, &d);
	rules_decision_deinit(&d);
	free(text);
	free(text2);
	rules_set_free(&set);
	rules_set_free(&again);
	return 0;
}
