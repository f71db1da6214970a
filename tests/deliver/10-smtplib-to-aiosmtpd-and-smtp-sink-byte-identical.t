#!/usr/bin/python3
# Proves: mail sent by smtplib and by swaks into dcrouter is delivered by
# dcr-qrun + dcr-remote to a python3-aiosmtpd server and to Postfix's
# smtp-sink, byte-identical: the server gets dcr-smtpd's Received header
# then exactly what the client sent (dots, long lines, 8-bit, CRLF), with
# the envelope kept; the queue is empty afterwards and the log follows
# the id from dcr-smtpd to the delivery.
import os, sys, glob, subprocess, time, socket
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deliverlib import *

SINK = next((p for p in ('/usr/sbin/smtp-sink', '/usr/lib/postfix/sbin/smtp-sink') if os.path.exists(p)), None)
BODY = (b'Subject: byte for byte\r\nFrom: a@src.test\r\n\r\n'
        b'.a line starting with a dot\r\n..two dots\r\n.\r\n'
        + b'x' * 990 + b'\r\n'
        + 'caf\u00e9 8-bit\r\n'.encode() + b'last line\r\n')


def delivered_part(content):
    """what follows dcr-smtpd's Received header (its folded lines included)"""
    lines = content.split(b'\r\n')
    ok(lines[0].startswith(b'Received: from'), 'the first header is our Received')
    i = 1
    while i < len(lines) and lines[i][:1] in (b' ', b'\t'):
        i += 1
    return b'\r\n'.join(lines[i:])


def main():
    with AioSink() as aio, Relay('aio.test %s\n' % aio.target) as gw:
        qid = gw.send('a@src.test', ['b@aio.test', 'c@aio.test'], BODY, mail_options=['BODY=8BITMIME'])
        ok(qid, 'accepted with a queue id')
        wait(lambda: aio.envelopes, 15)
        is_(len(aio.envelopes), 1, 'aiosmtpd got one transaction for both recipients')
        if aio.envelopes:
            e = aio.envelopes[0]
            is_(e['mail_from'], 'a@src.test', 'envelope sender kept')
            is_(sorted(e['rcpt_tos']), ['b@aio.test', 'c@aio.test'], 'envelope recipients kept')
            ok('BODY=8BITMIME' in e['mail_options'], 'BODY=8BITMIME passed on (%r)' % e['mail_options'])
            ok(qid.encode() in e['content'].split(b'\r\n\r\n')[0], 'the Received header names the queue id')
            is_(delivered_part(e['content']), BODY, 'body byte-identical after our Received header')
        ok(wait(lambda: not gw.queued(), 10), 'the queue is empty after delivery')
        log = gw.log() + gw.qlog()
        ok(len(re.findall(r'id=%s\b' % qid, log)) >= 3, 'grep id= follows the message through dcr-smtpd and dcr-qrun')
        like(gw.qlog(), r'event=delivered id=%s rcpt=b@aio.test' % qid, 'delivery logged per recipient')
        like(gw.qlog(), r'event=done id=%s' % qid, 'message done')
        # swaks as a second real client
        r = subprocess.run(['swaks', '--server', '127.0.0.1:%d' % gw.port, '--from', 's@src.test',
                            '--to', 'd@aio.test', '--body', 'swaks body'], capture_output=True, timeout=30)
        is_(r.returncode, 0, 'swaks sends through the gateway')
        ok(wait(lambda: len(aio.envelopes) == 2, 15), 'the swaks message is delivered too')
    if not SINK:
        skip('smtp-sink not installed', 2)
        return
    with Relay('sink.test smtp:[127.0.0.1]:1\n', qrun=False) as gw:
        dump = gw.path('sink')
        os.makedirs(dump)
        os.chmod(gw.dir, 0o755)
        os.chmod(dump, 0o777)
        port = free_port()
        sink = subprocess.Popen([SINK] + (['-u', 'nobody'] if os.getuid() == 0 else [])
                                + ['-d', os.path.join(dump, 'm.%H%M%S.'), '127.0.0.1:%d' % port, '50'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            ok(wait(lambda: listening(port), 5), 'smtp-sink listens')
            gw.write_routes('sink.test smtp:[127.0.0.1]:%d\n' % port)
            gw.start_qrun()
            ids = [gw.send('a@src.test', ['r%d@sink.test' % i], BODY) for i in range(5)]
            def intact():
                # smtp-sink -d writes the envelope, then the message with LF or CRLF as received;
                # a file appears before its end is written: count the complete ones
                n = 0
                for f in glob.glob(os.path.join(dump, 'm.*')):
                    if BODY.replace(b'\r\n', b'\n') in read(f).replace(b'\r\n', b'\n'):
                        n += 1
                return n
            ok(wait(lambda: len(glob.glob(os.path.join(dump, 'm.*'))) == 5, 20), 'smtp-sink stored the 5 messages')
            same = wait(lambda: intact() == 5 and 5, 10) or intact()
            is_(same, 5, 'each body intact at smtp-sink')
        finally:
            sink.kill()
            sink.wait(5)


run(main, timeout=120)
