/* ISC license. */
#ifndef DCR_ADDR_H
#define DCR_ADDR_H

#include <stddef.h>

/* RFC 5321 Path parser (4.1.2), strict, for MAIL FROM and RCPT TO.

   Accepted:  optional spaces, "<", Mailbox or nothing, ">".
     Mailbox = Local-part "@" ( Domain / address-literal )
     Local-part: a dot-string of atext, or a quoted string whose content
       holds no "@", "%" or "!" (those could route the mail elsewhere).
     Domain: LDH labels (1..63 octets, no leading or trailing hyphen),
       no trailing dot; address-literal: [d.d.d.d] or [IPv6:...].
     UTF-8 (RFC 6531) in the local part and domain labels when well
       formed; the caller refuses it unless SMTPUTF8 was given.
     Limits: local part 64, domain 255, path 256 octets with <>.
   Refused: no angle brackets, source routes (<@a,@b:u@d>), NUL and
   control characters, unquoted "@" or "\" in the local part, empty or
   doubled dots, general address literals, bad UTF-8.
   <> only with DCR_ADDR_NULLOK (MAIL); <Postmaster> (any case, no
   domain) only with DCR_ADDR_POSTMASTER (RCPT). */

#define DCR_ADDR_LOCALMAX 64
#define DCR_ADDR_DOMAINMAX 255
#define DCR_ADDR_PATHMAX 256

#define DCR_ADDR_NULLOK 0x01
#define DCR_ADDR_POSTMASTER 0x02

enum dcr_addr_kind_e { DCR_ADDR_MAILBOX = 0, DCR_ADDR_NULL, DCR_ADDR_PM } ;

enum dcr_addr_error_e
{
  DCR_ADDR_OK = 0,
  DCR_ADDR_ENOBRACKET,   /* 501 5.5.4: not <...> */
  DCR_ADDR_ESYNTAX,      /* 501 5.1.3 / 5.1.7 */
  DCR_ADDR_ETOOLONG,     /* 501 5.1.3 / 5.1.7 */
  DCR_ADDR_EROUTE,       /* 553 5.1.3: source route */
  DCR_ADDR_EQUOTED,      /* 553 5.1.3: quoted local part with @ % ! */
  DCR_ADDR_ENULL,        /* 501 5.1.3: <> where not allowed */
  DCR_ADDR_EUTF8         /* 553 5.6.7: for the caller: UTF-8 without SMTPUTF8 */
} ;

typedef struct dcr_addr_s dcr_addr ;
struct dcr_addr_s
{
  char addr[DCR_ADDR_PATHMAX] ;  /* the address without <>, NUL-terminated */
  size_t len ;
  size_t at ;                    /* offset of the domain's "@" (len if none) */
  unsigned char kind ;           /* dcr_addr_kind_e */
  unsigned char literal ;        /* the domain is an address literal */
  unsigned char quoted ;         /* the local part is a quoted string */
  unsigned char relayhack ;      /* unquoted local part holds "%" or "!" */
  unsigned char utf8 ;           /* holds non-ASCII (valid UTF-8) */
} ;

/* Parse a path at s (len octets), e.g. the text after "MAIL FROM:".
   Returns DCR_ADDR_OK and sets *used to the offset just after ">", or
   an error. */
extern int dcr_addr_parse (char const *s, size_t len, unsigned int flags, dcr_addr *a, size_t *used) ;

/* Length of the valid UTF-8 sequence at s (2..4), 0 if invalid
   (overlong, surrogate, above U+10FFFF, truncated). */
extern size_t dcr_utf8_seq (char const *s, size_t len) ;

/* 1 if s is a valid domain (no literal) per the rules above. */
extern int dcr_addr_domain (char const *s, size_t len, int utf8) ;

/* The SMTP reply for an error: rcpt=1 for RCPT, 0 for MAIL. */
extern char const *dcr_addr_reply (int err, int rcpt) ;

#endif
