#!/bin/sh
# Issue 7: no module outside a typed client stub builds a request message by hand. Lists every
# pb_msg_init(..._REQ) in the daemon's sources other than */*-client*.c and the runtime (whose
# own machinery and tests may); exits 1 when there is one. $1: the source directory.
src=${1:-${PB_SOURCE_DIR:-.}}
cd "$src" || exit 2
hits=$(grep -rn --include='*.c' 'pb_msg_init(.*_REQ' actors gateways mailbox-store monitor sasl src web 2>/dev/null |
	grep -v -- '-client[^/]*\.c:')
if [ -n "$hits" ]; then
	echo "requests built outside a client stub (actors/<actor>/<actor>-client.c):"
	echo "$hits"
	exit 1
fi
echo "every request is built in a client stub"
