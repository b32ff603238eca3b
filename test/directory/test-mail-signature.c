/*
 * test-mail-signature.c: which signature text a sender gets (mail_signature_text): its
 * domain's entry of signature.domain_texts in any case, else the global text; escapes undone.
 * And the whole choice (mail_signature_choose): the user's own signature (outgoing or
 * internal) before the domain's before the global one, the disclaimer after any of them, and
 * what the HTML part of a message then gets.
 */
#include "directory-client.h"
#include "mail-signature.h"
#include "mime-signature.h"
#include "pb-settings.h"
#include "pb-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pick(const char *sender, const char *want, bool want_own)
{
	static const char by_domain[] = "sales.example=Sales team\\nACME|Other.ORG=Cheers|"
					"broken|empty.example=";
	bool own = !want_own;
	char *got = mail_signature_text("Global\\nACME", by_domain, sender, &own);
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
	char *t = mail_signature_text("G", "", "a@sales.example", &own);
	CHECK_STR(t, "G");
	CHECK(!own);
	free(t);
}

/* signature.* on: global text and HTML, a domain's text, users' own signatures used. */
static void settings(struct pb_settings_signature *set)
{
	struct pb_settings all;

	pb_settings_defaults(&all);
	*set = all.signature;
	set->enabled = 1;
	snprintf(set->text, sizeof(set->text), "Global");
	snprintf(set->html, sizeof(set->html), "<b>Global</b>");
	snprintf(set->domain_texts, sizeof(set->domain_texts), "sales.example=Sales team");
}

/* Chooses and checks text, html (NULL: none), disclaimer and source; want_text NULL: none. */
static void choose(const struct pb_settings_signature *set,
		   const struct directory_user_signature *user, const char *sender, bool internal,
		   const char *want_text, const char *want_html, const char *want_source)
{
	struct mail_signature_pick pick;
	bool got = mail_signature_choose(set, user, sender, internal, &pick);

	CHECK(got == (want_text != NULL));
	if (!got || want_text == NULL) {
		CHECK(pick.text == NULL && pick.html == NULL && pick.disclaimer == NULL);
		return;
	}
	CHECK_STR(pick.text, want_text);
	if (want_html == NULL)
		CHECK(pick.html == NULL);
	else
		CHECK_STR(pick.html, want_html);
	if (want_source == NULL)
		CHECK(pick.source == NULL);
	else
		CHECK_STR(pick.source, want_source);
	mail_signature_pick_free(&pick);
}

static void test_choose_order(void)
{
	struct pb_settings_signature set;
	struct directory_user_signature ann = { "Ann\\nACME", NULL, "Ann (internal)",
						"<i>Ann</i>" };
	struct directory_user_signature none = { "", "", "", "" };

	settings(&set);
	/* user > domain > global, for mail with a remote recipient */
	choose(&set, &ann, "ann@sales.example", false, "Ann\nACME", NULL, "user");
	choose(&set, &none, "ann@sales.example", false, "Sales team", NULL, "domain");
	choose(&set, NULL, "bob@other.example", false, "Global", "<b>Global</b>", "server");
	/* internal mail: the user's internal pair; the server's texts only with internal */
	choose(&set, &ann, "ann@sales.example", true, "Ann (internal)", "<i>Ann</i>", "user");
	choose(&set, &none, "ann@sales.example", true, NULL, NULL, NULL);
	set.internal = 1;
	choose(&set, &none, "ann@sales.example", true, "Sales team", NULL, "domain");
	/* the user's own signature needs neither signature.enabled nor a listed domain */
	set.enabled = 0;
	choose(&set, &ann, "ann@sales.example", false, "Ann\nACME", NULL, "user");
	choose(&set, &none, "ann@sales.example", false, NULL, NULL, NULL);
	set.enabled = 1;
	snprintf(set.domains, sizeof(set.domains), "other.example");
	choose(&set, &ann, "ann@sales.example", false, "Ann\nACME", NULL, "user");
	choose(&set, NULL, "ann@sales.example", false, NULL, NULL, NULL);
	/* signature.users 0: users' own signatures are not used */
	set.domains[0] = '\0';
	set.users = 0;
	choose(&set, &ann, "bob@other.example", false, "Global", "<b>Global</b>", "server");
}

static void test_choose_disclaimer(void)
{
	struct pb_settings_signature set;
	struct directory_user_signature ann = { "Ann", "<i>Ann</i>", NULL, NULL };
	struct mail_signature_pick pick;

	settings(&set);
	snprintf(set.disclaimer, sizeof(set.disclaimer), "Confidential\\nACME & Co");
	REQUIRE(mail_signature_choose(&set, &ann, "ann@x.example", false, &pick));
	CHECK_STR(pick.text, "Ann");
	CHECK_STR(pick.disclaimer, "Confidential\nACME & Co");
	mail_signature_pick_free(&pick);
	/* only the disclaimer: no text of the server's, none of the user's */
	set.text[0] = '\0';
	REQUIRE(mail_signature_choose(&set, NULL, "bob@x.example", false, &pick));
	CHECK_STR(pick.text, "");
	CHECK(pick.disclaimer != NULL);
	mail_signature_pick_free(&pick);
	/* the disclaimer follows the server's conditions: internal mail without internal, none */
	choose(&set, NULL, "bob@x.example", true, NULL, NULL, NULL);
	set.enabled = 0;
	choose(&set, &ann, "ann@x.example", false, "Ann", "<i>Ann</i>", "user");
}

/* What the parts of a multipart/alternative message get: the user's text then the
 * disclaimer in text/plain; its HTML then the disclaimer escaped in text/html. */
static void test_choose_html_part(void)
{
	static const char msg[] =
		"From: ann@x.example\r\nTo: bob@y.example\r\nSubject: hi\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
		"<html><body><p>Hello</p></body></html>\r\n--b--\r\n";
	struct pb_settings_signature set;
	struct directory_user_signature ann = { "Ann\\nSales", "<i>Ann</i>", NULL, NULL };
	struct mail_signature_pick pick;
	struct pb_buf out;
	const char *why = NULL;

	settings(&set);
	snprintf(set.disclaimer, sizeof(set.disclaimer), "Private & confidential");
	REQUIRE(mail_signature_choose(&set, &ann, "ann@x.example", false, &pick));
	struct mime_signature sig = { pick.text, pick.html, pick.disclaimer };
	CHECK_INT(mime_signature_insert(msg, sizeof(msg) - 1, &sig, &out, &why), 2);
	pb_buf_append_c(&out, '\0');
	CHECK(strstr(out.data, "Hello\r\n-- \r\nAnn\r\nSales\r\n\r\nPrivate & confidential") != NULL);
	CHECK(strstr(out.data, "<div class=\"signature\">-- <br><i>Ann</i><br><br>"
			       "Private &amp; confidential</div></body>") != NULL);
	CHECK(strstr(out.data, "Global") == NULL);
	pb_buf_deinit(&out);
	mail_signature_pick_free(&pick);
}

static const struct pb_test_case cases[] = {
	{ "pick", test_pick },
	{ "choose_order", test_choose_order },
	{ "choose_disclaimer", test_choose_disclaimer },
	{ "choose_html_part", test_choose_html_part },
};

PB_TEST_MAIN(cases)
