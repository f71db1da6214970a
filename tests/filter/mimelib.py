# ISC license.
"""mimelib: messages for the dcr-mimecheck tests, built with python3's
email package (and zipfile), and a runner: the rules text in a file,
the message through dcr-mimecheck and tests/lib/dcr-capture
(filterlib.run_filter)."""

import io
import os
import sys
import tempfile
import zipfile
from email import policy as _policy
from email.message import EmailMessage
from email.parser import BytesParser

sys.path.insert(0, os.path.dirname(__file__))
from filterlib import run_filter  # noqa: E402


def new(subject='test', text='hello\n', cte=None):
    m = EmailMessage()
    m['From'] = 'alice@example.org'
    m['To'] = 'bob@example.com'
    m['Subject'] = subject
    if text is not None:
        if cte:
            m.set_content(text, cte=cte)
        else:
            m.set_content(text)
    return m


def attach(m, data, filename, maintype='application', subtype='octet-stream'):
    m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return m


def zipped(names, method=zipfile.ZIP_DEFLATED, comment=b''):
    """a zip archive (bytes) holding the names, each a few octets"""
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', method) as z:
        z.comment = comment
        for n in names:
            z.writestr(n, b'MZ' + n.encode() * 10)
    return b.getvalue()


def raw(m):
    """the message in internal form (LF line ends), as dcr-smtpd passes it"""
    return bytes(m) if not isinstance(m, bytes) else m


def parse(b):
    return BytesParser(policy=_policy.default).parsebytes(b)


def check(rules, msg, env=None):
    """dcr-mimecheck -f RULES on msg: filterlib's Result (rc, out, err,
    message: what the next program got, or None)"""
    with tempfile.TemporaryDirectory(prefix='dcr-mime-') as d:
        f = os.path.join(d, 'rules')
        with open(f, 'w') as fh:
            fh.write(rules)
        return run_filter(['dcr-mimecheck', '-f', f], raw(msg), env=env)


def multipart(boundary, parts, subtype='mixed', close=True, head=None):
    """a multipart by hand: parts are (header text, body text) pairs"""
    out = head if head is not None else ('From: a@example.org\nSubject: hand made\nMIME-Version: 1.0\n'
                                         'Content-Type: multipart/%s; boundary="%s"\n\n' % (subtype, boundary))
    out += 'preamble\n'
    for h, b in parts:
        out += '--%s\n%s\n%s\n' % (boundary, h, b)
    if close:
        out += '--%s--\n' % boundary
    return out.encode()
