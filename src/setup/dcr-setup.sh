#!/bin/sh
# ISC license.
# dcr-setup: write a ready dcrouter instance: DIR/conf (the small config
# files), DIR/queue, DIR/service (s6 service directories with execline run
# scripts and an s6-log logger each) and DIR/log. `s6-svscan DIR/service`
# runs it. The page is doc/dcr-setup.md; TLS and AUTH: doc/tls.md.
set -eu

PROG=dcr-setup
USAGE="dcr-setup dir [ --hostname name ] [ --smtp addr:port ]... [ --smtps addr:port ]... [ --submission addr:port ]... [ --cert file [ --key file ] ] [ --certdir dir ] [ --users file ] [ --route 'pattern targets [options]' ]... [ --relay-net cidr ]... [ --filter 'prog args' ]... [ --one-domain ] [ --sni mode:addr:port[:name] ]... [ --sni-rule 'pattern targets [options]' ]... [ --max-conns n ] [ --max-per-ip n ] [ --max-size bytes ] [ --prestart n ] [ --bindir dir ] [ --basedir path ] [ --force ]"
EXECLINEB=/usr/bin/execlineb
nl='
'

# ------------------------------------------------------------ messages

warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die100() { printf '%s: fatal: %s\n' "$PROG" "$*" >&2; exit 100; }
die111() { printf '%s: fatal: %s\n' "$PROG" "$*" >&2; exit 111; }
dieusage() {
  if [ $# -gt 0 ]; then printf '%s: fatal: %s\n' "$PROG" "$*" >&2; fi
  printf '%s: usage: %s\n' "$PROG" "$USAGE" >&2
  exit 100
}

# ------------------------------------------------------------ checks
# Each check returns 0 when its argument is good; some set a variable.

# decimal number without sign or leading zero, at most 18 digits
is_uint() {
  case $1 in ''|*[!0-9]*|0?*) return 1 ;; esac
  [ ${#1} -le 18 ]
}

is_ip4() {
  case $1 in ''|*[!0-9.]*|.*|*.|*..*) return 1 ;; esac
  ip4_ifs=$IFS; IFS=.; set -- $1; IFS=$ip4_ifs
  [ $# -eq 4 ] || return 1
  for ip4_x in "$@"; do
    is_uint "$ip4_x" && [ ${#ip4_x} -le 3 ] && [ "$ip4_x" -le 255 ] || return 1
  done
}

is_ip6() {
  case $1 in ''|*[!0-9A-Fa-f:.]*|*:::*|*::*::*|:[!:]*|*[!:]:) return 1 ;; esac
  case $1 in *:*) ;; *) return 1 ;; esac
  ip6_double=0
  case $1 in *::*) ip6_double=1 ;; esac
  ip6_ifs=$IFS; IFS=:; set -- $1; IFS=$ip6_ifs
  ip6_n=0
  while [ $# -gt 0 ]; do
    case $1 in
      '') ;;
      *.*) [ $# -eq 1 ] && is_ip4 "$1" || return 1; ip6_n=$((ip6_n + 2)) ;;
      *) case $1 in ?|??|???|????) ;; *) return 1 ;; esac
         case $1 in *[!0-9A-Fa-f]*) return 1 ;; esac
         ip6_n=$((ip6_n + 1)) ;;
    esac
    shift
  done
  if [ $ip6_double = 1 ]; then [ $ip6_n -le 7 ]; else [ $ip6_n -eq 8 ]; fi
}

# a host or domain name: letters, digits, hyphens, dots between labels
is_domain() {
  case $1 in ''|*[!A-Za-z0-9.-]*|.*|*.|*..*|-*|*.-*|*-.*|*-) return 1 ;; esac
  [ ${#1} -le 253 ]
}

# words that go unquoted into execline scripts
is_safe_path() {
  case $1 in /*) ;; *) return 1 ;; esac
  case $1 in *[!A-Za-z0-9._/+,@=:-]*) return 1 ;; esac
}

# --smtp ADDR:PORT -> l_host, l_port, l_name (the service directory name)
parse_listener() {
  case $2 in
    \[*\]:*)
      l_host=${2%%]:*}; l_host=${l_host#\[}; l_port=${2##*]:}
      is_ip6 "$l_host" || die100 "$1: bad IPv6 address in $2"
      l_host=$(printf '%s' "$l_host" | tr A-F a-f)
      l_name=ipv6-$(printf '%s' "$l_host" | tr : _) ;;
    \[*\])
      die100 "$1: no port in $2 (want ADDR:PORT, as [::]:25)" ;;
    *:*:*)
      die100 "$1: an IPv6 address goes in brackets, as [::1]:25: $2" ;;
    *:*)
      l_host=${2%:*}; l_port=${2##*:}
      is_ip4 "$l_host" || die100 "$1: bad IPv4 address in $2 (want a literal such as 0.0.0.0 or 127.0.0.1)"
      l_name=$l_host ;;
    *)
      die100 "$1: want ADDR:PORT, as 0.0.0.0:25 or [::]:25: $2" ;;
  esac
  is_uint "$l_port" && [ "$l_port" -ge 1 ] && [ "$l_port" -le 65535 ] ||
    die100 "$1: bad port in $2"
}

# --cert, --key, --certdir, --users FILE -> f_path: absolute, and fit
# for an execline script (the file itself may come later: a warning)
parse_file() {
  case $2 in /*) f_path=$2 ;; *) f_path=$(pwd)/$2 ;; esac
  case $f_path in ?*/) f_path=${f_path%/} ;; esac
  is_safe_path "$f_path" ||
    die100 "$1: want a path of letters, digits and ._/+,@=:- (it goes unquoted into execline scripts): $2"
}

# --route 'PATTERN TARGETS [OPTIONS]' (call it under set -f: * is a pattern)
check_route() {
  cr_route=$1
  set -- $1
  [ $# -ge 2 ] || die100 "--route: want 'PATTERN TARGETS [KEY=VALUE ...]': $cr_route"
  case $1 in
    '*') ;;
    '*.'*) is_domain "${1#??}" || die100 "--route: bad pattern $1: $cr_route" ;;
    *) is_domain "$1" ||
         die100 "--route: bad pattern $1 (want example.com, *.example.com or *): $cr_route" ;;
  esac
  cr_pat=$1 cr_targets=$2; shift 2
  # the line as written: the pattern in a column, single spaces after it
  cr_line=$(printf '%-16s %s' "$cr_pat" "$cr_targets")
  for cr_opt in "$@"; do
    case $cr_opt in
      [a-z]*=?*) cr_line="$cr_line $cr_opt" ;;
      *) die100 "--route: bad option $cr_opt (want KEY=VALUE): $cr_route" ;;
    esac
  done
  case $cr_targets in ,*|*,|*,,*) die100 "--route: empty target in $cr_targets: $cr_route" ;; esac
  cr_ifs=$IFS; IFS=,; set -- $cr_targets; IFS=$cr_ifs
  for cr_t in "$@"; do
    case $cr_t in
      mx|smtp:?*|maildir:/?*) ;;
      *) die100 "--route: bad target $cr_t (want smtp:HOST:PORT, smtp:[IP]:PORT, mx or maildir:/PATH): $cr_route" ;;
    esac
  done
}

# --filter 'PROG ARGS...': one line of the run script, between dcr-smtpd
# and dcr-enqueue (execline syntax: braces are blocks, as dcr-when wants)
check_filter() {
  cf_cmd=$1
  set -f; set -- $1; set +f
  [ $# -ge 1 ] || die100 "--filter: an empty command"
  case $1 in
    dcr-enqueue|*/dcr-enqueue) die100 "--filter: dcr-enqueue ends every chain already: $cf_cmd" ;;
    [{}]*|-*) die100 "--filter: want a program first: $cf_cmd" ;;
  esac
  cf_open=0 cf_close=0
  for cf_w; do
    case $cf_w in '{') cf_open=$((cf_open+1)) ;; '}') cf_close=$((cf_close+1)) ;; esac
    case $cf_w in *'#'*|*'$'*|*"'"*|*'\\'*)
      die100 "--filter: '#', '\$', single quotes and backslashes are not taken (the line goes into an execline script; a word with blanks goes in double quotes): $cf_cmd" ;;
    esac
  done
  [ $cf_open = $cf_close ] || die100 "--filter: { and } do not pair up: $cf_cmd"
  cf_q=$(printf '%s' "$cf_cmd" | tr -cd '"' | wc -c)
  [ $((cf_q % 2)) = 0 ] || die100 "--filter: a double quote is not closed: $cf_cmd"
}

# --sni [MODE:]ADDR:PORT[:NAME] -> sni_l, a dcr-sniproxy listener
# (tls:, http:, forward:...:NAME; no mode: tls)
check_sni() {
  case $1 in
    tls:*|http:*) sni_mode=${1%%:*}; sni_rest=${1#*:} ;;
    forward:*)
      sni_mode=forward; sni_rest=${1#forward:}
      sni_name=${sni_rest##*:}; sni_rest=${sni_rest%:*}
      case $sni_name in ''|*[!A-Za-z0-9._-]*) die100 "--sni: forward:ADDR:PORT:NAME wants a NAME of letters, digits, '.', '-': $1" ;; esac ;;
    [a-z]*:*:*) die100 "--sni: the mode is tls:, http: or forward: (ADDR:PORT alone is tls): $1" ;;
    *) sni_mode=tls; sni_rest=$1 ;;
  esac
  parse_listener --sni "$sni_rest"
  case $l_host in *:*) sni_l="$sni_mode:[$l_host]:$l_port" ;; *) sni_l="$sni_mode:$l_host:$l_port" ;; esac
  [ $sni_mode != forward ] || sni_l="$sni_l:$sni_name"
}

# --sni-rule 'PATTERN TARGET... [KEY=VALUE...]': one line of conf/sni-rules,
# checked whole by dcr-sniproxy itself when it starts (doc/dcr-sniproxy.md)
check_sni_rule() {
  sr_rule=$1
  set -f; set -- $1; set +f
  [ $# -ge 2 ] || die100 "--sni-rule: want 'PATTERN TARGET... [KEY=VALUE ...]': $sr_rule"
  case $1 in *[!A-Za-z0-9.*:_-]*) die100 "--sni-rule: bad pattern $1: $sr_rule" ;; esac
  case $sr_rule in *'#'*) die100 "--sni-rule: '#' starts a comment there: $sr_rule" ;; esac
}

# --relay-net CIDR -> r_net (with its prefix length)
parse_net() {
  case $1 in
    */*) r_addr=${1%/*}; r_len=${1##*/} ;;
    *) r_addr=$1; r_len=all ;;
  esac
  if is_ip4 "$r_addr"; then r_max=32
  elif is_ip6 "$r_addr"; then r_max=128; r_addr=$(printf '%s' "$r_addr" | tr A-F a-f)
  else die100 "--relay-net: bad address in $1 (want a CIDR such as 192.0.2.0/24 or 2001:db8::/32)"
  fi
  [ "$r_len" != all ] || r_len=$r_max
  is_uint "$r_len" || die100 "--relay-net: bad prefix length in $1"
  [ "$r_len" -le $r_max ] || die100 "--relay-net: prefix length over $r_max in $1"
  r_net=$r_addr/$r_len
}

# the TLS and AUTH options together (doc/tls.md)
has_listener() { case "$nl$listen_list" in *"$nl$1 "*) return 0 ;; esac; return 1; }
check_tls_auth() {
  [ -z "$key" ] || [ -n "$cert" ] ||
    die100 "--key: give --cert FILE too (the certificate chain that goes with the key)"
  for ct_kind in smtps submission; do
    has_listener $ct_kind && [ -z "$cert$certdir" ] &&
      die100 "--$ct_kind: needs a certificate: give --cert FILE --key FILE (or --certdir DIR)"
  done
  has_listener submission && [ -z "$users" ] &&
    die100 "--submission: needs --users FILE (AUTH is required before MAIL there)"
  if [ -n "$users" ] && [ -z "$cert$certdir" ]; then
    warn "--users without --cert: AUTH is offered only to clients that conf/tcprules gives AUTH_WITHOUT_TLS"
  fi
  for ct_f in "$cert" "$key" "$users"; do
    [ -z "$ct_f" ] || [ -f "$ct_f" ] || warn "$ct_f: no such file (yet)"
  done
  [ -z "$certdir" ] || [ -d "$certdir" ] || warn "$certdir: no such directory (yet)"
  if [ -n "$cert" ] && [ -z "$key" ] && [ -f "$cert" ] && ! grep -q 'PRIVATE KEY-' "$cert"; then
    warn "$cert holds no private key: give --key FILE"
  fi
  for ct_f in "$key" "$users"; do
    if [ -n "$ct_f" ] && [ -f "$ct_f" ] && [ -n "$(find -H "$ct_f" -prune -perm -004)" ]; then
      warn "$ct_f is readable by every user: chmod o-r it"
    fi
  done
  return 0
}

# ------------------------------------------------------------ options

dir='' hostname='' bindir='' basedir='' force=0 one_domain=0
max_conns=1000 max_per_ip=50 max_size=52428800 max_rcpt=1000 prestart=8
listen_list='' route_list='' relay_list='' filter_list='' sni_list='' snirule_list='' only_args=0
cert='' key='' certdir='' users=''

while [ $# -gt 0 ]; do
  arg=$1; shift
  if [ $only_args = 1 ]; then opt=; else
    case $arg in
      --) only_args=1; continue ;;
      -h|--help) printf 'usage: %s\n' "$USAGE"; exit 0 ;;
      --*=*) opt=${arg%%=*}; val=${arg#*=}; hasval=1 ;;
      --?*) opt=$arg; hasval=0 ;;
      -?*) dieusage "unknown option $arg" ;;
      *) opt= ;;
    esac
  fi
  if [ -z "$opt" ]; then
    [ -z "$dir" ] || dieusage "one dir only: $dir, then $arg"
    [ -n "$arg" ] || dieusage "empty dir"
    dir=$arg
    continue
  fi
  case $opt in
    --force|--one-domain)
      [ $hasval = 0 ] || dieusage "option $opt takes no argument"
      case $opt in --force) force=1 ;; *) one_domain=1 ;; esac
      continue ;;
    --hostname|--smtp|--smtps|--submission|--cert|--key|--certdir|--users|\
    --route|--relay-net|--filter|--sni|--sni-rule|--max-conns|--max-per-ip|--max-size|--prestart|--bindir|--basedir) ;;
    *) dieusage "unknown option $opt" ;;
  esac
  if [ $hasval = 0 ]; then
    [ $# -gt 0 ] || dieusage "option $opt needs an argument"
    val=$1; shift
  fi
  case $val in *"$nl"*) die100 "$opt: a newline in the argument" ;; esac
  case $opt in
    --hostname)
      is_domain "$val" || die100 "--hostname: bad name $val (want letters, digits, hyphens and dots)"
      hostname=$val ;;
    --smtp|--smtps|--submission)
      # one list of listeners, a line each: KIND NAME PORT HOST
      parse_listener "$opt" "$val"
      case "$nl$listen_list" in *" $l_name $l_port $l_host$nl"*)
        die100 "$opt: $val given twice (each address and port is one listener)" ;; esac
      listen_list="$listen_list${opt#--} $l_name $l_port $l_host$nl" ;;
    --cert|--key|--certdir|--users)
      parse_file "$opt" "$val"
      case $opt in
        --cert) cert=$f_path ;;
        --key) key=$f_path ;;
        --certdir) certdir=$f_path ;;
        --users) users=$f_path ;;
      esac ;;
    --route)
      set -f; check_route "$val"; set +f
      route_list="$route_list$cr_line$nl" ;;
    --sni)
      check_sni "$val"
      case "$sni_list " in *" $sni_l "*) die100 "--sni: $val given twice" ;; esac
      sni_list="$sni_list $sni_l" ;;
    --sni-rule)
      check_sni_rule "$val"
      snirule_list="$snirule_list$val$nl" ;;
    --filter)
      check_filter "$val"
      filter_list="$filter_list$val$nl" ;;
    --relay-net)
      parse_net "$val"
      case "$nl$relay_list" in
        *"$nl$r_net$nl"*) ;;          # given twice: one rule
        *) relay_list="$relay_list$r_net$nl" ;;
      esac ;;
    --max-conns|--max-per-ip|--max-size)
      is_uint "$val" && [ "$val" -ge 1 ] || die100 "$opt: want a number from 1: $val"
      case $opt in
        --max-conns) max_conns=$val ;;
        --max-per-ip) max_per_ip=$val ;;
        --max-size) max_size=$val ;;
      esac ;;
    --prestart)
      is_uint "$val" && [ "$val" -le 100000 ] || die100 "--prestart: want a number from 0 to 100000: $val"
      prestart=$val ;;
    --bindir)
      is_safe_path "$val" || die100 "--bindir: want an absolute path of letters, digits and ._/+,@=:- : $val"
      case $val in ?*/) val=${val%/} ;; esac
      bindir=$val ;;
    --basedir)
      is_safe_path "$val" || die100 "--basedir: want an absolute path of letters, digits and ._/+,@=:- : $val"
      case $val in ?*/) val=${val%/} ;; esac
      basedir=$val ;;
  esac
done

[ -n "$dir" ] || dieusage "no dir given"
case $dir in -*) dir=./$dir ;; esac
[ -n "$listen_list$sni_list" ] ||
  die100 "no listener: give --smtp ADDR:PORT (e.g. --smtp 0.0.0.0:25), --smtps, --submission or --sni"
[ -z "$snirule_list" ] || [ -n "$sni_list" ] || die100 "--sni-rule: give --sni ADDR:PORT too (the listener the rules are for)"
[ -z "$sni_list" ] || [ -n "$snirule_list" ] || warn "--sni without --sni-rule: every connection will be refused (add rules to conf/sni-rules)"
check_tls_auth
if [ -n "$listen_list" ] && [ -z "$route_list" ] && [ -z "$relay_list" ]; then
  warn "no --route and no --relay-net: this instance will refuse every recipient"
fi
[ -n "$hostname" ] || hostname=$(uname -n)

# the instance directory: refuse a non-empty one without --force
if [ -e "$dir" ] || [ -L "$dir" ]; then
  [ -d "$dir" ] || die100 "$dir exists and is not a directory"
  if [ $force = 0 ] && [ -n "$(ls -A "$dir")" ]; then
    die100 "$dir exists and is not empty (--force rewrites its conf/ and service/, and keeps the queue)"
  fi
fi
case $dir in /*) absdir=$dir ;; *) absdir=$(pwd)/$dir ;; esac
if [ -z "$basedir" ]; then
  is_safe_path "$absdir" ||
    die100 "$absdir: the instance path must be letters, digits and ._/+,@=:- only (it goes unquoted into execline scripts)"
fi
if [ -z "$bindir" ]; then
  case $0 in */*) bindir=${0%/*} ;; *) bindir=. ;; esac
  bindir=$(cd "$bindir" && pwd) || die111 "unable to find the directory of $0"
  is_safe_path "$bindir" || die100 "$bindir: give --bindir: this path cannot go unquoted into execline scripts"
fi
missing=
progs="dcr-tcpd dcr-smtpd dcr-enqueue dcr-queued"
[ -z "$sni_list" ] || progs="$progs dcr-sniproxy"
[ -z "$cert$certdir" ] || progs="$progs dcr-tlsd"
[ -z "$users" ] || progs="$progs dcr-checkpass"
for p in $progs; do
  [ -x "$bindir/$p" ] || missing="$missing $p"
done
[ -z "$missing" ] ||
  warn "not in $bindir (yet):$missing; the services need them to start"

# ------------------------------------------------------------ writing

umask 022
# the rules as dcr-tcpd will load them (host bits after the prefix,
# say), checked by the dcr-tcpd beside this script, before anything is
# written
check_relay_nets() {
  case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
  [ -x "$here/dcr-tcpd" ] && [ -n "$relay_list" ] || return 0
  rules_tmp=$(mktemp) || die111 "unable to make a temporary file"
  printf '%s' "$relay_list" | sed 's/$/ allow RELAYCLIENT=/' > "$rules_tmp"
  if ! rules_err=$("$here/dcr-tcpd" -k -r "$rules_tmp" 2>&1 >/dev/null); then
    rm -f "$rules_tmp"
    die100 "--relay-net: ${rules_err#*: fatal: $rules_tmp:*: }"
  fi
  rm -f "$rules_tmp"
}

check_relay_nets
mkdir -p "$dir" || die111 "unable to mkdir $dir"
absdir=$(cd "$dir" && pwd) || die111 "unable to chdir to $dir"
[ -n "$basedir" ] || basedir=$absdir
is_safe_path "$basedir" || die100 "$basedir: the instance path must be letters, digits and ._/+,@=:- only"

# mkd MODE PATH: make a directory unless it exists
mkd() {
  [ -d "$2" ] || mkdir -m "$1" "$2" || die111 "unable to mkdir $2"
}

# put MODE PATH FUNCTION: write what FUNCTION prints to PATH, atomically
put() {
  put_tmp=$2.dcr-setup.tmp
  "$3" > "$put_tmp" || die111 "unable to write $put_tmp"
  chmod "$1" "$put_tmp" || die111 "unable to chmod $put_tmp"
  mv -f "$put_tmp" "$2" || die111 "unable to rename $put_tmp to $2"
}

gen_hostname() { printf '%s\n' "$hostname"; }
gen_max_size() { printf '%s\n' "$max_size"; }
gen_max_rcpt() { printf '%s\n' "$max_rcpt"; }
gen_one_domain() { printf '1\n'; }

gen_routes() {
  cat <<'EOF'
# routes: where mail goes, and which domains this gateway accepts mail for.
# Written by dcr-setup; edit at will: dcr-smtpd reads it at each connection,
# dcr-qrun when it changes (a broken file is refused, the old table kept).
# One rule a line:   PATTERN   TARGETS   [KEY=VALUE ...]
#   PATTERN  example.com, *.example.com (its subdomains) or * (the default);
#            the most specific one wins
#   TARGETS  comma-separated: smtp:HOST:PORT  smtp:[IP]:PORT  mx  maildir:/PATH
#   OPTIONS  balance=ordered|roundrobin|random  tls=none|may|encrypt|verify
#            sender=PATTERN  rate=MSGS-PER-MINUTE  concurrency=N
#            ca=FILE (for tls=verify)  auth=FILE (user:password, over TLS)
# Mail for the domain of any pattern but * is accepted from anyone; for
# other domains only from relay clients (conf/tcprules). doc/routes.md.
EOF
  if [ -z "$route_list" ]; then
    printf '%s\n' "# No route was given: no domain is accepted from outside;" \
      "# only relay clients (conf/tcprules) may send mail."
  else
    printf '%s' "$route_list"
  fi
}

gen_tcprules() {
  cat <<'EOF'
# tcprules: dcr-tcpd's access rules, read again when the file changes.
# Written by dcr-setup; edit at will.
# One rule a line:   CIDR   allow|deny   [VAR=value ...]   [msg="reply line"]
# The longest matching prefix wins; a client no rule matches is allowed.
# RELAYCLIENT= lets a client send mail to any domain, not only to those
# of conf/routes. doc/dcr-setup.md.
EOF
  if [ -z "$relay_list" ]; then
    printf '%s\n' "# No relay network was given: no client may relay."
  else
    printf '%s' "$relay_list" | while IFS= read -r net; do
      printf '%-24s allow RELAYCLIENT=\n' "$net"
    done
  fi
}

# the service of one listener: $s_kind (smtp, smtps, submission), $s_name,
# $s_host, $s_port, $s_listen
gen_smtpd_run() {
  g_tlsd='' g_auth=''
  [ -z "$users" ] || g_auth=" -a $basedir/conf/checkpassword"
  [ $s_kind != submission ] || g_auth=" -r$g_auth"
  if [ -n "$cert$certdir" ]; then
    g_tlsd="$bindir/dcr-tlsd"
    [ $s_kind = smtps ] || g_tlsd="$g_tlsd -s"
    [ -z "$cert" ] || g_tlsd="$g_tlsd -c $cert"
    [ -z "$key" ] || g_tlsd="$g_tlsd -k $key"
    [ -z "$certdir" ] || g_tlsd="$g_tlsd -d $certdir"
  fi
  printf '#!%s -P\n' "$EXECLINEB"
  case $s_kind in
    smtp) printf '# dcrouter SMTP listener on %s, written by dcr-setup.\n' "$s_listen" ;;
    smtps) printf '# dcrouter SMTPS listener (implicit TLS) on %s, written by dcr-setup.\n' "$s_listen" ;;
    submission) printf '# dcrouter submission listener (AUTH before MAIL) on %s, written by dcr-setup.\n' "$s_listen" ;;
  esac
  if [ -z "$g_tlsd" ]; then
    cat <<'EOF'
# dcr-tcpd accepts connections (limits, conf/tcprules) and signals
# readiness on fd 3, dcr-smtpd speaks SMTP, dcr-enqueue commits each
# message to the queue (built into dcr-smtpd and handed to
# service/queued when it runs). stderr goes to the logger (log/run).
EOF
    [ "$prestart" = 0 ] || cat <<'EOF'
# -P: dcr-smtpd processes are started before their connections, and each
# serves one after another (doc/dcr-tcpd.md, "Pre-started sessions").
EOF
  else
    cat <<'EOF'
# dcr-tcpd accepts connections (limits, conf/tcprules) and signals
# readiness on fd 3; dcr-tlsd does TLS (-s: STARTTLS when the client
# asks; without -s: a handshake first), reading its certificate at each
# connection; dcr-smtpd speaks SMTP (-a: AUTH by conf/checkpassword; -r:
# AUTH before MAIL); dcr-enqueue commits each message to the queue
# (through service/queued when it runs). stderr goes to the logger (log/run). doc/tls.md.
EOF
  fi
  if [ -n "$filter_list" ]; then
    printf '%s\n' '# the filters (--filter) run from the instance directory (their' \
      '# relative paths are under it) and find dcrouter programs in PATH.' \
      "cd $basedir" "export PATH $bindir:/usr/bin:/bin"
  fi
  g_pre=''
  [ -n "$g_tlsd" ] || [ "$prestart" = 0 ] || g_pre=" -P $prestart"
  printf '%s\n' 'fdmove -c 2 1' \
    "$bindir/dcr-tcpd -d 3$g_pre -c $max_conns -C $max_per_ip -r $basedir/conf/tcprules $s_host $s_port"
  [ -z "$g_tlsd" ] || printf '%s\n' "$g_tlsd"
  printf '%s\n' "$bindir/dcr-smtpd -c $basedir/conf -S $basedir/queue/tmp$g_auth"
  [ -z "$filter_list" ] || printf '%s' "$filter_list"
  printf '%s\n' "$bindir/dcr-enqueue $basedir/queue"
}

# AUTH's checkpassword program (dcr-smtpd -a), when --users is given
gen_checkpassword() {
  cat <<EOF
#!$EXECLINEB -S0
# dcrouter's AUTH checker, written by dcr-setup: dcr-smtpd -a runs it as
# "checkpassword true" with the credentials on fd 3 (doc/dcr-checkpass.md).
# dcr-setup --force writes it again: see doc/tls.md to add -o VERIFIER.
$bindir/dcr-checkpass -u $users \$@
EOF
}

# the runner: one for the queue, whatever the listeners
gen_qrun_run() {
  cat <<EOF
#!$EXECLINEB -P
# dcrouter's runner, written by dcr-setup: delivers what is in the queue
# by conf/routes, retries, bounces. Its agents (dcr-remote, dcr-maildir,
# dcr-mx) are found in PATH. Readiness on fd 3 once the queue is scanned.
fdmove -c 2 1
export PATH $bindir:/usr/bin:/bin
$bindir/dcr-qrun -d 3 -c $basedir/conf $basedir/queue
EOF
}

# the queue writer: commits the listeners' messages in batches, one
# sync for all; without it each message is committed by its own
# dcr-enqueue, which is slower and as safe
gen_queued_run() {
  cat <<EOF
#!$EXECLINEB -P
# dcrouter's queue writer, written by dcr-setup: dcr-smtpd hands it each
# message over queue/submit, and it commits all that arrive together
# with one sync (doc/dcr-queued.md). Readiness on fd 3 once it listens.
fdmove -c 2 1
$bindir/dcr-queued -d 3 $basedir/queue
EOF
}

# the SNI splicer, when --sni is given
gen_sniproxy_run() {
  cat <<EOF
#!$EXECLINEB -P
# dcrouter's TLS SNI splicer, written by dcr-setup: routes TLS by the
# ClientHello's server name (http: by Host, forward: as it is) to the
# targets of conf/sni-rules, without terminating TLS. s6-svc -h reloads
# the rules. Readiness on fd 3 once every listener is bound.
fdmove -c 2 1
$bindir/dcr-sniproxy -d 3 $basedir/conf/sni-rules$sni_list
EOF
}

gen_sni_rules() {
  cat <<'EOF'
# sni-rules: dcr-sniproxy's routes, written by dcr-setup; edit at will, then
# s6-svc -h DIR/service/sniproxy (a broken file is refused, the old rules
# kept). One rule a line:   PATTERN   TARGET...   [KEY=VALUE ...]
#   PATTERN  name.example.com, *.example.com, * ; for one mode: http:NAME
#   TARGET   HOST:PORT or [IPv6]:PORT
#   OPTIONS  balance=ordered|roundrobin|random allow=CIDR,... deny=CIDR,...
#            connect-timeout=S idle-timeout=S proxy=v1|v2 max-conns=N
# doc/dcr-sniproxy.md.
EOF
  printf '%s' "$snirule_list"
}

gen_notification_fd() { printf '3\n'; }

gen_log_run() {
  cat <<EOF
#!$EXECLINEB -P
s6-log -b n20 s1000000 t $basedir/log/$s_name
EOF
}

# conf/
mkd 0755 "$dir/conf"
put 0644 "$dir/conf/hostname" gen_hostname
put 0644 "$dir/conf/max-size" gen_max_size
put 0644 "$dir/conf/max-rcpt" gen_max_rcpt
if [ $one_domain = 1 ]; then
  put 0644 "$dir/conf/one-domain" gen_one_domain
else
  rm -f "$dir/conf/one-domain" || die111 "unable to remove $dir/conf/one-domain"
fi
put 0644 "$dir/conf/routes" gen_routes
put 0644 "$dir/conf/tcprules" gen_tcprules
if [ -n "$users" ]; then
  put 0755 "$dir/conf/checkpassword" gen_checkpassword
else
  rm -f "$dir/conf/checkpassword" || die111 "unable to remove $dir/conf/checkpassword"
fi

# queue/: made when missing, its contents never touched
mkd 0750 "$dir/queue"
for d in tmp mess new env; do mkd 0750 "$dir/queue/$d"; done
# the hashed subdirectories (00..3f, DCR_QID_SPLIT), made now so that the
# first messages do not each pay a mkdir and a directory fsync
for h in 0 1 2 3; do for l in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
  mkd 0750 "$dir/queue/mess/$h$l"; mkd 0750 "$dir/queue/env/$h$l"
done; done
if [ ! -e "$dir/queue/trigger" ] && [ ! -L "$dir/queue/trigger" ]; then
  mkfifo -m 0640 "$dir/queue/trigger" || die111 "unable to mkfifo $dir/queue/trigger"
fi
if [ ! -e "$dir/queue/control" ] && [ ! -L "$dir/queue/control" ]; then
  mkfifo -m 0660 "$dir/queue/control" || die111 "unable to mkfifo $dir/queue/control"
fi
if [ ! -e "$dir/queue/lock" ] && [ ! -L "$dir/queue/lock" ]; then
  : > "$dir/queue/lock" && chmod 0640 "$dir/queue/lock" ||
    die111 "unable to create $dir/queue/lock"
fi

# service/ and log/
mkd 0755 "$dir/service"
mkd 0750 "$dir/log"
wanted=
while read -r s_kind s_name s_port s_host; do
  [ -n "$s_kind" ] || continue
  case $s_host in *:*) s_listen="[$s_host]:$s_port" ;; *) s_listen=$s_host:$s_port ;; esac
  case $s_kind in smtp) s_name=smtpd-$s_name-$s_port ;; *) s_name=$s_kind-$s_name-$s_port ;; esac
  wanted="$wanted $s_name "
  mkd 0755 "$dir/service/$s_name"
  mkd 0755 "$dir/service/$s_name/log"
  mkd 0750 "$dir/log/$s_name"
  put 0755 "$dir/service/$s_name/run" gen_smtpd_run
  put 0644 "$dir/service/$s_name/notification-fd" gen_notification_fd
  put 0755 "$dir/service/$s_name/log/run" gen_log_run
done <<EOF
$listen_list
EOF

s_name=queued
mkd 0755 "$dir/service/queued"
mkd 0755 "$dir/service/queued/log"
mkd 0750 "$dir/log/queued"
put 0755 "$dir/service/queued/run" gen_queued_run
put 0644 "$dir/service/queued/notification-fd" gen_notification_fd
put 0755 "$dir/service/queued/log/run" gen_log_run

s_name=qrun
mkd 0755 "$dir/service/qrun"
mkd 0755 "$dir/service/qrun/log"
mkd 0750 "$dir/log/qrun"
put 0755 "$dir/service/qrun/run" gen_qrun_run
put 0644 "$dir/service/qrun/notification-fd" gen_notification_fd
put 0755 "$dir/service/qrun/log/run" gen_log_run

# the SNI splicer: its service with --sni, none without
if [ -n "$sni_list" ]; then
  s_name=sniproxy
  put 0644 "$dir/conf/sni-rules" gen_sni_rules
  mkd 0755 "$dir/service/sniproxy"
  mkd 0755 "$dir/service/sniproxy/log"
  mkd 0750 "$dir/log/sniproxy"
  put 0755 "$dir/service/sniproxy/run" gen_sniproxy_run
  put 0644 "$dir/service/sniproxy/notification-fd" gen_notification_fd
  put 0755 "$dir/service/sniproxy/log/run" gen_log_run
else
  rm -rf "$dir/service/sniproxy" || die111 "unable to remove $dir/service/sniproxy"
fi

# listeners dropped since the last run: remove their services, keep logs
for s in "$dir"/service/smtpd-* "$dir"/service/smtps-* "$dir"/service/submission-*; do
  [ -d "$s" ] || continue
  case $wanted in *" ${s##*/} "*) ;; *) rm -rf "$s" || die111 "unable to remove $s" ;; esac
done
exit 0
