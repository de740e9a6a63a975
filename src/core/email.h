/*
 * email.h - the one definition of an acceptable e-mail address and of its
 * canonical form (used for every lookup and uniqueness check).
 */
#ifndef EMAIL_H
#define EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#define EMAIL_MAX 254

/*
 * Checks in (trimmed of surrounding white space) and writes its canonical
 * form, lower case, into out. Accepts local@domain with printable ASCII
 * atoms, a dotted domain of letters, digits and hyphens, no quoting, no
 * CR/LF/NUL. Returns false when the address is not acceptable.
 */
bool email_canonical(const char *in, char out[EMAIL_MAX + 1]);

#endif
