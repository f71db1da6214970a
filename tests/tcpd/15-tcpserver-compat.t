#!/usr/bin/python3
# A program written for tcpserver (ucspi-tcp) sees the same UCSPI
# environment under dcr-tcpd: the same variables with the same values,
# except the ones tcpserver gets from DNS or -l (TCPLOCALHOST,
# TCPREMOTEHOST) and ident (TCPREMOTEINFO), which dcr-tcpd leaves unset.
import os, shutil, signal, socket, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcpdlib import *
from dcrtest import ok, is_, skip, diag, run

UNKNOWN_TO_DCR = {'TCPLOCALHOST', 'TCPREMOTEHOST', 'TCPREMOTEINFO'}
# both servers run with PATH alone: what else the program sees, they set
ENV = {'PATH': '/usr/bin:/bin'}
PROG = ['/bin/sh', '-c', 'read line; env | grep -v -E "^(PATH|PWD|SHLVL|_)=" | sort']


def session(host, port):
    s = socket.create_connection((host, port), timeout=5)
    cport = s.getsockname()[1]
    s.sendall(b'x\n')
    out = readall(s)
    s.close()
    return parse_env(out), cport


def tcpserver_env(opts):
    p = subprocess.Popen(['tcpserver', '-1'] + opts + ['127.0.0.1', '0'] + PROG,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=ENV, start_new_session=True)
    try:
        port = int(p.stdout.readline())
        return session('127.0.0.1', port) + (port,)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def compare(opts):
    name = 'tcpserver ' + ' '.join(opts)
    tenv, tcport, tport = tcpserver_env(opts)
    with Tcpd([], PROG, env=ENV, inherit=False) as t:
        denv, dcport = session('127.0.0.1', t.port)
        dport = t.port
    diag('%s sets: %s' % (name, ' '.join(sorted(tenv))))
    diag('dcr-tcpd sets: %s' % ' '.join(sorted(denv)))
    ok(set(denv) <= set(tenv), name + ': dcr-tcpd sets no variable tcpserver does not')
    is_(set(tenv) - set(denv) - UNKNOWN_TO_DCR, set(), name + ': and leaves out only the DNS/ident ones')
    for v in ('PROTO', 'TCPLOCALIP', 'TCPREMOTEIP'):
        is_(denv.get(v), tenv.get(v), name + ': same ' + v)
    is_((tenv.get('TCPLOCALPORT'), denv.get('TCPLOCALPORT')), (str(tport), str(dport)), name + ': TCPLOCALPORT is the server port in both')
    is_((tenv.get('TCPREMOTEPORT'), denv.get('TCPREMOTEPORT')), (str(tcport), str(dcport)), name + ': TCPREMOTEPORT is the client port in both')


def main():
    if not shutil.which('tcpserver'):
        skip('tcpserver (Debian ucspi-tcp) not installed', 14)
        return
    compare(['-H', '-R', '-l', '0'])      # the usual qmail-smtpd setting
    compare(['-R'])                       # with a DNS look-up of the client


run(main, timeout=30)
