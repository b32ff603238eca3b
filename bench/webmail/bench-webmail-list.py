#!/usr/bin/env python3
"""bench-webmail-list.py: webmail's message list on a large folder — the latency of the first
and the 50th page of GET /api/mail/folders/INBOX/messages in each order, and of the earlier
form (after=UID: the folder listed and sorted per page) for comparison.

Starts its own daemon (test/e2e/pbtest.py's, from PB_BUILD_DIR [../../build]; loopback ports
with its own offset, data under a temporary directory), adds a user, stops it, fills its INBOX
with N messages straight into the store (bench-webmail-fill: From/Subject spread over 1,000
senders and 5,000 subjects; untimed, the fill is setup; IMAP APPEND would take minutes), starts
it again, then times, per order: page 1 (for from/subject/size the first one builds the owner's
sort index), page 50 (walking the cursors), and the median of pages 2..50.

Usage: PB_BUILD_DIR=build python3 bench/webmail/bench-webmail-list.py [N [LIMIT]]
(N 100000, LIMIT 50). Prints one line per case: case seconds. PB_FILL_OLD=1: the records are
filled without sort keys (as mail stored before they existed: the index reads the bodies).
OWNS: its daemon (stopped on exit) and its data directory.
"""
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../test/e2e"))
import pbtest  # noqa: E402
from test_webmail import Api, folder_path  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
LIMIT = int(sys.argv[2]) if len(sys.argv) > 2 else 50


def timed(api, q):
    """Seconds to the page (asking again while the sort index is being built: 503)."""
    t0 = time.monotonic()
    while True:
        status, page = api.call("GET", folder_path("INBOX") + "/messages?" +
                                urllib.parse.urlencode(q))
        if status != 503 or "being built" not in page.get("error", ""):
            break
    dt = time.monotonic() - t0
    if status != 200:
        raise SystemExit("%s: %s %s" % (q, status, page))
    return dt, page


def walk(api, sort, order):
    q = {"sort": sort, "order": order, "limit": LIMIT}
    first, page = timed(api, q)
    times = []
    for _ in range(49):
        q["cursor"] = page["next_cursor"]
        dt, page = timed(api, q)
        times.append(dt)
    print("%s-%s page1 %.4f page50 %.4f median2-50 %.4f" % (
        sort, order, first, times[-1], statistics.median(times)), flush=True)
    return page


def main():
    d = pbtest.Daemon()
    d.start()
    try:
        d.add_user("big", "big-secret-1")
        d.stop()
        t0 = time.monotonic()
        subprocess.run([os.path.join(pbtest.BUILD, "bench/webmail/bench-webmail-fill"),
                        os.path.join(d.data_dir, "store"), "big", str(N)] +
                       (["old"] if os.environ.get("PB_FILL_OLD") == "1" else []), check=True)
        print("fill %d msgs %.1f s" % (N, time.monotonic() - t0), flush=True)
        d.start()
        api = Api(d.ports["http"]).login("big", "big-secret-1")
        for sort, order in (("date", "desc"), ("date", "asc"), ("from", "asc"),
                            ("subject", "desc"), ("size", "desc"), ("from", "asc")):
            walk(api, sort, order)
        # the earlier form: after=UID lists and sorts the whole folder for every page
        dt, page = timed(api, {"sort": "date", "order": "desc", "limit": LIMIT, "after": N})
        print("legacy-after date-desc page %.4f" % dt, flush=True)
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main()
