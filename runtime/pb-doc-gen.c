/*
 * pb-doc-gen.c: print or check a generated document (see pb-doc-gen.h).
 * OWNS: nothing. THREAD: main only.
 */
#include "pb-doc-gen.h"

#include "pb-buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path)
{
	struct pb_buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	pb_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pb_buf_append(&b, chunk, n);
	fclose(f);
	return pb_buf_steal(&b, NULL);
}

/* 0 if path holds exactly want; else says where it differs and how to regenerate it. */
static int check(const char *self, const char *path, const char *want, const char *source)
{
	char *have = read_all(path);
	int line = 1;

	if (have != NULL && strcmp(have, want) == 0) {
		free(have);
		return 0;
	}
	for (size_t i = 0; have != NULL && have[i] == want[i] && want[i] != '\0'; i++)
		line += want[i] == '\n';
	fprintf(stderr, "%s: %s (first difference at line %d)\n", path,
		have == NULL ? "cannot be read" : "differs from", line);
	fprintf(stderr, "  %s\nregenerate it: %s > %s\n", source, self, path);
	free(have);
	return 1;
}

int pb_doc_gen_main(int argc, char **argv, char *doc, const char *source)
{
	int rc = 0;

	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		rc = check(argv[0], argv[2], doc, source);
	} else if (argc == 1) {
		fputs(doc, stdout);
	} else {
		fprintf(stderr, "usage: %s [--check FILE]\n", argv[0]);
		rc = 2;
	}
	free(doc);
	return rc;
}
