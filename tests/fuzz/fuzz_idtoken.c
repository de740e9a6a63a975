/*
 * fuzz_idtoken.c - rp_validate_id_token() on arbitrary bytes as an ID
 * token, against a cache seeded (rp_cache_seed, no network) with a
 * discovery document and a JWKS of three fixture keys, one per
 * algorithm, and a fixed clock, so that no JWKS refetch is ever due.
 * The same bytes also go to rp_claims_check() as a claims payload, so
 * the claim rules are fuzzed past the signature check too. The keys are
 * fixtures (the same as fuzz_jws.c's) so that the seeds in
 * corpus/idtoken/ that carry valid signatures reach the claims.
 * Any broken invariant aborts:
 *   - the answer is OP_OK or OP_E_DENIED (OP_E_INTERNAL would mean the
 *     relying party tried the network);
 *   - OP_OK comes with an identity: our issuer, a sub of 1 to 255 bytes,
 *     the raw token; a refusal leaves the identity empty;
 *   - rp_claims_check answers OP_OK or OP_E_DENIED likewise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "business/rp.h"
#include "business/rp_internal.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/xmalloc.h"
#include "crypto/jose.h"

#define FUZZ_NOW ((int64_t)1700000000)
#define FUZZ_ISS "https://op.example"
#define FUZZ_CLIENT "portal-1"
#define FUZZ_NONCE "n-0S6_WzA2Mj"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Test fixtures: these keys sign nothing but the fuzz seeds. */
static const char pem_rs256[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDiVt16n6sZ9/bF\n"
	"vsEDYVvE2uld0GZipAsDtzZqc3OizUUMjyRjdKQdorqZyHjqR0Yn2hU/Mg48fSGw\n"
	"3SLibCS4GeHtPkprXjoGrWzE0jzPW+UlmVgClZjXJEaA+nK4VlM7G/aGmoF+TQyL\n"
	"+UkQLTHs7zJiNMWvQV8UwoPm82c8MlHylbKw1R4gScPP7U8sQAFPWy5rHyYQmpLh\n"
	"QMocP2ty3LO6IRNl8DOCncPMSce23QiDbKyGmgKjhbNW3UTpiJgYRCKA1+TonR5o\n"
	"7J8ckxCzpEv5QbP/1rdI/6HoOS0j6v829WkbdvRwOqSBbO1idcClsl7bicVXvYWz\n"
	"vbQcbuwVAgMBAAECggEAD1rRP6ZhVyupRBUCxxXtwdcQCds/duWmEaR2PpaCe8Lt\n"
	"MkLrtwuMrq4BdrlQ6qPXMJDs7BKbQKNEi9kUqsOnYg3vc8bMCaikyxssy9VvZqnX\n"
	"S8uxWsuHSOEfH1TeP38rulDVUqBctJLJjR1mRYCraGV5x4vI9XC74I6poBtXH5Ax\n"
	"qt17O6dGOGYq9LgMXK+wogRvh840tDR+McJza40BZQkRD8yCPDcqeLKwBJ5iVAUf\n"
	"7nMl7Gs4fAb6nTpmPGWHPIkHB3BFncRiwH9wOlfFvSPOx7mGizxriNZ33MW/oC2g\n"
	"bWM6aoEIL928VI6j8D6WErmwmI7kFEMXLH47rW7AwQKBgQD62fxhIPntON4IjBCf\n"
	"YRuE56qVtyluuaMy8XwfJt3/EVCYIi0oINJeBc+504jqB0R+pdClKGLfiCmONwaA\n"
	"Q0PR7DALb3/LFuvxS6QtZgMqhdJCJJKVzOrDP0SGYUCj7LIafx4gN8QbtumcPSOa\n"
	"2fPsiNggOMRWtVBUO60O6ie1HQKBgQDm/BabUF+/Qprec/Dkfo7uxoUXmFYwzz1A\n"
	"8bBU7yMuxKxYzwYcvzhlcenATzcUmAUFklkZeRjMUdyC2jlgLzUEs0LBPzfLn5j2\n"
	"elIw5AzXu0M+t0z8h0c7BOTexEIZoVPOUZlXEctV90bjDaUTfWvuEDLXcD7jkgGq\n"
	"pBcVnIu5WQKBgQDmHgJ/t5iOHZTRkmvNSW/NRBggr526jWFA4nZSvXz4+BFO/kse\n"
	"fL1+syYT+hGnXnNfGw2D9MB+/pHgfGniT9JvSJPqaaZ5z9UxzYoWe3Z8E7cGJjay\n"
	"ZQEXi3p5K834krHvzJz+QSoNooY7ZXq8GyTA3+gj5u91+25tVzEydWtnoQKBgD2e\n"
	"ZD18nH4+O2g6j7m01VZ3WQvpVJzivBl2IC8YOE+CoeNzHtNOY7IUSGJH/46b20MY\n"
	"PnKgLnBbKjMyGfpBvagKVjWNMso8QicGjKSEQbTPPOofJgd74xGohZGz01pZAi1Y\n"
	"8Uob8h11wNBTVIU1gTRZ1+ZHCE/XJGCsM4hNYazJAoGBAJHeKuFLAjSs5rpEqiHE\n"
	"WmGpTvE4YZ3UPwyakiF9fbW8qfg3g7x+q6sO05scDquzJOCengAZV8KpuwtjAyuX\n"
	"nRg25EcD4d8odpMiFWyrxq/sfwBcVDm4Zunplc+rCbA3rKnrRstQCGgZWMo81v51\n"
	"Ba/dj1RcDivskh/CKY/cKbM9\n"
	"-----END PRIVATE KEY-----\n";

static const char pem_es256[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgh5v/UmdUboPKDhKj\n"
	"vG8GEkQny+evrbJPQx/6URQQ1RehRANCAATkByFt+oWU75+ulklpjltZ39x9/jUC\n"
	"Jbn7Ud0E9c+x4cW9eZbwldN61TQIxFjOMO5sdB01ydcrgT2cA+V4tkts\n"
	"-----END PRIVATE KEY-----\n";

static const char pem_eddsa[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEICkQNv1OHWZ2dbJJ1zzYOfM+3wY6f1dNGKZJ7mYZmP1+\n"
	"-----END PRIVATE KEY-----\n";

static struct jose_key *keys[3];
static struct rp_cache *cache;

static int64_t
fixed_now(void)
{
	return FUZZ_NOW;
}

static void
setup(void)
{
	static const struct {
		const char *pem;
		enum jose_alg alg;
	} fixtures[] = {
		{ pem_rs256, JOSE_RS256 },
		{ pem_es256, JOSE_ES256 },
		{ pem_eddsa, JOSE_EDDSA },
	};
	struct rp_cache_config cfg = { .timeout_sec = 1, .now = fixed_now };
	struct buf jwks;
	size_t i;

	if (cache != NULL)
		return;
	buf_init(&jwks, 64 * 1024);
	buf_adds(&jwks, "{\"keys\":[");
	for (i = 0; i < 3; i++) {
		if (jose_key_import_private(fixtures[i].pem, fixtures[i].alg,
					    NULL, &keys[i], NULL) != OP_OK)
			abort();
		if (i > 0)
			buf_addch(&jwks, ',');
		jose_key_public_jwk(keys[i], &jwks);
	}
	buf_adds(&jwks, "]}");
	cache = rp_cache_new(&cfg);
	/* The JWKS URI is a closed port: were a fetch ever tried, it would
	 * fail at once and show as OP_E_INTERNAL. */
	if (rp_cache_seed(cache, FUZZ_ISS,
			  "{\"issuer\":\"" FUZZ_ISS "\","
			  "\"authorization_endpoint\":\"" FUZZ_ISS "/auth\","
			  "\"token_endpoint\":\"" FUZZ_ISS "/token\","
			  "\"jwks_uri\":\"http://127.0.0.1:1/jwks\"}",
			  buf_str(&jwks), NULL) != OP_OK)
		abort();
	buf_release(&jwks);
}

static void
check_identity(enum op_rc rc, const struct rp_identity *id)
{
	size_t n;

	if (rc == OP_E_DENIED) {
		if (id->issuer != NULL || id->subject != NULL ||
		    id->email != NULL || id->id_token != NULL ||
		    id->email_verified || id->auth_time != 0)
			abort();
		return;
	}
	if (rc != OP_OK || id->issuer == NULL || id->subject == NULL ||
	    strcmp(id->issuer, FUZZ_ISS) != 0)
		abort();
	n = strlen(id->subject);
	if (n == 0 || n > RP_SUB_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_expect x = { .issuer = FUZZ_ISS, .client_id = FUZZ_CLIENT,
			       .nonce = FUZZ_NONCE, .now = FUZZ_NOW };
	struct rp_identity id;
	struct op_err err;
	struct arena *a;
	enum op_rc rc;
	char *tok;

	setup();
	a = arena_new();
	tok = xstrndup((const char *)data, size);	/* up to a NUL */
	rc = rp_validate_id_token(cache, FUZZ_ISS, FUZZ_CLIENT, FUZZ_NONCE,
				  tok, a, &id, &err);
	check_identity(rc, &id);
	if (rc == OP_OK && (id.id_token == NULL ||
			    strcmp(id.id_token, tok) != 0))
		abort();
	if (rc == OP_E_DENIED && id.id_token != NULL)
		abort();

	rc = rp_claims_check(&x, (const char *)data, size, a, &id, &err);
	check_identity(rc, &id);
	xfree(tok);
	arena_free(a);
	return 0;
}
