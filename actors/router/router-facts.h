/*
 * router-facts.h: the facts of one message for the message rules (rules.h struct
 * rules_facts), built from the first octets of the message as stored: its header (Subject,
 * To, Cc and From decoded to UTF-8 with the mime library, Date) and the body's text as a reader
 * sees it (its text part, text/plain preferred, quoted-printable or base64 undone, the charset
 * converted to UTF-8, HTML stripped to text; decoded from the octets read, only when a Body
 * condition asks), its whole size and where it came
 * from. Used by the router actor (each entry it resolves) and the CLI's `rules dry-run` (a
 * message file), so both test the same facts. Pure: the caller reads the octets. THREAD:
 * any. OWNS: the struct router_message it fills.
 */
#ifndef ROUTER_FACTS_H
#define ROUTER_FACTS_H

#include "rules.h"

#include <stddef.h>
#include <stdint.h>

/* How many octets of a message the router reads for its facts: the header and a body
 * excerpt (Body conditions see no more than this). */
#define ROUTER_FACTS_READ_MAX (256u * 1024)

struct router_message {
	struct rules_facts facts; /* points into the fields below */
	char *subject;            /* decoded, NULL absent */
	struct rules_address_list to, cc, from;
	char *raw;                /* the octets read, as given */
	size_t raw_len;
	char *body;               /* the decoded text, NUL-terminated; NULL until a Body test */
	size_t body_len;
};

/* The rules' message type of an entry's origin (enum pb_origin): Local, System or Incoming
 * (SMTP from outside and collected mail). */
enum rules_msg_type router_message_type(uint8_t origin);
/* Builds *m_r from data (the message's first len octets, len <= ROUTER_FACTS_READ_MAX is the
 * caller's bound), size (the whole message), type, and now (UTC seconds and the local zone
 * offset). Never fails: what is absent or malformed is absent. Free with router_message_free. */
void router_message_build(const void *data, size_t len, uint64_t size, enum rules_msg_type type,
			  int64_t now_s, int now_offset_min, struct router_message *m_r);
void router_message_free(struct router_message *m);
/* Parses an RFC 5322 date ("[Day,] DD Mon YYYY HH:MM[:SS] +HHMM", obsolete zones as +0000).
 * 0 with *utc_s_r and *offset_min_r, or -1. */
int router_date_parse(const char *value, int64_t *utc_s_r, int *offset_min_r);

#endif
