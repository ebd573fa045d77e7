#!/usr/bin/python3
"""A minimal SMTP sink with STARTTLS, for bench_queue_out.py's TLS and DANE rows: Postfix's
smtp-sink has no STARTTLS, and DANE needs a handshake. Accepts every message and keeps
nothing. Not a test peer: benchmarks only.

usage: tls_sink.py ADDR PORT CERT_PEM KEY_PEM
"""
import asyncio
import ssl
import sys

MAX_LINE = 4096


async def session(reader, writer, ctx):
    async def reply(text):
        writer.write(text.encode() + b"\r\n")
        await writer.drain()

    await reply("220 sink.test ESMTP")
    tls = False
    while True:
        line = await reader.readline()
        if not line or len(line) > MAX_LINE:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            await reply("250-sink.test\r\n250-8BITMIME\r\n" + ("" if tls else "250-STARTTLS\r\n") + "250 SIZE 52428800")
        elif verb == b"STAR" and not tls:
            await reply("220 go ahead")
            await writer.start_tls(ctx)
            tls = True
        elif verb == b"DATA":
            await reply("354 end with .")
            while True:
                d = await reader.readline()
                if not d or d == b".\r\n":
                    break
            await reply("250 2.0.0 ok")
        elif verb == b"QUIT":
            await reply("221 bye")
            break
        else:  # MAIL, RCPT, RSET, NOOP
            await reply("250 ok")
    writer.close()


async def main():
    addr, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(lambda r, w: session(r, w, ctx), addr, port, limit=MAX_LINE * 2, backlog=256)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
