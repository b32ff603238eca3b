/*
 * web-mail-stream.c: a webmail message with uploaded attachments, produced a slice at a time
 * (web-mail.h): the head built in memory (header, text, inline attachments: at most
 * WEB_MAIL_SEND_MAX), then each upload's part, its file read WEB_STREAM_READ octets at a time
 * and base64-encoded as it goes, then the closing boundary. Never the whole message in memory:
 * a slice is at most WEB_MAIL_STREAM_SLICE octets. Also the MIME pieces web-mail-send.c shares.
 * OWNS: struct web_mail_stream (its head, its copies of the uploads, the open file).
 * THREAD: the web hub's.
 */
#include "web-mail.h"

#include "pb-alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Octets of a file read per step: whole base64 lines (57 octets each), 78 KiB encoded. */
#define WEB_STREAM_READ (57u * 1024)

struct stream_part {
	char *path, *name, *type;
	uint64_t size;
};

struct web_mail_stream {
	struct pb_buf head;
	char *boundary;
	struct stream_part *parts;
	size_t n;
	uint64_t size;
	/* where the next slice starts */
	size_t head_off;
	size_t part;      /* the part under way (n: the closing boundary) */
	bool part_begun;  /* its head was written */
	uint64_t file_off;
	int fd;
	bool done;
	unsigned char *raw; /* WEB_STREAM_READ octets */
};

void web_mail_base64_lines(struct pb_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t off = 0; off < len; off += 57) {
		unsigned char line[80];
		size_t n = len - off < 57 ? len - off : 57;
		int w = EVP_EncodeBlock(line, p + off, (int)n);
		pb_buf_append(out, line, (size_t)w);
		pb_buf_append_str(out, "\r\n");
	}
}

uint64_t web_mail_base64_size(uint64_t len)
{
	uint64_t rest = len % 57;

	return len / 57 * 78 + (rest != 0 ? (rest + 2) / 3 * 4 + 2 : 0);
}

void web_mail_part_head(struct pb_buf *out, const char *boundary, const char *type,
			const char *name)
{
	pb_buf_printf(out, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
			   "Content-Disposition: attachment; filename*=utf-8''",
		      boundary, type != NULL ? type : "application/octet-stream");
	web_mail_ext_value(out, name != NULL && name[0] != '\0' ? name : "file");
	pb_buf_append_str(out, "\r\n\r\n");
}

/* The closing boundary's text. */
static void closing(struct pb_buf *out, const char *boundary)
{
	pb_buf_printf(out, "--%s--\r\n", boundary);
}

struct web_mail_stream *web_mail_stream_new(struct pb_buf *head, const char *boundary,
					    const struct web_upload *const *ups, size_t n)
{
	struct web_mail_stream *s = xcalloc(1, sizeof(*s));
	struct pb_buf tmp;

	s->head = *head;
	pb_buf_init(head);
	s->boundary = xstrdup(boundary);
	s->parts = xcalloc(n > 0 ? n : 1, sizeof(*s->parts));
	s->n = n;
	s->fd = -1;
	s->raw = xmalloc(WEB_STREAM_READ);
	s->size = s->head.len;
	pb_buf_init(&tmp);
	for (size_t i = 0; i < n; i++) {
		s->parts[i] = (struct stream_part){ xstrdup(ups[i]->path), xstrdup(ups[i]->name),
						    xstrdup(ups[i]->type), ups[i]->size };
		pb_buf_reset(&tmp);
		web_mail_part_head(&tmp, boundary, ups[i]->type, ups[i]->name);
		s->size += tmp.len + web_mail_base64_size(ups[i]->size);
	}
	pb_buf_reset(&tmp);
	closing(&tmp, boundary);
	s->size += tmp.len;
	pb_buf_deinit(&tmp);
	return s;
}

void web_mail_stream_free(struct web_mail_stream **sp)
{
	struct web_mail_stream *s = *sp;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->n; i++) {
		free(s->parts[i].path);
		free(s->parts[i].name);
		free(s->parts[i].type);
	}
	free(s->parts);
	free(s->boundary);
	free(s->raw);
	pb_buf_deinit(&s->head);
	free(s);
	*sp = NULL;
}

uint64_t web_mail_stream_size(const struct web_mail_stream *s)
{
	return s->size;
}

void web_mail_stream_rewind(struct web_mail_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->head_off = 0;
	s->part = 0;
	s->part_begun = false;
	s->file_off = 0;
	s->done = false;
}

/* Appends the next read of the part under way, encoded; at its end moves to the next part.
 * 0 / -1 with *error_r. */
static int part_step(struct web_mail_stream *s, struct pb_buf *out, const char **error_r)
{
	struct stream_part *p = &s->parts[s->part];

	if (!s->part_begun) {
		web_mail_part_head(out, s->boundary, p->type, p->name);
		s->part_begun = true;
		s->file_off = 0;
		s->fd = open(p->path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return *error_r = "an uploaded attachment is gone (expired?)", -1;
	}
	uint64_t left = p->size - s->file_off;
	size_t want = left < WEB_STREAM_READ ? (size_t)left : WEB_STREAM_READ;
	ssize_t r = want > 0 ? pread(s->fd, s->raw, want, (off_t)s->file_off) : 0;
	if (r < 0 || (size_t)r != want)
		return *error_r = "an uploaded attachment could not be read", -1;
	web_mail_base64_lines(out, s->raw, want);
	s->file_off += want;
	if (s->file_off == p->size) {
		close(s->fd);
		s->fd = -1;
		s->part++;
		s->part_begun = false;
	}
	return 0;
}

int web_mail_stream_next(struct web_mail_stream *s, struct pb_buf *out, const char **error_r)
{
	/* a step adds at most 64 KiB of head or one read's encoding (78 KiB) and a part head */
	const size_t room = WEB_MAIL_STREAM_SLICE - 80u * 1024 - 2048;

	pb_buf_reset(out);
	while (!s->done && out->len < room) {
		if (s->head_off < s->head.len) {
			size_t n = s->head.len - s->head_off;
			n = n < 64u * 1024 ? n : 64u * 1024;
			pb_buf_append(out, s->head.data + s->head_off, n);
			s->head_off += n;
		} else if (s->part < s->n) {
			if (part_step(s, out, error_r) < 0)
				return -1;
		} else {
			closing(out, s->boundary);
			s->done = true;
		}
	}
	return 0;
}
