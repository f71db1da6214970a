#!/usr/bin/python3
# dcr-mimecheck in a real chain: dcr-tcpd + dcr-smtpd + "dcr-mimecheck
# -f RULES dcr-enqueue QUEUE", with smtplib as the client. A message
# with a .pdf.exe attachment gets 554 5.7.1 at the end of DATA and
# nothing is queued; a clean one is queued unchanged; one with a removed
# part is queued with the part replaced and the tag header on top; the
# log lines carry the message's id, the one dcr-smtpd logs.
import os
import re
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.dirname(__file__))
from dcrtest import *  # noqa: F401,F403
from mimelib import new, attach, raw, parse


class MimeGateway(Gateway):
    def __init__(self, rules, **kw):
        Gateway.__init__(self, child=['unset'], **kw)
        self.rules = rules

    def _setup(self):
        Gateway._setup(self)
        f = self._write('conf/mime-rules', self.rules)
        self.child = [bin_path('dcr-mimecheck'), '-f', f, bin_path('dcr-enqueue'), self.queue]




def main():
    with MimeGateway('reject ext exe,scr\nremove ext bat\n') as gw:
        bad = raw(attach(new(subject='invoice'), b'MZ\x90\x00', 'invoice.pdf.exe'))
        code, text = send_message(gw, bad)
        is_((code, text), (554, '5.7.1 attachment "invoice.pdf.exe" refused: files of type .exe are not accepted'),
            'a .pdf.exe: 554 5.7.1 at the end of DATA through smtplib')
        is_(gw.queued(), [], '  nothing queued')
        log = gw.log()
        m = re.search(r'dcr-mimecheck: event=mime-reject id=(\S+) reason=ext detail=exe name=invoice\.pdf\.exe', log)
        ok(m is not None, '  logged as mime-reject')
        ok(m and re.search(r'dcr-smtpd: .*id=%s\b' % re.escape(m.group(1)), log), "  with the message's id, as dcr-smtpd logs it")

        clean = raw(attach(new(subject='report'), b'%PDF-1.4', 'report.pdf'))
        code, text = send_message(gw, clean)
        is_(code, 250, 'a clean message: 250')
        qid = queued_id(text)
        q = gw.wait_queued(1)
        is_(q, [qid] if qid else [], '  queued as ' + str(qid))
        got = gw.message(qid) if qid else b''
        ok(got.replace(b'\r\n', b'\n').endswith(clean) and got.startswith(b'Received: '), '  unchanged after the Received field')

        withbat = raw(attach(attach(new(subject='script'), b'@echo off', 'run.bat'), b'%PDF', 'keep.pdf'))
        code, text = send_message(gw, withbat)
        is_(code, 250, 'a .bat with remove ext bat: 250')
        qid = queued_id(text)
        gw.wait_queued(2)
        got = gw.message(qid) if qid else b''
        ok(got.startswith(b'X-DCR-MIME: removed file type .bat: run.bat\nReceived: '), '  queued with X-DCR-MIME on top')
        p = parse(got)
        names = [x.get_filename() for x in p.iter_attachments()]
        is_(names, [None, 'keep.pdf'], '  run.bat replaced by a text part, keep.pdf kept')


run(main, timeout=60)
