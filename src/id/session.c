/*
 * session.c - the ID service's sessions: a random token in an HttpOnly
 * cookie, only its hash in the store.
 */
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/token.h"
#include "id/id.h"
#include "store/store.h"

static const char *
header_or_dash(struct request *req, const char *name, size_t max)
{
	const char *v = request_header(req, name);

	if (v == NULL || !utf8_valid(v, strlen(v)))
		return "";
	return arena_strndup(req->arena, v, strnlen(v, max));
}

enum op_rc
id_session_start(struct request *req, int64_t user_id, bool persistent,
		 int64_t auth_time)
{
	struct id_site *site = id_site_of(req);
	const struct config *cfg = site->op->cfg;
	struct id_state *st = id_state_of(req);
	int64_t now = site->op->now();
	char tok[TOKEN_STR_LEN + 1];
	struct session s = { 0 };
	struct cookie_spec c = { 0 };
	enum op_rc rc;

	token_new(tok);
	token_hash(tok, strlen(tok), s.hash);
	token_new(s.sid);
	s.user_id = user_id;
	s.created_at = now;
	s.last_seen_at = now;
	s.auth_time = auth_time;
	s.persistent = persistent;
	s.expires_at = persistent ? now + cfg->session_persistent_days * 86400
				  : now + cfg->session_browser_hours * 3600;
	s.ip = (char *)req->client_ip;
	s.user_agent = (char *)header_or_dash(req, "User-Agent", 200);
	rc = store_session_create(site->op->store, &s);
	if (rc != OP_OK)
		goto out;
	c.name = ID_COOKIE_SESSION;
	c.value = tok;
	c.max_age = persistent ? s.expires_at - now : -1;
	c.secure = site->secure_cookies;
	if (response_cookie(req, &c) != 0) {
		rc = OP_E_INTERNAL;
		goto out;
	}
	memcpy(st->session_hash, s.hash, sizeof(st->session_hash));
	memcpy(st->sid, s.sid, sizeof(st->sid));
	st->signed_in = true;
	st->user_id = user_id;
	st->auth_time = auth_time;
out:
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

void
id_session_end(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	struct cookie_spec c = { 0 };

	if (st->session_hash[0] != '\0' &&
	    store_session_delete(site->op->store, st->session_hash) != OP_OK)
		log_warnx("session delete failed");
	c.name = ID_COOKIE_SESSION;
	c.value = "";
	c.max_age = 0;
	c.secure = site->secure_cookies;
	response_cookie(req, &c);
	st->signed_in = false;
	st->session_hash[0] = '\0';
}
