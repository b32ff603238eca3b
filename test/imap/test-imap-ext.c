/*
 * test-imap-ext.c: the IMAP extensions of issue 11 through the fake transport — COMPRESS
 * DEFLATE (the OK in clear, then both ways compressed, with zlib as the client; a second one
 * NO [COMPRESSIONACTIVE]; one with commands pipelined after it refused), ENABLE UTF8=ACCEPT,
 * ID, and QUOTA (no root: GETQUOTAROOT asks whether the mailbox exists, GETQUOTA and SETQUOTA
 * refused).
 */
#include "gw-fake.h"
#include "imap-session.h"
#include "lockout-client.h"
#include "pb-test.h"

#include <string.h>
#include <zlib.h>

static void login(struct gw_fake *f, struct imap_server *srv)
{
	struct pb_msg rep;

	memset(srv, 0, sizeof(*srv));
	snprintf(srv->hostname, sizeof(srv->hostname), "imap.test");
	srv->allow_plaintext_auth = true;
	srv->autologout_s = 1800;
	gw_fake_open(f, &imap_proto, srv);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	char *greeting = gw_fake_output(f);
	CHECK(strstr(greeting, " COMPRESS=DEFLATE") != NULL);
	CHECK(strstr(greeting, " QUOTA QUOTA=RES-STORAGE") != NULL);
	CHECK(strstr(greeting, " UTF8=ACCEPT") != NULL);
	free(greeting);
	CHECK(gw_fake_say(f, "c COMPRESS DEFLATE\r\n", "c BAD Command not permitted before login"));
	gw_fake_input(f, "l LOGIN bob pw\r\n");
	struct pb_msg *q = gw_fake_sent(f, f->n_sent - 1);
	CHECK(q != NULL && q->type == MSG_AUTH_USER_VERIFY_REQ);
	pb_msg_init(&rep, MSG_AUTH_USER_VERIFY_REP);
	rep.u.auth_user_verify_rep.user_id = 5;
	rep.u.auth_user_verify_rep.user = xstrdup("bob");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(gw_fake_expect(f, "l OK [CAPABILITY IMAP4rev1"));
}

/* The client's side of the compressed stream. */
struct peer {
	z_stream out, in;
};

static void peer_send(struct gw_fake *f, struct peer *p, const char *text)
{
	char buf[4096];

	p->out.next_in = (Bytef *)text;
	p->out.avail_in = (uInt)strlen(text);
	p->out.next_out = (Bytef *)buf;
	p->out.avail_out = sizeof(buf);
	CHECK_INT(deflate(&p->out, Z_SYNC_FLUSH), Z_OK);
	CHECK(p->out.avail_in == 0 && p->out.avail_out > 0);
	gw_fake_input_bytes(f, buf, sizeof(buf) - p->out.avail_out);
}

/* What the session wrote since the last call, inflated (the caller frees). */
static char *peer_read(struct gw_fake *f, struct peer *p)
{
	static char buf[65536];

	p->in.next_in = (Bytef *)f->out.data;
	p->in.avail_in = (uInt)f->out.len;
	p->in.next_out = (Bytef *)buf;
	p->in.avail_out = sizeof(buf) - 1;
	int rc = inflate(&p->in, Z_SYNC_FLUSH);
	CHECK(rc == Z_OK || rc == Z_BUF_ERROR);
	CHECK_INT(p->in.avail_in, 0); /* everything written was flushed */
	pb_buf_reset(&f->out);
	buf[sizeof(buf) - 1 - p->in.avail_out] = '\0';
	return buf;
}

static void test_compress_both_ways(void)
{
	struct imap_server srv;
	struct gw_fake f;
	struct peer p = { 0 };

	login(&f, &srv);
	CHECK_INT(deflateInit2(&p.out, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	CHECK_INT(inflateInit2(&p.in, -15), Z_OK);
	CHECK(gw_fake_say(&f, "z COMPRESS deflate\r\nn NOOP\r\n",
			  "z BAD Nothing may be pipelined after COMPRESS\r\nn OK NOOP"));
	CHECK(gw_fake_say(&f, "z COMPRESS LZ4\r\n", "z BAD Unknown compression mechanism"));
	CHECK(gw_fake_say(&f, "z COMPRESS DEFLATE\r\n", "z OK DEFLATE active\r\n"));
	CHECK(gw_compress_active(&f.gs));
	peer_send(&f, &p, "a CAPABILITY\r\n");
	char *got = peer_read(&f, &p);
	CHECK(strncmp(got, "* CAPABILITY IMAP4rev1", 22) == 0);
	CHECK(strstr(got, "COMPRESS=DEFLATE") == NULL);
	CHECK(strstr(got, "\r\na OK Capability completed.\r\n") != NULL);
	peer_send(&f, &p, "b COMPRESS DEFLATE\r\n");
	CHECK_STR(peer_read(&f, &p), "b NO [COMPRESSIONACTIVE] DEFLATE active via COMPRESS\r\n");
	/* a command split across two compressed writes */
	peer_send(&f, &p, "c ID NI");
	CHECK_INT(f.out.len, 0);
	peer_send(&f, &p, "L\r\n");
	got = peer_read(&f, &p);
	CHECK(strstr(got, "\"version\"") != NULL && strstr(got, "c OK ID completed.") != NULL);
	/* garbage that is no DEFLATE ends the connection */
	gw_fake_input_bytes(&f, "\xff\xff\xff\xff", 4);
	CHECK(f.closed);
	deflateEnd(&p.out);
	inflateEnd(&p.in);
	gw_fake_free(&f);
}

/* Answers the last request, an MBOX_STAT_REQ, with bytes used and the quota in bytes. */
static void stat_reply(struct gw_fake *f, uint64_t bytes, uint64_t quota)
{
	struct pb_msg *q = gw_fake_sent(f, f->n_sent - 1);
	struct pb_msg rep;

	CHECK(q->type == MSG_MBOX_STAT_REQ);
	pb_msg_init(&rep, MSG_MBOX_STAT_REP);
	rep.u.mbox_stat_rep.error = xstrdup("");
	rep.u.mbox_stat_rep.exists = 1;
	rep.u.mbox_stat_rep.bytes = bytes;
	rep.u.mbox_stat_rep.quota_bytes = quota;
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* Answers the last request, an MBOX_FOLDERS_REQ, with no folder (OK: the one asked exists). */
static void folder_found(struct gw_fake *f)
{
	struct pb_msg *q = gw_fake_sent(f, f->n_sent - 1);
	struct pb_msg rep;

	CHECK(q->type == MSG_MBOX_FOLDERS_REQ);
	pb_msg_init(&rep, MSG_MBOX_FOLDERS_REP);
	rep.u.mbox_folders_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

/* With a quota: GETQUOTAROOT names the root "" with STORAGE in KiB (usage rounded up),
 * GETQUOTA "" answers it, any other root does not exist. */
static void test_quota_root(void)
{
	struct imap_server srv;
	struct gw_fake f;

	login(&f, &srv);
	gw_fake_input(&f, "a GETQUOTAROOT INBOX\r\n");
	folder_found(&f);
	stat_reply(&f, 1025, 2 * 1048576);
	CHECK(gw_fake_expect(&f, "* QUOTAROOT \"INBOX\" \"\"\r\n* QUOTA \"\" (STORAGE 2 2048)\r\n"
				 "a OK Getquotaroot completed.\r\n"));
	gw_fake_input(&f, "b GETQUOTA \"\"\r\n");
	stat_reply(&f, 3 * 1048576, 2 * 1048576);
	CHECK(gw_fake_expect(&f, "* QUOTA \"\" (STORAGE 3072 2048)\r\nb OK Getquota completed.\r\n"));
	size_t n = f.n_sent;
	CHECK(gw_fake_say(&f, "c GETQUOTA user\r\n", "c NO [NONEXISTENT] No such quota root\r\n"));
	CHECK_INT(f.n_sent, n);
	gw_fake_free(&f);
}

static void test_enable_id_quota(void)
{
	struct imap_server srv;
	struct gw_fake f;
	struct pb_msg rep;

	login(&f, &srv);
	CHECK(gw_fake_say(&f, "a ENABLE CONDSTORE utf8=accept\r\n",
			  "* ENABLED UTF8=ACCEPT CONDSTORE\r\na OK Enabled.\r\n"));
	CHECK(gw_fake_say(&f, "b ENABLE UTF8=ACCEPT condstore\r\n", "* ENABLED\r\nb OK Enabled.\r\n"));
	CHECK(gw_fake_say(&f, "c ID (\"name\" \"test\")\r\n",
			  "* ID (\"name\" \"Pillarbox\" \"version\" \""));
	gw_fake_input(&f, "d GETQUOTA \"\"\r\n");
	stat_reply(&f, 100, 0); /* no quota */
	CHECK(gw_fake_expect(&f, "d NO [NONEXISTENT] No such quota root\r\n"));
	CHECK(gw_fake_say(&f, "e SETQUOTA \"\" (STORAGE 512)\r\n", "e NO [CANNOT] Quota limits"));
	CHECK(gw_fake_say(&f, "f GETQUOTAROOT \"../x\"\r\n", "f NO [CANNOT] Invalid mailbox name"));
	size_t n = f.n_sent;
	gw_fake_input(&f, "g GETQUOTAROOT \"Caf\xc3\xa9\"\r\n"); /* UTF-8: enabled above */
	CHECK_INT(f.n_sent, n + 1);
	struct pb_msg *q = gw_fake_sent(&f, n);
	CHECK(q->type == MSG_MBOX_FOLDERS_REQ);
	CHECK_STR(q->u.mbox_folders_req.name, "Caf\xc3\xa9");
	pb_msg_init(&rep, MSG_MBOX_FOLDERS_REP);
	rep.u.mbox_folders_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(&f, q->corr, &rep), 0);
	stat_reply(&f, 100, 0);
	CHECK(gw_fake_expect(&f, "* QUOTAROOT \"Caf\xc3\xa9\"\r\ng OK Getquotaroot completed.\r\n"));
	gw_fake_input(&f, "h GETQUOTAROOT nosuch\r\n");
	q = gw_fake_sent(&f, f.n_sent - 1);
	pb_msg_init(&rep, MSG_MBOX_FOLDERS_REP);
	rep.u.mbox_folders_rep.code = PB_ERR_NOTFOUND;
	rep.u.mbox_folders_rep.error = xstrdup("no such folder");
	CHECK_INT(gw_fake_reply(&f, q->corr, &rep), 0);
	CHECK(gw_fake_expect(&f, "h NO [NONEXISTENT] Mailbox does not exist\r\n"));
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "compress_both_ways", test_compress_both_ways },
	{ "enable_id_quota", test_enable_id_quota },
	{ "quota_root", test_quota_root },
};
PB_TEST_MAIN(cases)
