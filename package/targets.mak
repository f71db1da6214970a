# What is built, and from what. The Makefile holds no knowledge of its own.

# Installed programs (C)
BIN_TARGETS := dcr-tcpd dcr-tlsd dcr-smtpd dcr-enqueue dcr-queued dcr-qrun dcr-remote dcr-maildir dcr-qctl
# Programs on libowfat instead of skalibs (never both in one binary: DESIGN.md)
OWFAT_TARGETS := dcr-mx
# Programs on glibc whatever the compiler of the others: libcrypt (yescrypt)
HOST_TARGETS := dcr-checkpass
# Installed programs (shell)
SCRIPT_TARGETS := dcr-setup

# Shared internals: libdcr.a, linked into every program
LIBDCR_SRCS := \
  src/lib/log.c \
  src/lib/logkv.c \
  src/lib/job.c \
  src/lib/opts.c \
  src/lib/line.c \
  src/lib/addr.c \
  src/lib/esmtp.c \
  src/lib/xtext.c \
  src/lib/qid.c \
  src/lib/queue.c \
  src/lib/envvars.c \
  src/lib/submit.c \
  src/lib/pool.c \
  src/lib/fdpass.c \
  src/lib/envelope.c \
  src/lib/cidr.c \
  src/lib/routes.c \
  src/lib/conf.c \
  src/lib/verdict.c \
  src/lib/jobloop.c \
  src/lib/pem.c \
  src/lib/anchors.c \
  src/lib/tlsprofile.c \
  src/lib/base64.c \
  src/lib/header.c \
  src/lib/filter.c \
  src/lib/cond.c \
  src/lib/mime.c \
  src/lib/mimecte.c \
  src/lib/mimefield.c

dcr-tcpd_SRCS := src/tcp/dcr-tcpd.c src/tcp/child.c src/tcp/workers.c src/tcp/rules.c src/tcp/proxy.c src/tcp/conntable.c
dcr-tcpd_LIBS := $(LDLIBS_SKA)

dcr-tlsd_SRCS := src/tls/dcr-tlsd.c src/tls/certs.c src/tls/pump.c src/tls/env.c
dcr-tlsd_LIBS := $(LDLIBS_TLS) $(LDLIBS_SKA)

dcr-smtpd_SRCS := src/smtpd/dcr-smtpd.c src/smtpd/pool.c src/smtpd/session.c src/smtpd/envelope.c src/smtpd/message.c src/smtpd/data.c src/smtpd/child.c src/smtpd/io.c src/smtpd/starttls.c src/smtpd/auth.c src/smtpd/sasl.c
dcr-smtpd_LIBS := $(LDLIBS_SKA)

dcr-enqueue_SRCS := src/queue/dcr-enqueue.c
dcr-enqueue_LIBS := $(LDLIBS_SKA)

dcr-queued_SRCS := src/queue/dcr-queued.c src/queue/commit.c
dcr-queued_LIBS := $(LDLIBS_SKA)

dcr-qrun_SRCS := src/qrun/dcr-qrun.c src/qrun/sched.c src/qrun/scan.c src/qrun/jobs.c src/qrun/flight.c src/qrun/settle.c src/qrun/dest.c src/qrun/agent.c src/qrun/dsn.c src/qrun/control.c
dcr-qrun_LIBS := $(LDLIBS_SKA)

dcr-remote_SRCS := src/remote/dcr-remote.c src/remote/rio.c src/remote/reply.c src/remote/wire.c src/remote/target.c src/remote/session.c src/remote/deliver.c src/remote/transaction.c src/remote/verdict.c src/remote/secure.c src/remote/tls.c
dcr-remote_LIBS := $(LDLIBS_TLS) $(LDLIBS_SKA)

dcr-maildir_SRCS := src/maildir/dcr-maildir.c src/maildir/maildir.c
dcr-maildir_LIBS := $(LDLIBS_SKA)

dcr-qctl_SRCS := src/qctl/dcr-qctl.c src/qctl/scan.c src/qctl/list.c src/qctl/stats.c src/qctl/show.c src/qctl/act.c src/qctl/paused.c src/qctl/out.c
dcr-qctl_LIBS := $(LDLIBS_SKA)

dcr-mx_SRCS := src/mx/dcr-mx.c src/mx/mx.c
dcr-mx_LIBS := -lowfat

dcr-checkpass_SRCS := src/auth/dcr-checkpass.c src/auth/users.c src/lib/log.c src/lib/logkv.c
dcr-checkpass_LIBS := $(LDLIBS_SKA) $(LDLIBS_CRYPT)

dcr-setup_SRC := src/setup/dcr-setup.sh

# Unit tests (tests/unit/NAME.c -> $(B)/tests/NAME), run under prove
UNIT_TESTS := t-line t-conf t-addr t-esmtp t-xtext t-qid t-queue t-cidr t-proxy t-data t-routes t-job t-remote t-sched t-opts t-header

t-proxy_EXTRA := src/tcp/proxy.c
t-data_EXTRA := src/smtpd/data.c
t-sched_EXTRA := src/qrun/sched.c

# Fuzz targets (tests/fuzz/NAME.c, libFuzzer with clang)
FUZZ_TARGETS := fuzz-command fuzz-data fuzz-proxy fuzz-rules fuzz-routes fuzz-envelope fuzz-envvars fuzz-pool fuzz-job fuzz-reply fuzz-paused fuzz-verdict fuzz-header
fuzz-command_EXTRA :=
fuzz-data_EXTRA := src/smtpd/data.c
fuzz-proxy_EXTRA := src/tcp/proxy.c
fuzz-rules_EXTRA := src/tcp/rules.c
fuzz-routes_EXTRA :=
fuzz-verdict_EXTRA :=
fuzz-header_EXTRA :=
fuzz-envelope_EXTRA :=
fuzz-envvars_EXTRA :=
fuzz-pool_EXTRA :=
fuzz-paused_EXTRA := src/qctl/paused.c
FUZZ_TARGETS += fuzz-maildir
fuzz-maildir_EXTRA := src/maildir/maildir.c
# dcr-checkpass's users file reader; log lines are checked by the target, not written
FUZZ_TARGETS += fuzz-users
fuzz-users_EXTRA := src/auth/users.c
fuzz-users_OMIT := src/lib/log.c
t-remote_EXTRA := src/remote/reply.c src/remote/wire.c src/remote/target.c
fuzz-job_EXTRA :=
fuzz-reply_EXTRA := src/remote/reply.c src/remote/wire.c src/remote/target.c
# ... and for the libowfat programs: built with -lowfat, without skalibs
OWFAT_FUZZ_TARGETS := fuzz-mx
fuzz-mx_EXTRA := src/mx/mx.c

# ---- Filters of the message chain (issue 6, doc/filters.md) ----
# Each program's block says what it is built from; BIN_TARGETS += etc.

# dcr-header, dcr-when (src/header)
BIN_TARGETS += dcr-header dcr-when
dcr-header_SRCS := src/header/dcr-header.c src/header/hrules.c
dcr-header_LIBS := $(LDLIBS_SKA)
dcr-when_SRCS := src/header/dcr-when.c
dcr-when_LIBS := $(LDLIBS_SKA)
UNIT_TESTS += t-cond
FUZZ_TARGETS += fuzz-hrules
fuzz-hrules_EXTRA := src/header/hrules.c

# dcr-dkimsign, dcr-dkimkey (src/dkim)
BIN_TARGETS += dcr-dkimsign dcr-dkimkey
DKIM_SRCS := src/dkim/canon.c src/dkim/domain.c src/dkim/sign.c src/dkim/key.c src/dkim/keys.c
dcr-dkimsign_SRCS := src/dkim/dcr-dkimsign.c $(DKIM_SRCS)
dcr-dkimsign_LIBS := $(LDLIBS_TLS) $(LDLIBS_SKA)
dcr-dkimkey_SRCS := src/dkim/dcr-dkimkey.c $(DKIM_SRCS)
dcr-dkimkey_LIBS := $(LDLIBS_TLS) $(LDLIBS_SKA)
UNIT_TESTS += t-dkim
t-dkim_EXTRA := $(DKIM_SRCS)
# t-dkim hashes with BearSSL: the unit rule links only skalibs
%/tests/t-dkim: LDLIBS_SKA += $(LDLIBS_TLS)
FUZZ_TARGETS += fuzz-dkim
fuzz-dkim_EXTRA := src/dkim/canon.c src/dkim/domain.c src/dkim/key.c

# dcr-mimecheck (src/mime)
BIN_TARGETS += dcr-mimecheck
dcr-mimecheck_SRCS := src/mime/dcr-mimecheck.c src/mime/rules.c src/mime/policy.c src/mime/hit.c src/mime/zip.c src/mime/rewrite.c
dcr-mimecheck_LIBS := $(LDLIBS_SKA)
UNIT_TESTS += t-mime
t-mime_EXTRA :=
FUZZ_TARGETS += fuzz-mime fuzz-mimecheck
# the rules file, the checks and the new message; a refusal returns to
# the target, which has its own dcr_filter_* and dcr_log
fuzz-mimecheck_EXTRA := src/mime/rules.c src/mime/policy.c src/mime/hit.c src/mime/zip.c src/mime/rewrite.c
fuzz-mimecheck_OMIT := src/lib/filter.c src/lib/log.c
fuzz-mime_EXTRA := src/mime/zip.c

# dcr-scan (src/scan)
BIN_TARGETS += dcr-scan
dcr-scan_SRCS := src/scan/dcr-scan.c src/scan/conn.c src/scan/exchange.c src/scan/parse.c src/scan/clamd.c src/scan/spamd.c src/scan/tag.c
dcr-scan_LIBS := $(LDLIBS_SKA)
FUZZ_TARGETS += fuzz-scan
fuzz-scan_EXTRA := src/scan/parse.c

# dcr-rewrite, dcr-footer (src/rewrite, src/footer)
BIN_TARGETS += dcr-rewrite
dcr-rewrite_SRCS := src/rewrite/dcr-rewrite.c src/rewrite/rwmap.c src/rewrite/rwaddr.c
dcr-rewrite_LIBS := $(LDLIBS_SKA)
UNIT_TESTS += t-rewrite
t-rewrite_EXTRA := src/rewrite/rwmap.c src/rewrite/rwaddr.c
FUZZ_TARGETS += fuzz-rewrite
fuzz-rewrite_EXTRA := src/rewrite/rwmap.c src/rewrite/rwaddr.c
BIN_TARGETS += dcr-footer
dcr-footer_SRCS := src/footer/dcr-footer.c src/footer/mimewalk.c src/footer/coder.c src/footer/edit.c
dcr-footer_LIBS := $(LDLIBS_SKA)
FUZZ_TARGETS += fuzz-footer
fuzz-footer_EXTRA := src/footer/mimewalk.c src/footer/coder.c

# ---- The TLS SNI splicer (issue 7, doc/dcr-sniproxy.md): on libowfat ----
# dcr-sniproxy (src/sni)
OWFAT_TARGETS += dcr-sniproxy
dcr-sniproxy_SRCS := src/sni/dcr-sniproxy.c src/sni/hello.c src/sni/httphost.c src/sni/rules.c src/sni/log.c src/lib/logkv.c src/sni/loop.c src/sni/conn.c src/sni/target.c src/sni/splice.c src/sni/workers.c
dcr-sniproxy_LIBS := -lowfat
OWFAT_FUZZ_TARGETS += fuzz-sni-hello fuzz-sni-http fuzz-sni-rules
fuzz-sni-hello_EXTRA := src/sni/hello.c
fuzz-sni-http_EXTRA := src/sni/httphost.c src/sni/hello.c
fuzz-sni-rules_EXTRA := src/sni/rules.c src/sni/hello.c
# t-sni: a unit test on libowfat, never libdcr (tap.h is header-only), so
# its own rule, and OWFAT_UNIT_TESTS (check-unit runs them with the rest).
OWFAT_UNIT_TESTS += t-sni
%/tests/t-sni: tests/unit/t-sni.c src/sni/hello.c src/sni/httphost.c src/sni/rules.c tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $(filter %.c,$^) -lowfat
