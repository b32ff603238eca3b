/*
 * test-smtp-signature.c: which signature text a sender gets (smtp_signature_text): its
 * domain's entry of signature.domain_texts in any case, else the global text; escapes undone.
 */
#include "pb-test.h"
#include "smtp-session-int.h"

#include <stdlib.h>

static void pick(const char *sender, const char *want, bool want_own)
{
	static const char by_domain[] = "sales.example=Sales team\\nACME|Other.ORG=Cheers|"
					"broken|empty.example=";
	bool own = !want_own;
	char *got = smtp_signature_text("Global\\nACME", by_domain, sender, &own);
	CHECK_STR(got, want);
	CHECK(own == want_own);
	free(got);
}

static void test_pick(void)
{
	pick("ann@sales.example", "Sales team\nACME", true);
	pick("bob@other.org", "Cheers", true);            /* any case */
	pick("eve@sub.sales.example", "Global\nACME", false); /* the whole domain only */
	pick("joe@example", "Global\nACME", false);
	pick("broken", "Global\nACME", false);              /* no domain */
	pick("", "Global\nACME", false);                    /* the null sender */
	pick("x@empty.example", "", true);                  /* its own: none */
	bool own = true;
	char *t = smtp_signature_text("G", "", "a@sales.example", &own);
	CHECK_STR(t, "G");
	CHECK(!own);
	free(t);
}

static const struct pb_test_case cases[] = {
	{ "pick", test_pick },
};

PB_TEST_MAIN(cases)
