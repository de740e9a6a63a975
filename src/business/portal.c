/*
 * portal.c - the pages around the portals: Business Solutions Home, the
 * portal home with its profile switcher, and the extranet's information
 * and search pages from the seeds' navigation.
 */
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "business/business.h"
#include "core/config.h"
#include "html/render.h"
#include "store/store.h"

void
ep_biz_home(struct request *req)
{
	struct tvars *v = biz_page_vars(req, "Business Solutions Home");
	const char *state = params_get(&req->query, "state");

	if (state != NULL && strcmp(state, "signed-out") == 0 &&
	    !biz_state_of(req)->signed_in)
		tvars_set(v, "notice", "You have signed out.");
	biz_render(req, 200, "biz_home.html");
}

static const struct {
	const char *path;
	const char *heading;
	const char *text;
} info_pages[] = {
	{ "/solution-builder", "Solution Builder",
	  "Put together the products and services your business needs, "
	  "with the help of our partners. Sign in to a portal to save a "
	  "solution and share it with your team." },
	{ "/worldwide", "Business Solutions Worldwide",
	  "Our offices and partners serve customers in many countries. "
	  "Contact your local office through the support address below." },
	{ "/solutions/by-need", "Solutions by business need",
	  "Finance, supply chain, sales and service, human resources: find "
	  "the solutions that fit how your business works." },
	{ "/solutions/by-name", "Solutions by name",
	  "An alphabetical list of our business solutions and the portals "
	  "where their customers and partners find resources." },
	{ "/services", "Services",
	  "Support plans, training and consulting for the solutions you "
	  "use. Customers find their service resources in CustomerSource." },
	{ "/how-to-buy", "How to Buy",
	  "Buy through one of our certified partners. They help you choose, "
	  "set up and support your solution." },
	{ "/partners", "Partners",
	  "Partners sell, implement and support our solutions. Partners "
	  "find sales and technical resources in PartnerSource." },
};

void
ep_biz_info(struct request *req)
{
	struct tvars *v;
	size_t i;

	for (i = 0; i < sizeof(info_pages) / sizeof(info_pages[0]); i++) {
		if (strcmp(req->path, info_pages[i].path) != 0)
			continue;
		v = biz_page_vars(req, info_pages[i].heading);
		tvars_set(v, "heading", info_pages[i].heading);
		tvars_set(v, "text", info_pages[i].text);
		biz_render(req, 200, "biz_info.html");
		return;
	}
	biz_error(req, 404, "There is no page at this address.");
}

/* True when needle occurs in hay, ignoring ASCII case. */
static bool
contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

void
ep_biz_search(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	const char *q = params_get(&req->query, "q");
	struct tvars *v = biz_page_vars(req, "Search");
	struct tvars *item;
	size_t i;

	tvars_set_bool(v, "advanced", strcmp(req->path, "/search/advanced")
					      == 0);
	tvars_set(v, "q", q);
	if (q != NULL && q[0] != '\0' && strlen(q) <= 200) {
		tvars_set_bool(v, "searched", true);
		for (i = 0; i < sizeof(info_pages) / sizeof(info_pages[0]);
		     i++) {
			if (!contains_nocase(info_pages[i].heading, q) &&
			    !contains_nocase(info_pages[i].text, q))
				continue;
			item = tvars_add_item(v, "results");
			tvars_set(item, "title", info_pages[i].heading);
			tvars_set(item, "path", info_pages[i].path);
		}
		for (i = 0; i < site->n_portals; i++) {
			if (!contains_nocase(site->portals[i].name, q))
				continue;
			item = tvars_add_item(v, "results");
			tvars_set(item, "title", site->portals[i].name);
			tvars_set(item, "path", site->portals[i].path);
		}
	}
	biz_render(req, 200, "biz_search.html");
}

struct pick_ctx {
	struct request *req;
	struct biz_portal *portal;
	int64_t wanted;
	struct tvars *v;
	int n;
	int64_t chosen_id;
	const char *chosen_name;
	const char *chosen_company;
};

static int
pick(const struct profile *p, void *arg)
{
	struct pick_ctx *c = arg;
	struct tvars *item;

	if ((int)p->type != c->portal->profile_type)
		return 0;
	c->n++;
	item = tvars_add_item(c->v, "profiles");
	tvars_setf(item, "id", "%lld", (long long)p->id);
	tvars_set(item, "name", p->name);
	tvars_set(item, "company", p->company);
	tvars_set(item, "portal_name", c->portal->name);
	/* The first profile, unless the switcher chose another. The
	 * strings are arena copies: nothing to release. */
	if (c->n == 1 || p->id == c->wanted) {
		c->chosen_id = p->id;
		c->chosen_name = arena_strdup(c->req->arena, p->name);
		c->chosen_company = arena_strdup(c->req->arena, p->company);
	}
	tvars_set_bool(item, "selected", p->id == c->wanted);
	return 0;
}

void
ep_biz_portal(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	struct biz_portal *p = biz_portal_of(req);
	struct pick_ctx c = { 0 };
	struct tvars *v;

	if (!biz_signed_in_at(req, p)) {
		biz_login_start(req, p, "login", NULL, p->path);
		return;
	}
	v = biz_page_vars(req, p->name);
	c = (struct pick_ctx){ .req = req, .portal = p,
			       .wanted = st->profile_id, .v = v };
	if (store_profile_by_identity(site->op->store, st->issuer, st->subject,
				      pick, &c) != OP_OK) {
		biz_error(req, 503, "Try again shortly.");
		return;
	}
	if (c.n == 0) {
		/* Signed in, but no profile of this portal's audience. */
		response_redirect(req, 302, arena_asprintf(req->arena,
					    "%s/associate", p->path));
		return;
	}
	tvars_set(v, "profile_name", c.chosen_name);
	tvars_set(v, "profile_company", c.chosen_company);
	tvars_set(v, "profile_type", p->audience);
	tvars_set_bool(v, "switcher", c.n > 1);
	biz_render(req, 200, "biz_portal.html");
}

struct owns_ctx {
	int64_t id;
	int type;
	bool owns;
};

static int
owns(const struct profile *p, void *arg)
{
	struct owns_ctx *c = arg;

	if (p->id == c->id && (int)p->type == c->type)
		c->owns = true;
	return 0;
}

void
ep_biz_profile(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	struct biz_portal *p = biz_portal_of(req);
	const char *id = params_get(&req->form, "profile_id");
	struct owns_ctx c = { 0 };
	char *end;

	if (!biz_signed_in_at(req, p)) {
		response_redirect(req, 303, p->path);
		return;
	}
	c.id = id != NULL ? strtoll(id, &end, 10) : 0;
	c.type = p->profile_type;
	/* Only a profile associated with this identity can be chosen. */
	if (c.id > 0 && *end == '\0' &&
	    store_profile_by_identity(site->op->store, st->issuer, st->subject,
				      owns, &c) == OP_OK &&
	    c.owns)
		store_biz_session_set_profile(site->op->store, st->session_hash,
					      c.id);
	response_redirect(req, 303, p->path);
}
