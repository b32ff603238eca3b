#!/usr/bin/python3
"""dns-server.py: a small DNS server for tests, built on python3-dnslib.

Serves one zone (standard zone-file syntax, absolute names) on 127.0.0.1, UDP and TCP on the
same port, as a recursive resolver would answer a stub: it follows CNAME chains inside the
zone (the CNAMEs go in the answer before the records they lead to), answers NXDOMAIN for a
name that has no records at all, and NOERROR with an empty answer for a name without records
of the type asked. UDP answers over 512 bytes are truncated (TC set), so clients retry on TCP.

    dns-server.py --zone FILE [--port N] [--servfail NAME]... [--servfail-file FILE]
                  [--zone-text TEXT]

--servfail NAME answers SERVFAIL for every query about NAME. --servfail-file FILE does the same
for the names listed in FILE (one a line), read again at every query, so a test switches a
name between failing and answering by writing the file (a missing file lists none). With
--port 0 (the default) the kernel picks a port free on both UDP and TCP. Once both sockets listen it prints
"PORT <n>" on stdout and flushes, so a test waits for that line rather than sleeping; it runs
until killed (SIGTERM).
"""
import argparse
import signal
import socket
import sys

from dnslib import QTYPE, RCODE, RR, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer

MAX_CNAME_CHAIN = 8


class ZoneResolver(BaseResolver):
    def __init__(self, rrs, servfail, servfail_file=None):
        self.rrs = rrs
        self.servfail = {DNSLabel(n) for n in servfail}
        self.servfail_file = servfail_file

    def failing(self, name):
        if name in self.servfail:
            return True
        if not self.servfail_file:
            return False
        try:
            with open(self.servfail_file) as f:
                return name in {DNSLabel(n.strip()) for n in f if n.strip()}
        except FileNotFoundError:
            return False

    def records(self, name):
        return [rr for rr in self.rrs if rr.rname == name]

    def resolve(self, request, handler):
        reply = request.reply()
        reply.header.aa = 1
        name, qtype = request.q.qname, request.q.qtype
        if self.failing(name):
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        for _ in range(MAX_CNAME_CHAIN):
            here = self.records(name)
            if not here:
                reply.header.rcode = RCODE.NXDOMAIN
                return reply
            wanted = [rr for rr in here if rr.rtype == qtype or qtype == QTYPE.ANY]
            cname = [rr for rr in here if rr.rtype == QTYPE.CNAME]
            if wanted or not cname:
                for rr in wanted:
                    reply.add_answer(rr)
                return reply
            reply.add_answer(cname[0])
            name = cname[0].rdata.label
        return reply


class TruncatingHandler(DNSHandler):
    """Answers over 512 bytes on UDP become TC with the question kept (dnslib's own truncate()
    drops the question, and a stub such as c-ares rightly discards such an answer)."""

    def get_reply(self, data):
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        rdata = reply.pack()
        if self.protocol == "udp" and len(rdata) > 512:
            short = request.reply()
            short.header.rcode = reply.header.rcode
            short.header.aa = reply.header.aa
            short.header.tc = 1
            rdata = short.pack()
        return rdata


def listen_both(resolver, port):
    """Starts UDP and TCP servers on one port; with port 0, retries until one is free on both."""
    for _ in range(50):
        udp = DNSServer(resolver, port=port, address="127.0.0.1", handler=TruncatingHandler,
                        logger=Quiet())
        chosen = udp.server.server_address[1]
        try:
            tcp = DNSServer(resolver, port=chosen, address="127.0.0.1", tcp=True,
                            handler=TruncatingHandler, logger=Quiet())
        except OSError:
            udp.server.server_close()
            if port != 0:
                raise
            continue
        return udp, tcp, chosen
    raise OSError("no port free on both UDP and TCP")


class Quiet:
    def __getattr__(self, name):
        return lambda *args: None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zone", help="zone file")
    ap.add_argument("--zone-text", default="", help="zone records given inline")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--servfail", action="append", default=[])
    ap.add_argument("--servfail-file")
    args = ap.parse_args()
    text = args.zone_text
    if args.zone:
        with open(args.zone) as f:
            text += "\n" + f.read()
    resolver = ZoneResolver(list(RR.fromZone(text)), args.servfail, args.servfail_file)
    udp, tcp, port = listen_both(resolver, args.port)
    udp.start_thread()
    tcp.start_thread()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print(f"PORT {port}", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
