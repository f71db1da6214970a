/* ISC license. */
/* placeholder: being written */
typedef int dcr_placeholder_esmtp ;
