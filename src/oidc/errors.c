/* errors.c - the one table from protocol errors to codes and statuses. */
#include "oidc/oidc.h"

static const struct {
	const char *code;
	int status;
} errors[] = {
	[OIDC_OK] = { "", 200 },
	[OIDC_INVALID_REQUEST] = { "invalid_request", 400 },
	[OIDC_INVALID_CLIENT] = { "invalid_client", 401 },
	[OIDC_INVALID_GRANT] = { "invalid_grant", 400 },
	[OIDC_UNAUTHORIZED_CLIENT] = { "unauthorized_client", 400 },
	[OIDC_UNSUPPORTED_GRANT_TYPE] = { "unsupported_grant_type", 400 },
	[OIDC_UNSUPPORTED_RESPONSE_TYPE] = { "unsupported_response_type", 400 },
	[OIDC_INVALID_SCOPE] = { "invalid_scope", 400 },
	[OIDC_ACCESS_DENIED] = { "access_denied", 403 },
	[OIDC_SERVER_ERROR] = { "server_error", 500 },
	[OIDC_TEMPORARILY_UNAVAILABLE] = { "temporarily_unavailable", 503 },
	[OIDC_LOGIN_REQUIRED] = { "login_required", 400 },
	[OIDC_CONSENT_REQUIRED] = { "consent_required", 400 },
	[OIDC_INTERACTION_REQUIRED] = { "interaction_required", 400 },
	[OIDC_REQUEST_NOT_SUPPORTED] = { "request_not_supported", 400 },
	[OIDC_REQUEST_URI_NOT_SUPPORTED] = { "request_uri_not_supported", 400 },
	[OIDC_INVALID_TOKEN] = { "invalid_token", 401 },
};

const char *
oidc_error_code(enum oidc_error e)
{
	if ((unsigned)e >= sizeof(errors) / sizeof(errors[0]))
		return "server_error";
	return errors[e].code;
}

int
oidc_error_status(enum oidc_error e)
{
	if ((unsigned)e >= sizeof(errors) / sizeof(errors[0]))
		return 500;
	return errors[e].status;
}
