/*
 * router.c - finds the route for a request in the site's table and runs
 * the site's policy and the handler. Routes match their path exactly, or
 * as a prefix with ROUTE_PREFIX; the first route in table order whose
 * path and method both match wins, so a table may list GET /login and
 * POST /login as two rows. GET implies HEAD. A path that matches only
 * with other methods gives the Allow set for a 405. The policy itself
 * (session, CSRF, sign-in) is the site's: site->before decides from the
 * route's flags and may answer the request itself.
 */
#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "http/internal.h"

static bool
path_matches(const struct route *r, const char *path)
{
	if (r->flags & ROUTE_PREFIX)
		return strncmp(path, r->path, strlen(r->path)) == 0;
	return strcmp(path, r->path) == 0;
}

static unsigned
route_methods(const struct route *r)
{
	unsigned m = r->methods;

	if (m & HTTP_GET)
		m |= HTTP_HEAD;
	return m;
}

const struct route *
router_match(const struct site *site, const char *path,
	     enum http_method method, unsigned *allow)
{
	const struct route *r;
	size_t i;

	*allow = 0;
	for (i = 0; i < site->n_routes; i++) {
		r = &site->routes[i];
		if (!path_matches(r, path))
			continue;
		if (route_methods(r) & (unsigned)method)
			return r;
		*allow |= route_methods(r);
	}
	return NULL;
}

const char *
router_allow(struct arena *a, unsigned methods)
{
	return arena_asprintf(a, "%s%s%s",
			      methods & HTTP_GET ? "GET, HEAD" :
			      methods & HTTP_HEAD ? "HEAD" : "",
			      (methods & (HTTP_GET | HTTP_HEAD)) &&
					      (methods & HTTP_POST) ? ", " : "",
			      methods & HTTP_POST ? "POST" : "");
}

void
router_run(struct request *req)
{
	const struct site *site = req->site;

	if (site->before != NULL && !site->before(req))
		return;
	req->route->handler(req);
}
