/*
 * password.h - the one place passwords are hashed, checked and judged.
 * argon2id through libsodium; parameters from configuration; a stored hash
 * made with other parameters is rehashed at the next sign-in.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/onepass.h"

#define PASSWORD_HASH_MAX 128

struct password_params {
	unsigned long long opslimit;	/* argon2 passes */
	size_t memlimit_bytes;
	size_t min_length;	/* code points */
	size_t max_length;	/* code points */
};

struct config;
void password_params_from_config(const struct config *cfg,
				 struct password_params *out);

enum op_rc password_hash(const struct password_params *pp, const char *pw,
			 char out[PASSWORD_HASH_MAX]);
/* Constant-time verification; false for any malformed hash. */
bool password_verify(const char *hash, const char *pw);
bool password_needs_rehash(const struct password_params *pp,
			   const char *hash);
/* Runs a verification against a fixed dummy hash, so an unknown account
 * costs the same time as a known one. */
void password_waste_time(const struct password_params *pp, const char *pw);

enum password_problem {
	PASSWORD_OK = 0,
	PASSWORD_TOO_SHORT,
	PASSWORD_TOO_LONG,
	PASSWORD_COMMON,	/* on the blocklist */
	PASSWORD_IS_EMAIL,	/* the account's own address */
	PASSWORD_INVALID,	/* not UTF-8 or holds control characters */
};
/* Judges a new password: length in code points, no composition rules,
 * the blocklist, and not the address itself (email may be NULL). */
enum password_problem password_judge(const struct password_params *pp,
				     const char *pw, const char *email);
/* Writes a sentence for people explaining problem into out. */
void password_problem_text(enum password_problem problem,
			   const struct password_params *pp, char *out,
			   size_t size);

/* True when the lower-cased password is on the common/breached list
 * generated at build time from zxcvbn's frequency lists. */
bool blocklist_contains(const char *pw);

#endif
