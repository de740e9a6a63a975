#!/usr/bin/python3
"""A controllable SMTP server for the black-box tests (Debian's
python3-aiosmtpd): it records every message it accepts and answers as a
control file says, so a test can make it refuse (550), defer (451) or
slow down, and can start and stop it at will.

  smtp_server.py --dir DIR [--port N] [--control FILE]
                 [--tls-cert PEM --tls-key PEM [--implicit-tls]
                  [--require-tls]] [--auth USER:PASSWORD]

Prints "READY <port>" on stdout once it listens on 127.0.0.1 (port 0
picks a free one). The control file is JSON, read at every command it
governs, every key optional:
  {"rcpt": 250|4xx|5xx, "data": 250|4xx|5xx, "delay_ms": N}
rcpt answers RCPT TO, data answers the end of DATA, delay_ms is waited
before answering DATA. A message accepted is written to DIR as
NNNNNN.eml (the bytes received, CRLF lines, dot-stuffing undone) after
NNNNNN.json (its envelope: mail_from, rcpt_tos, helo, tls, auth_user,
peer, at), each by rename so a reader never sees half of one. Every
answer to RCPT and DATA is also appended to DIR/events.jsonl.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory, control):
        self.dir = directory
        self.control = control
        self.seq = 0
        os.makedirs(directory, exist_ok=True)
        for f in os.listdir(directory):
            if f.endswith('.eml'):
                self.seq = max(self.seq, int(f.split('.')[0]))

    def mode(self):
        if not self.control:
            return {}
        try:
            with open(self.control) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path + '.tmp', 'wb') as f:
            f.write(data)
        os.rename(path + '.tmp', path)

    def event(self, **kw):
        kw['at'] = time.time()
        with open(os.path.join(self.dir, 'events.jsonl'), 'a') as f:
            f.write(json.dumps(kw) + '\n')


def tls_of(server):
    t = server.transport
    return t is not None and t.get_extra_info('ssl_object') is not None


def reply(code, ok_text):
    if code == 250:
        return '250 ' + ok_text
    if code >= 500:
        return '%d 5.0.0 refused by the test server' % code
    return '%d 4.0.0 try again later (test server)' % code


class Handler:
    def __init__(self, rec):
        self.rec = rec

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        code = int(self.rec.mode().get('rcpt', 250))
        self.rec.event(event='rcpt', code=code, rcpt=address,
                       mail_from=envelope.mail_from)
        if code == 250:
            envelope.rcpt_tos.append(address)
        return reply(code, 'OK')

    async def handle_DATA(self, server, session, envelope):
        mode = self.rec.mode()
        delay = int(mode.get('delay_ms', 0))
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        code = int(mode.get('data', 250))
        mid = None
        for line in envelope.content.split(b'\r\n'):
            if line == b'':
                break
            if line.lower().startswith(b'message-id:'):
                mid = line.split(b':', 1)[1].strip().decode('ascii',
                                                            'replace')
        self.rec.event(event='data', code=code, message_id=mid,
                       rcpt_tos=envelope.rcpt_tos)
        if code != 250:
            return reply(code, '')
        self.rec.seq += 1
        name = '%06d' % self.rec.seq
        meta = {
            'mail_from': envelope.mail_from,
            'rcpt_tos': envelope.rcpt_tos,
            'helo': session.host_name,
            'tls': tls_of(server),
            'auth_user': session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword) else None,
            'peer': list(session.peer) if session.peer else None,
            'at': time.time(),
        }
        self.rec.write(name + '.json', json.dumps(meta).encode())
        self.rec.write(name + '.eml', envelope.original_content)
        return '250 2.0.0 queued as ' + name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--control')
    ap.add_argument('--tls-cert')
    ap.add_argument('--tls-key')
    ap.add_argument('--implicit-tls', action='store_true')
    ap.add_argument('--require-tls', action='store_true')
    ap.add_argument('--auth')
    a = ap.parse_args()

    rec = Recorder(a.dir, a.control)
    ctx = None
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    auth_user = auth_pass = None
    if a.auth:
        auth_user, auth_pass = a.auth.encode().split(b':', 1)

    def authenticator(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and data.login == auth_user
              and data.password == auth_pass)
        rec.event(event='auth', ok=ok, mechanism=mechanism)
        return AuthResult(success=ok, handled=False,
                          auth_data=data if ok else None)

    handler = Handler(rec)

    def factory():
        kw = dict(hostname='test-smtp.localhost', decode_data=False,
                  data_size_limit=10 << 20)
        if ctx is not None and not a.implicit_tls:
            kw.update(tls_context=ctx, require_starttls=a.require_tls)
        if a.auth:
            # aiosmtpd counts only STARTTLS as TLS: with implicit TLS
            # (or none at all) AUTH must be allowed without it.
            kw.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=ctx is not None and
                      not a.implicit_tls)
        return SMTP(handler, **kw)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host='127.0.0.1', port=a.port,
        ssl=ctx if a.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    sys.stdout.write('READY %d\n' % port)
    sys.stdout.flush()
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == '__main__':
    main()
