/*
 * oauth.h - what the ID service's OpenID Connect endpoints share: JSON
 * responses, OAuth error responses, client authentication and the
 * pending-request store. Only src/id/ includes it.
 */
#ifndef ID_OAUTH_H
#define ID_OAUTH_H

#include <jansson.h>

#include "id/id.h"
#include "oidc/oidc.h"
#include "store/store.h"

/* Sends v (takes ownership) as JSON with Cache-Control: no-store. */
void id_json(struct request *req, int status, json_t *v);
/* An OAuth error response {"error","error_description"}; invalid_client
 * after a failed Basic header answers 401 with WWW-Authenticate. */
void id_oauth_error(struct request *req, enum oidc_error e, const char *why,
		    bool basic_failed);
/*
 * Authenticates the calling client from the form and Authorization
 * header. On success fills out (release with client_release) and returns
 * true; otherwise has answered the request and returns false.
 * require_secret refuses public clients (introspection).
 */
bool id_client_auth(struct request *req, bool require_secret,
		    struct client *out);
/* SHA-256 hex of a client secret, as stored. */
void id_secret_hash(const char *secret, char out[TOKEN_HASH_LEN + 1]);

/* Redirects to redirect_uri with the parameters (name, value pairs,
 * NULL-terminated; NULL values skipped) and iss (RFC 9207). */
void id_redirect_params(struct request *req, const char *redirect_uri, ...);

/* ---- /authorize helpers shared with sign-in and consent ---- */

/* Looks up a pending request by the id in its URL; fills p and
 * created_at. Returns false when unknown or expired. */
bool id_pending_get(struct request *req, const char *id,
		    struct authz_params *p, int64_t *created_at);
/* The client's display name for a pending request id, or NULL. */
const char *id_pending_client_name(struct request *req, const char *id);

#endif
