/*
 * mime-dump-tool.c: prints the golden rendering (mime-dump.h) of each .eml file named on
 * the command line, to draft a .ref file that is then reviewed by hand.
 * OWNS nothing. THREAD: main only.
 */
#include "mime-dump.h"
#include "mime-parser.h"

#include <stdio.h>
#include <stdlib.h>

static int dump_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct pb_buf data, out;
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	pb_buf_init(&data);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pb_buf_append(&data, chunk, n);
	fclose(f);
	struct mime_message *msg = mime_message_parse(data.data != NULL ? data.data : "", data.len,
						      NULL);
	pb_buf_init(&out);
	mime_dump(msg, data.data, data.len, &out);
	fwrite(out.data, 1, out.len, stdout);
	mime_message_free(&msg);
	pb_buf_deinit(&out);
	pb_buf_deinit(&data);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++)
		ret |= dump_file(argv[i]);
	return ret;
}
