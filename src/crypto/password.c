#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/embed.h"
#include "crypto/password.h"
#include "http/http.h"

void
password_params_from_config(const struct config *cfg,
			    struct password_params *out)
{
	out->opslimit = (unsigned long long)cfg->password_argon2_passes;
	out->memlimit_bytes = (size_t)cfg->password_argon2_memory_kib * 1024;
	out->min_length = (size_t)cfg->password_min_length;
	out->max_length = (size_t)cfg->password_max_length;
}

enum op_rc
password_hash(const struct password_params *pp, const char *pw,
	      char out[PASSWORD_HASH_MAX])
{
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), pp->opslimit,
				  pp->memlimit_bytes,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return OP_E_CRYPTO;
	return OP_OK;
}

bool
password_verify(const char *hash, const char *pw)
{
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0)
		return false;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

bool
password_needs_rehash(const struct password_params *pp, const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, pp->opslimit,
					      pp->memlimit_bytes) != 0;
}

void
password_waste_time(const struct password_params *pp, const char *pw)
{
	/* Costs what a real verification costs: derive a hash with the
	 * configured parameters and throw it away. */
	char tmp[PASSWORD_HASH_MAX];

	if (crypto_pwhash_str_alg(tmp, pw, strlen(pw), pp->opslimit,
				  pp->memlimit_bytes,
				  crypto_pwhash_ALG_ARGON2ID13) == 0)
		sodium_memzero(tmp, sizeof(tmp));
}

/* Binary search in the sorted, newline-separated embedded list. */
bool
blocklist_contains(const char *pw)
{
	const struct embedded_file *f = embedded_blocklist;
	char lower[128];
	size_t n = strlen(pw), i;
	const char *base, *lo, *hi;

	if (f->data == NULL || n == 0 || n >= sizeof(lower))
		return false;
	for (i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)pw[i]);
	lower[n] = '\0';
	base = f->data;
	lo = base;
	hi = base + f->len;
	while (lo < hi) {
		const char *mid = lo + (hi - lo) / 2, *start, *end;
		int c;
		size_t len;

		start = mid;
		while (start > base && start[-1] != '\n')
			start--;
		end = memchr(start, '\n', (size_t)(base + f->len - start));
		if (end == NULL)
			end = base + f->len;
		len = (size_t)(end - start);
		c = memcmp(lower, start, len < n ? len : n);
		if (c == 0)
			c = n < len ? -1 : (n > len ? 1 : 0);
		if (c == 0)
			break;
		if (c < 0)
			hi = start;
		else
			lo = end + 1;
	}
	/* The copy is the password: wipe it whatever the answer. */
	sodium_memzero(lower, sizeof(lower));
	return lo < hi;
}

static bool
has_control(const char *pw)
{
	const unsigned char *p;

	for (p = (const unsigned char *)pw; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

enum password_problem
password_judge(const struct password_params *pp, const char *pw,
	       const char *email)
{
	size_t len;

	if (!utf8_valid(pw, strlen(pw)) || has_control(pw))
		return PASSWORD_INVALID;
	len = utf8_length(pw);
	if (len < pp->min_length)
		return PASSWORD_TOO_SHORT;
	if (len > pp->max_length)
		return PASSWORD_TOO_LONG;
	if (blocklist_contains(pw))
		return PASSWORD_COMMON;
	if (email != NULL && strcasecmp(pw, email) == 0)
		return PASSWORD_IS_EMAIL;
	return PASSWORD_OK;
}

void
password_problem_text(enum password_problem problem,
		      const struct password_params *pp, char *out,
		      size_t size)
{
	switch (problem) {
	case PASSWORD_OK:
		snprintf(out, size, "%s", "");
		return;
	case PASSWORD_TOO_SHORT:
		snprintf(out, size, "Your password is too short: use at least "
			 "%zu characters. A few unrelated words make a good "
			 "long password.", pp->min_length);
		return;
	case PASSWORD_TOO_LONG:
		snprintf(out, size, "Your password is too long: use at most "
			 "%zu characters.", pp->max_length);
		return;
	case PASSWORD_COMMON:
		snprintf(out, size, "%s", "That password is one of the most "
			 "common passwords and is in the lists attackers try "
			 "first. Choose another.");
		return;
	case PASSWORD_IS_EMAIL:
		snprintf(out, size, "%s", "Your password must not be your "
			 "e-mail address.");
		return;
	case PASSWORD_INVALID:
		snprintf(out, size, "%s", "Your password contains control "
			 "characters or bytes that are not text.");
		return;
	}
	snprintf(out, size, "%s", "That password cannot be used.");
}
