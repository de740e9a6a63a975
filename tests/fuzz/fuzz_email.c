/* Fuzz target: the e-mail canonicaliser, which sees every typed address.
 * Checks the invariants of an accepted address, not just "no crash". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/email.h"
#include "core/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[EMAIL_MAX + 1], again[EMAIL_MAX + 1];
	char *s = xstrndup((const char *)data, size);
	size_t i;

	if (email_canonical(s, out)) {
		/* Accepted: bounded, one '@', no byte that could break a
		 * header or a URL, and canonical form is a fixed point. */
		if (strlen(out) > EMAIL_MAX || strchr(out, '@') == NULL ||
		    strchr(out, '@') != strrchr(out, '@'))
			abort();
		for (i = 0; out[i] != '\0'; i++)
			if ((unsigned char)out[i] <= 0x20 ||
			    (unsigned char)out[i] >= 0x7f ||
			    (out[i] >= 'A' && out[i] <= 'Z'))
				abort();
		if (!email_canonical(out, again) || strcmp(out, again) != 0)
			abort();
	}
	xfree(s);
	return 0;
}
