/*
 * imap-parser-private.h: what the IMAP parser's files share — the tokenizer that turns a
 * line into arguments, the cursor the typed layers read arguments with, and the command
 * table's row type. Not for the session: it includes imap-parser.h only.
 * OWNS nothing. THREAD: the parser's.
 */
#ifndef IMAP_PARSER_PRIVATE_H
#define IMAP_PARSER_PRIVATE_H

#include "imap-arena.h"
#include "imap-parser.h"

/* ---- Tokenizer (imap-args.c) --------------------------------------------------------------- */

struct imap_arg_vec {
	struct imap_arg *v;
	unsigned n, cap;
};

/* The arguments of the command being read: stack[0] is the top level, stack[depth] the list
 * being filled. Lists may stay open across a literal. */
struct imap_tokenizer {
	struct imap_arg_vec stack[IMAP_DEPTH_MAX + 1];
	unsigned depth;
	unsigned total; /* arguments so far, nested ones included */
};

/* A literal announcement at the end of a line: {n}, {n+}, {n-}, ~{n}... */
struct imap_lit_announce {
	uint64_t size;
	bool sync, minus, binary;
};

void imap_tokenizer_reset(struct imap_tokenizer *t);
/* Reads the arguments in s[0..len) (NUL-terminated, no CR/LF/NUL, checked). Returns 0 when
 * the line is done, 1 if it ends in a literal announcement (*lit_r), -1 with *error_r. */
int imap_tokenize(struct imap_tokenizer *t, struct imap_arena *a, const char *s, size_t len,
		  struct imap_lit_announce *lit_r, const char **error_r);
/* Appends an argument at the current level. Returns 0, or -1 with *error_r (count or
 * command limit). */
int imap_tokenizer_add(struct imap_tokenizer *t, struct imap_arena *a,
		       const struct imap_arg *arg, const char **error_r);
/* Whether s ends in a well-formed literal announcement; fills *lit_r. */
bool imap_line_ends_in_literal(const char *s, size_t len, struct imap_lit_announce *lit_r);

/* ---- Reading arguments (imap-args.c) ------------------------------------------------------ */

struct imap_cursor {
	const struct imap_arg *a;
	unsigned n, i;
	struct imap_arena *arena;
	const char *error; /* the first failure's text */
};

void imap_cursor_init(struct imap_cursor *c, const struct imap_arg *args, unsigned n,
		      struct imap_arena *arena);
/* The next argument, or NULL at the end (not taken). */
const struct imap_arg *imap_cursor_peek(const struct imap_cursor *c);
bool imap_cursor_end(const struct imap_cursor *c);
/* Each takes one argument of the kind named and returns 0, or sets c->error (if not yet
 * set) to `what` and returns -1. */
int imap_take_astring(struct imap_cursor *c, const char *what, const char **s_r);
int imap_take_atom(struct imap_cursor *c, const char *what, const char **s_r);
int imap_take_string(struct imap_cursor *c, const char *what, const char **s_r); /* quoted or literal */
int imap_take_nstring(struct imap_cursor *c, const char *what, const char **s_r); /* NIL: NULL */
int imap_take_list(struct imap_cursor *c, const char *what, struct imap_cursor *sub_r);
int imap_take_number(struct imap_cursor *c, const char *what, uint64_t max, uint64_t *n_r);
int imap_take_seqset(struct imap_cursor *c, const char *what, struct imap_seqset *set_r);
/* A list of flags ("\Seen" $Junk): atoms. */
int imap_take_flags(struct imap_cursor *c, const char *what, const char *const **flags_r,
		    unsigned *n_r);
/* Sets c->error (if unset) and returns -1. */
int imap_fail(struct imap_cursor *c, const char *what);
/* Returns 0 if the cursor is at its end, else fails with "unexpected arguments"-like text. */
int imap_take_end(struct imap_cursor *c, const char *what);
/* Allocates n elements of size from the command arena; NULL (and c->error) past the limit. */
void *imap_cursor_alloc(struct imap_cursor *c, size_t n, size_t size);

/* Decimal digits only, 0..max. */
int imap_parse_number(const char *s, uint64_t max, uint64_t *n_r);
/* Case-insensitive equality with an ASCII keyword. */
bool imap_eq(const char *s, const char *keyword);

/* ---- Typed layers -------------------------------------------------------------------------- */

/* imap-seqset.c: s is a sequence-set or "$". */
int imap_seqset_parse(const char *s, struct imap_arena *a, struct imap_seqset *set_r,
		      const char **error_r);
/* imap-date.c */
int imap_date_parse(const char *s, struct imap_date *date_r);	  /* 1-Feb-1994 */
int imap_datetime_parse(const char *s, struct imap_date *date_r); /* APPEND's */

/* A command's typed check: reads c (the top-level arguments) into cmd->u. Returns 0 or -1
 * with c->error. */
typedef int imap_cmd_parse_fn(struct imap_cursor *c, struct imap_cmd *cmd);

imap_cmd_parse_fn imap_parse_fetch, imap_parse_store, imap_parse_search, imap_parse_sort,
	imap_parse_thread, imap_parse_list, imap_parse_lsub, imap_parse_status,
	imap_parse_append, imap_parse_select;
/* APPEND at a streamed literal: the mailbox and the message being announced. */
int imap_parse_append_head(struct imap_cursor *c, struct imap_cmd *cmd);
/* SEARCH keys to the end of c, into an AND root (imap-search-parse.c). */
int imap_parse_search_keys(struct imap_cursor *c, struct imap_search_key *root_r);

enum {
	IMAP_CMDF_UID = 1 << 0,	   /* has a UID form */
	IMAP_CMDF_STREAM = 1 << 1, /* top-level literals after the first argument are streamed */
};

struct imap_cmd_def {
	const char *name;
	enum imap_cmd_kind kind;
	unsigned flags;
	imap_cmd_parse_fn *parse;
};

/* imap-cmd-table.c: the row for an uppercased name, NULL if unknown. */
const struct imap_cmd_def *imap_cmd_def_find(const char *name);

#endif
