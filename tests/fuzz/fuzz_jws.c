/*
 * fuzz_jws.c - jose_jws_parse() on arbitrary bytes and, when the input
 * parses, jose_jws_verify() with three fixed keys, one per algorithm.
 * The keys are fixtures (generated once by jose_key_generate and exported
 * with jose_key_export_private) so that the seeds in corpus/jws/ that
 * carry valid signatures reach the success path too. Any broken
 * invariant aborts:
 *   - parse returns OP_OK or OP_E_INVALID, and a refusal keeps nothing;
 *   - a parsed token has a known alg, a header, a signature, and a
 *     signing input that is the input's first two parts;
 *   - verify returns OP_OK or OP_E_DENIED, and never OP_OK with the key
 *     of another algorithm.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jose.h"

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

static void
load_keys(void)
{
	static const struct {
		const char *pem;
		enum jose_alg alg;
	} fixtures[] = {
		{ pem_rs256, JOSE_RS256 },
		{ pem_es256, JOSE_ES256 },
		{ pem_eddsa, JOSE_EDDSA },
	};
	size_t i;

	if (keys[0] != NULL)
		return;
	for (i = 0; i < 3; i++)
		if (jose_key_import_private(fixtures[i].pem, fixtures[i].alg,
					    NULL, &keys[i], NULL) != OP_OK)
			abort();
}

static void
check_refused(const struct jose_jws *j)
{
	if (j->header_json != NULL || j->payload != NULL || j->kid != NULL ||
	    j->signing_input != NULL || j->sig != NULL || j->sig_len != 0 ||
	    j->payload_len != 0 || j->alg != JOSE_ALG_NONE)
		abort();
}

static void
check_parsed(const struct jose_jws *j, const uint8_t *data, size_t size)
{
	size_t n, i;
	enum op_rc rc;

	if (j->alg == JOSE_ALG_NONE || j->header_json == NULL ||
	    j->payload == NULL || j->sig == NULL || j->sig_len == 0 ||
	    j->signing_input == NULL)
		abort();
	n = strlen(j->signing_input);
	if (n >= size || memcmp(j->signing_input, data, n) != 0 ||
	    data[n] != '.')
		abort();
	for (i = 0; i < 3; i++) {
		rc = jose_jws_verify(j, keys[i]);
		if (rc != OP_OK && rc != OP_E_DENIED)
			abort();
		if (rc == OP_OK && jose_key_alg(keys[i]) != j->alg)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jose_jws j;
	enum op_rc rc;

	load_keys();
	rc = jose_jws_parse((const char *)data, size, &j, NULL);
	if (rc == OP_OK)
		check_parsed(&j, data, size);
	else if (rc == OP_E_INVALID)
		check_refused(&j);
	else
		abort();
	jose_jws_release(&j);
	return 0;
}
