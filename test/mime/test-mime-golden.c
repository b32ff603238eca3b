/*
 * test-mime-golden.c: every test/data/mime/NAME.eml against NAME.ref (lines starting with
 * '#' are comments): parsed in one feed, byte at a time, in pseudo-random chunks, and
 * through the structure encoding; all must give the ref text. The event stream is checked
 * too: header events rebuild the fields, body events of a leaf are its body octets.
 * OWNS nothing. THREAD: main only.
 */
#include "mime-dump.h"
#include "mime-parser.h"
#include "mime-structure.h"
#include "pb-test.h"

#include <dirent.h>

struct golden_file {
	char *name;
	struct pb_buf eml, ref;
};

static struct golden_file golden[256];
static size_t n_golden;

static int read_file(const char *path, struct pb_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pb_buf_append(out, chunk, n);
	fclose(f);
	pb_buf_append(out, "", 0);
	return 0;
}

/* The ref text without its comment lines. */
static void strip_comments(struct pb_buf *ref)
{
	struct pb_buf out;
	const char *s = ref->data, *end = ref->data + ref->len;

	pb_buf_init(&out);
	pb_buf_append(&out, "", 0);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *next = nl == NULL ? end : nl + 1;
		if (*s != '#')
			pb_buf_append(&out, s, (size_t)(next - s));
		s = next;
	}
	pb_buf_deinit(ref);
	*ref = out;
}

static void load_golden(void)
{
	const char *src = getenv("PB_SOURCE_DIR");
	char dir[4096];
	struct dirent *de;
	DIR *d;

	if (src != NULL)
		snprintf(dir, sizeof(dir), "%s/test/data/mime", src);
	else
		snprintf(dir, sizeof(dir), "%s", MIME_TEST_DATA_DIR);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && n_golden < PB_N_ELEMENTS(golden)) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		struct golden_file *g = &golden[n_golden];
		memset(g, 0, sizeof(*g));
		g->name = xstrndup(de->d_name, len - 4);
		char *eml = xasprintf("%s/%s", dir, de->d_name);
		int rc = read_file(eml, &g->eml);
		free(eml);
		if (rc < 0)
			continue;
		char *ref = xasprintf("%s/%s.ref", dir, g->name);
		rc = read_file(ref, &g->ref);
		if (rc < 0)
			fprintf(stderr, "  missing %s\n", ref);
		free(ref);
		if (rc < 0) {
			atomic_fetch_add(&pb_test_failures, 1);
			continue;
		}
		strip_comments(&g->ref);
		n_golden++;
	}
	closedir(d);
}

static bool check_dump(const struct golden_file *g, const struct mime_message *msg, const char *how)
{
	struct pb_buf out;
	bool same;

	pb_buf_init(&out);
	mime_dump(msg, g->eml.data, g->eml.len, &out);
	same = out.len == g->ref.len && memcmp(out.data, g->ref.data, out.len) == 0;
	if (!same) {
		fprintf(stderr, "  FAIL %s (%s): got\n%s", g->name, how, out.data);
		atomic_fetch_add(&pb_test_failures, 1);
	}
	pb_buf_deinit(&out);
	return same;
}

static void test_golden_present(void)
{
	load_golden();
	CHECK(n_golden >= 20);
}

static void test_golden_one_feed(void)
{
	for (size_t i = 0; i < n_golden; i++) {
		struct mime_message *msg = mime_message_parse(golden[i].eml.data, golden[i].eml.len, NULL);
		check_dump(&golden[i], msg, "one feed");
		mime_message_free(&msg);
	}
}

/* Body octets seen per part, to compare with the part's body range. */
struct body_seen {
	const struct mime_part *part;
	struct pb_buf data;
};

/* Feeds in chunks from `sizes` (cycled), checking the events, and returns the message. */
static struct mime_message *parse_chunked(const struct golden_file *g, const size_t *sizes,
					  size_t n_sizes, struct body_seen *seen, size_t *n_seen)
{
	struct mime_parser *p = mime_parser_create(NULL);
	struct mime_event ev;
	size_t pos = 0, k = 0;
	int ends = 0;

	*n_seen = 0;
	for (;;) {
		while (mime_parser_next(p, &ev) > 0) {
			if (ev.type == MIME_EVENT_END)
				ends++;
			if (ev.type == MIME_EVENT_BODY && *n_seen < 512) {
				if (*n_seen == 0 || seen[*n_seen - 1].part != ev.part) {
					seen[*n_seen].part = ev.part;
					pb_buf_init(&seen[*n_seen].data);
					(*n_seen)++;
				}
				pb_buf_append(&seen[*n_seen - 1].data, ev.data, ev.data_len);
			}
		}
		if (pos == g->eml.len)
			break;
		size_t n = sizes[k++ % n_sizes];
		n = n > g->eml.len - pos ? g->eml.len - pos : n;
		mime_parser_feed(p, g->eml.data + pos, n);
		pos += n;
		if (pos == g->eml.len)
			mime_parser_finish(p);
	}
	if (g->eml.len == 0) {
		mime_parser_finish(p);
		while (mime_parser_next(p, &ev) > 0)
			ends += ev.type == MIME_EVENT_END;
	}
	CHECK_INT(ends, 1);
	struct mime_message *msg = mime_parser_take_message(p);
	mime_parser_destroy(&p);
	return msg;
}

static void check_bodies(const struct golden_file *g, struct body_seen *seen, size_t n_seen)
{
	for (size_t i = 0; i < n_seen; i++) {
		const struct mime_part *part = seen[i].part;
		uint64_t off = mime_part_body_offset(part);
		if ((part->flags & MIME_PART_FLAG_MULTIPART) != 0) {
			/* preamble and epilogue: not the whole body */
			pb_buf_deinit(&seen[i].data);
			continue;
		}
		bool same = seen[i].data.len == part->body.physical &&
			    memcmp(seen[i].data.data, g->eml.data + off, seen[i].data.len) == 0;
		if (!same) {
			fprintf(stderr, "  FAIL %s: body events of part at %llu differ\n", g->name,
				(unsigned long long)off);
			atomic_fetch_add(&pb_test_failures, 1);
		}
		pb_buf_deinit(&seen[i].data);
	}
}

static void run_chunked(const size_t *sizes, size_t n_sizes, const char *how)
{
	static struct body_seen seen[512];
	size_t n_seen;

	for (size_t i = 0; i < n_golden; i++) {
		struct mime_message *msg = parse_chunked(&golden[i], sizes, n_sizes, seen, &n_seen);
		REQUIRE(msg != NULL);
		check_dump(&golden[i], msg, how);
		check_bodies(&golden[i], seen, n_seen);
		mime_message_free(&msg);
	}
}

static void test_golden_byte_at_a_time(void)
{
	static const size_t one[] = { 1 };
	run_chunked(one, 1, "byte at a time");
}

static void test_golden_odd_chunks(void)
{
	static const size_t sizes[] = { 7, 1, 3, 64, 2, 13, 5, 200, 1, 1, 31 };
	run_chunked(sizes, PB_N_ELEMENTS(sizes), "odd chunks");
}

static void test_golden_structure_roundtrip(void)
{
	for (size_t i = 0; i < n_golden; i++) {
		struct mime_message *msg = mime_message_parse(golden[i].eml.data, golden[i].eml.len, NULL);
		struct mime_message *back = NULL;
		struct pb_buf enc, enc2;
		const char *error = NULL;

		pb_buf_init(&enc);
		pb_buf_init(&enc2);
		mime_structure_encode(msg, &enc);
		CHECK_INT(mime_structure_decode(enc.data, enc.len, &back, &error), 0);
		if (back != NULL) {
			check_dump(&golden[i], back, "structure round trip");
			mime_structure_encode(back, &enc2);
			CHECK(enc.len == enc2.len && memcmp(enc.data, enc2.data, enc.len) == 0);
		}
		mime_message_free(&back);
		mime_message_free(&msg);
		pb_buf_deinit(&enc);
		pb_buf_deinit(&enc2);
	}
}

static void test_golden_cleanup(void)
{
	for (size_t i = 0; i < n_golden; i++) {
		free(golden[i].name);
		pb_buf_deinit(&golden[i].eml);
		pb_buf_deinit(&golden[i].ref);
	}
	n_golden = 0;
}

static const struct pb_test_case tests[] = {
	{ "golden_present", test_golden_present },
	{ "golden_one_feed", test_golden_one_feed },
	{ "golden_byte_at_a_time", test_golden_byte_at_a_time },
	{ "golden_odd_chunks", test_golden_odd_chunks },
	{ "golden_structure_roundtrip", test_golden_structure_roundtrip },
	{ "golden_cleanup", test_golden_cleanup },
};

PB_TEST_MAIN(tests)
