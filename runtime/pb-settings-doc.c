/*
 * pb-settings-doc.c: prints the settings reference (markdown) generated from settings.def.
 *   pb-settings-doc > docs/settings.md        regenerate the checked-in reference
 *   pb-settings-doc --check docs/settings.md  exit 1, naming the first differing line and the
 *                                            command above, when the file is stale (a ctest)
 * OWNS: nothing. THREAD: main only.
 */
#include "pb-buf.h"
#include "pb-doc-gen.h"
#include "pb-settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One row of a document's table: key, default, what is allowed, meaning. */
static void doc_row(struct pb_buf *b, const struct pb_setting_desc *d)
{
	pb_buf_printf(b, "| `%s` | ", d->key);
	if (!pb_setting_is_string(d)) {
		pb_buf_printf(b, "%" PRIu64 " | integer, %" PRIu64 "–%" PRIu64, d->def, d->min, d->max);
	} else if (d->type == PB_SETTING_CHOICE) {
		pb_buf_printf(b, "`%s` | one of: %s", d->def_str, d->choices);
	} else {
		if (d->def_str[0] != '\0')
			pb_buf_printf(b, "`%s` | ", d->def_str);
		else
			pb_buf_append_str(b, "\"\" (empty) | ");
		pb_buf_printf(b, "%s, at most %" PRIu64 " bytes",
			      d->type == PB_SETTING_CIDR_LIST ? "IP addresses and CIDR prefixes"
							      : "string",
			      d->max);
	}
	pb_buf_printf(b, " | %s |\n", d->help);
}

static void doc_section(struct pb_buf *b, const struct pb_settings_doc_desc *doc)
{
	pb_buf_printf(b, "\n## `%s`\n\n%s\n\n", doc->name, doc->help);
	pb_buf_append_str(b, "| key | default | allowed | meaning |\n| --- | --- | --- | --- |\n");
	for (size_t i = 0; i < pb_n_settings; i++) {
		const struct pb_setting_desc *d = &pb_setting_descs[i];
		if (strcmp(d->doc, doc->name) == 0)
			doc_row(b, d);
	}
}

static char *markdown(void)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_append_str(&b,
		"# Settings reference\n\n"
		"<!-- Generated from runtime/settings.def by pb-settings-doc; do not edit by hand.\n"
		"     Regenerate: build/runtime/pb-settings-doc > docs/settings.md -->\n\n"
		"Live settings are JSON documents in the store, one per subject below. Changes take\n"
		"effect within seconds, without a restart, and are written to the security log.\n\n"
		"```sh\n"
		"build/pillarbox setting show smtp            # every key's value in effect\n"
		"build/pillarbox setting set smtp '{\"max_recipients\": 200}'\n"
		"build/pillarbox setting set smtp '{\"max_recipients\": null}'   # back to the default\n"
		"```\n\n"
		"`setting set` changes only the keys it is given; `null` returns a key to its default.\n"
		"It refuses an unknown document, an unknown key, a value of the wrong type, a value out\n"
		"of range, a string too long or with control characters, and a list of networks that\n"
		"does not parse, naming the key and what is allowed\n"
		"(`smtp.max_recipients: expected an integer from 1 to 10000`,\n"
		"`limits.trusted_networks: '10.0.0.0/33': prefix longer than 32`); then nothing changes.\n");
	pb_buf_printf(&b,
		"\nA list of networks holds at most %d IPv4 and IPv6 addresses and CIDR prefixes,\n"
		"separated by spaces or commas; a bare address is a /32 or /128, and a prefix with host\n"
		"bits set (`10.1.2.3/8`) is refused. A client connecting over IPv6 with an IPv4-mapped\n"
		"address (`::ffff:10.1.2.3`) is matched as the IPv4 address.\n", PB_CIDR_MAX_ENTRIES);
	for (size_t i = 0; i < pb_n_settings_docs; i++)
		doc_section(&b, &pb_settings_docs[i]);
	return pb_buf_steal(&b, NULL);
}

int main(int argc, char **argv)
{
	return pb_doc_gen_main(argc, argv, markdown(), "runtime/settings.def");
}
