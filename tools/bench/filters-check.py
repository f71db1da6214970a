#!/usr/bin/python3
# filters-check.py - is a stored message really DKIM-signed? Verifies its
# DKIM-Signature with dkimpy against the public key of KEYFILE (no DNS:
# the TXT record is made from the key), so a benchmark in which the
# signer silently did nothing (or signed wrongly) is caught.
#
# usage: filters-check.py NAME KEYFILE FILE [postcat-config-dir]
#   FILE: the message as stored (dcrouter's mess/NN/ID), or, with a
#   Postfix config dir, a Postfix queue file (read through postcat).
# Prints one JSON line: name, file, signatures (count), d, s, c, verified.
import base64, json, re, subprocess, sys
import dkim

name, keyfile, path = sys.argv[1:4]
if len(sys.argv) > 4:
    # -h -b: the header and body records, without postcat's own markers
    raw = subprocess.run(['postcat', '-c', sys.argv[4], '-h', '-b', path], check=True,
                         capture_output=True).stdout
    raw = b'\n'.join(l for l in raw.split(b'\n') if not l.startswith(b'*** '))
else:
    raw = open(path, 'rb').read()
der = subprocess.run(['openssl', 'rsa', '-in', keyfile, '-pubout', '-outform', 'DER'],
                     check=True, capture_output=True).stdout
txt = b'v=DKIM1; k=rsa; p=' + base64.b64encode(der)
msg = raw.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')   # the wire form
head = msg.split(b'\r\n\r\n', 1)[0]
sigs = re.findall(rb'(?im)^DKIM-Signature:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)', head)
out = {'kind': 'check', 'name': name, 'file': path, 'size': len(raw), 'signatures': len(sigs)}
if sigs:
    tags = dict(t.strip().split('=', 1) for t in re.sub(rb'\s+', b'', sigs[0]).decode().split(';') if '=' in t)
    out.update(d=tags.get('d'), s=tags.get('s'), c=tags.get('c'), a=tags.get('a'),
               h=tags.get('h'))
    txt_key = subprocess.run(['openssl', 'rsa', '-in', keyfile, '-noout', '-text'], check=True,
                             capture_output=True).stdout.decode().split('\n', 1)[0]
    out['bits'] = int(re.search(r'(\d+) bit', txt_key).group(1))
    out['verified'] = bool(dkim.verify(msg, dnsfunc=lambda *a, **k: txt))
else:
    out['verified'] = False
print(json.dumps(out))
