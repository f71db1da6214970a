#!/usr/bin/python3
# Proves: the child gets the spool file rewound with our Received header
# first (from HELO [ip], by host, id = DCR_ID, "for" one recipient,
# UTF8SMTP with SMTPUTF8) and the envelope in SMTP_* variables, with
# stale SMTP_* variables of our own environment removed; 100 Received
# fields are a mail loop (554 5.4.6), 99 are not.
import os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpdlib import *


def envfile(s):
    env = {}
    key = None
    text = (s.file('env') or b'').decode('utf-8')
    for l in (text[:-1] if text.endswith('\n') else text).split('\n'):
        m = re.match(r'^((?:SMTP|DCR)_[A-Z0-9_]*|TMPDIR)=(.*)$', l)
        if m:
            key = m.group(1)
            env[key] = m.group(2)
        elif key:
            env[key] += '\n' + l
    return env


def main():
    with Smtpd(routes='example.test smtp:[127.0.0.1]:1\n', env={'SMTP_SIZE': 'stale', 'SMTP_AUTHUSER': 'forged'}) as s:
        s.send('EHLO client.test\r\nMAIL FROM:<a@b.test> SMTPUTF8 RET=HDRS ENVID=e+2B1\r\n'
               'RCPT TO:<u@example.test>\r\nDATA\r\n')
        for _ in range(3):
            s.reply()
        s.expect('354', 'DATA')
        s.send('Subject: hi\r\n\r\nbody\r\n.\r\n')
        r = s.expect('250 2.0.0 Ok: queued as ', 'accepted')
        env = envfile(s)
        qid = r.split()[-1] if r else ''
        is_(env.get('DCR_ID'), qid, 'DCR_ID is the id in the reply')
        is_(env.get('TMPDIR'), s.dir, 'TMPDIR is the spool dir (-S): where filters write a changed message')
        msg = (s.file('msg') or b'').decode('utf-8')
        like(msg, r'^Received: from client\.test \(\[192\.0\.2\.9\]\)\n\tby mx\.test \(dcrouter\) with UTF8SMTP id %s\n\tfor <u@example\.test>; \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\nSubject: hi\n\nbody\n$' % qid,
             'Received header first, then the message in internal form')
        is_(env.get('SMTP_SENDER'), 'a@b.test', 'SMTP_SENDER')
        is_(env.get('SMTP_RECIPIENTS'), 'u@example.test', 'SMTP_RECIPIENTS')
        is_(env.get('SMTP_SMTPUTF8'), '1', 'SMTP_SMTPUTF8')
        is_(env.get('SMTP_DSN_RET'), 'HDRS', 'SMTP_DSN_RET')
        is_(env.get('SMTP_DSN_ENVID'), 'e+1', 'SMTP_DSN_ENVID decoded')
        ok('SMTP_SIZE' not in env, 'a stale SMTP_SIZE of our own environment is removed')
        ok('SMTP_AUTHUSER' not in env, 'a forged SMTP_AUTHUSER is removed')
    for n, want in [(99, '250'), (100, '554 5.4.6')]:
        with Smtpd(routes='example.test smtp:[127.0.0.1]:1\n') as s:
            s.send('HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<u@example.test>\r\nDATA\r\n')
            for _ in range(4):
                s.reply()
            s.send(''.join('Received: from h%d\r\n' % i for i in range(n)) + '\r\nReceived: in body\r\n.\r\n')
            s.expect(want, '%d Received fields -> %s' % (n, want))


run(main)
