/* ISC license. */
#ifndef DKIM_SIGN_H
#define DKIM_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>
#include <skalibs/stralloc.h>

/* The DKIM-Signature field (RFC 6376 3.5) for a header section and a
   body hash, folded at 78 columns, LF line ends (internal form). */

typedef struct dkim_sig_s dkim_sig ;
struct dkim_sig_s
{
  int hrelaxed ;            /* header canonicalization */
  int brelaxed ;            /* body canonicalization */
  char const *domain ;      /* d= */
  char const *selector ;    /* s= */
  uint64_t t ;              /* t=, seconds since the epoch */
  uint64_t x ;              /* x=, 0 for none */
  char const *names ;       /* the header names to sign, ':' separated */
} ;

/* The header names signed by default: every instance present of each,
   and From once more than present (oversigned: a From added later
   breaks the signature). */
#define DKIM_DEFAULT_HEADERS \
  "From:Reply-To:Subject:Date:To:Cc:Resent-Date:Resent-From:Resent-Sender:Resent-To:Resent-Cc:" \
  "In-Reply-To:References:Message-ID:MIME-Version:Content-Type:Content-Transfer-Encoding:" \
  "Content-ID:Content-Description:Content-Disposition:" \
  "List-Id:List-Help:List-Unsubscribe:List-Unsubscribe-Post:List-Subscribe:List-Post:List-Owner:List-Archive:" \
  "Sender:Autocrypt:Openpgp"

/* hdr: the header section (fields, hdrlen octets). bh: the body hash.
   Appends the whole field, its last LF included, to out. 1; 0 out of
   memory; -1 the RSA signature failed. */
extern int dkim_sign (stralloc *out, dkim_sig const *p, char const *hdr, size_t hdrlen,
  unsigned char const *bh, br_rsa_private_key const *sk) ;

/* the h= list that dkim_sign will use, for tests and logs (appended,
   not terminated) */
extern int dkim_hlist (stralloc *out, char const *names, char const *hdr, size_t hdrlen) ;

#endif
