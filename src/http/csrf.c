/*
 * csrf.c - cross-site request forgery defence, the "signed double submit
 * cookie" pattern. Each browser holds a random token in an HttpOnly,
 * SameSite=Lax cookie; forms carry HMAC(key, cookie) in the field "csrf".
 * A forged POST from another site can make the browser send the cookie
 * but cannot read it, and cannot compute the MAC without the server key,
 * so it cannot fill the field. When the browser sends Origin, it must
 * be the site's own origin exactly ("null" is refused). Comparisons are
 * constant-time. The token of a request is computed once and remembered,
 * so every form of a page carries the same value and the cookie is set
 * at most once per response.
 */
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "core/arena.h"
#include "core/token.h"
#include "http/internal.h"

const char *
csrf_token(struct request *req, const struct csrf_conf *c)
{
	struct conn *conn = req->conn;
	struct cookie_spec spec = { 0 };
	char fresh[TOKEN_STR_LEN + 1];
	char mac[TOKEN_STR_LEN + 1];
	const char *cookie, *tok;

	if (conn != NULL && conn->csrf_token != NULL)
		return conn->csrf_token;
	cookie = params_get(&req->cookies, c->cookie_name);
	if (cookie == NULL || !token_wellformed(cookie)) {
		token_new(fresh);
		spec.name = c->cookie_name;
		spec.value = fresh;
		spec.max_age = -1;
		spec.secure = c->secure;
		if (response_cookie(req, &spec) != 0) {
			sodium_memzero(fresh, sizeof(fresh));
			return "";
		}
		cookie = fresh;
	}
	token_mac(c->key, cookie, mac);
	tok = arena_strdup(req->arena, mac);
	sodium_memzero(fresh, sizeof(fresh));
	sodium_memzero(mac, sizeof(mac));
	if (conn != NULL)
		conn->csrf_token = tok;
	return tok;
}

bool
csrf_check(struct request *req, const struct csrf_conf *c)
{
	char want[TOKEN_STR_LEN + 1];
	const char *origin, *cookie, *field;
	bool ok;

	origin = request_header(req, "Origin");
	if (origin != NULL &&
	    (strcmp(origin, "null") == 0 || c->origin == NULL ||
	     strcmp(origin, c->origin) != 0))
		return false;
	cookie = params_get(&req->cookies, c->cookie_name);
	field = params_get(&req->form, "csrf");
	if (cookie == NULL || field == NULL || !token_wellformed(cookie))
		return false;
	token_mac(c->key, cookie, want);
	ok = token_equal(field, want);
	sodium_memzero(want, sizeof(want));
	return ok;
}
