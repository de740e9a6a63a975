/*
 * assoc.c - account association (SPEC walkthrough steps 4 to 9).
 *
 * A signed-in identity names the address the company has on file; every
 * profile registered under it gets its own mail with a long single-use
 * link and a short code, both bound to that identity and that profile,
 * stored only as hashes. The answer is the same whatever was typed.
 * Opening the link changes nothing; confirming sends the person through
 * a fresh sign-in (prompt=login, max_age=0), and only the identity that
 * asked, freshly signed in, completes it.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "business/assoc_code.h"
#include "business/business.h"
#include "core/config.h"
#include "core/email.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "html/render.h"
#include "mail/mail.h"
#include "store/store.h"

/* A sign-in may come this long before the confirm click (clock skew
 * between the business site and a remote provider). */
#define AUTH_TIME_LEEWAY_SEC 5
#define CODE_TRIES_PER_HOUR 10

static const char *
type_portal_name(struct biz_site *site, enum profile_type type)
{
	size_t i;

	for (i = 0; i < site->n_portals; i++)
		if (site->portals[i].profile_type == (int)type)
			return site->portals[i].name;
	return type == PROFILE_PARTNER ? "PartnerSource" : "CustomerSource";
}

static enum op_rc
biz_mail(struct request *req, const char *to, const char *subject,
	 const char *template, struct tvars *v)
{
	struct biz_site *site = biz_site_of(req);
	const struct config *cfg = site->op->cfg;
	char *from = arena_asprintf(req->arena, "%s <%s>",
				    cfg->business_company, cfg->support_email);
	struct mail_spec m = {
		.to = to,
		.from = from,
		.reply_to = cfg->support_email,
		.subject = subject,
		.template = template,
		.vars = v,
	};
	enum op_rc rc;

	tvars_set(v, "company", cfg->business_company);
	tvars_set(v, "id_name", cfg->id_name);
	tvars_set(v, "support_email", cfg->support_email);
	rc = mail_enqueue(site->op, site->tmpl, &m);
	if (rc == OP_OK && site->outbox != NULL)
		outbox_kick(site->outbox);
	return rc;
}

/* The profiles under an address, copied out of the store's read so the
 * links and mails are written after it ends (writing while a read of the
 * same connection is open cannot wait for other writers). */
struct collect_ctx {
	struct request *req;
	struct profile *v;
	size_t n, cap;
};

static int
collect(const struct profile *pr, void *arg)
{
	struct collect_ctx *c = arg;
	struct arena *a = c->req->arena;
	struct profile *dst;

	if (c->n == c->cap) {
		struct profile *nv;

		c->cap = c->cap ? c->cap * 2 : 8;
		nv = arena_alloc(a, c->cap * sizeof(*nv));
		if (c->n > 0)
			memcpy(nv, c->v, c->n * sizeof(*nv));
		c->v = nv;
	}
	dst = &c->v[c->n++];
	dst->id = pr->id;
	dst->type = pr->type;
	dst->email = arena_strdup(a, pr->email);
	dst->name = arena_strdup(a, pr->name);
	dst->company = arena_strdup(a, pr->company);
	return 0;
}

/* One link and one mail for one profile under the address. */
static enum op_rc
send_one(struct request *req, struct biz_portal *portal,
	 const struct profile *pr)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	int64_t now = site->op->now();
	char tok[TOKEN_STR_LEN + 1], code[ASSOC_CODE_DISPLAY_LEN + 1];
	struct assoc_link l = { 0 };
	struct tvars *v;
	enum op_rc rc;

	token_new(tok);
	token_hash(tok, strlen(tok), l.hash);
	assoc_code_new(code, l.code_hash);
	l.profile_id = pr->id;
	l.issuer = (char *)st->issuer;
	l.subject = (char *)st->subject;
	l.portal = (char *)portal->slug;
	l.created_at = now;
	l.expires_at = now + site->op->cfg->business_link_ttl_sec;
	rc = store_assoc_link_create(site->op->store, &l);
	if (rc == OP_OK) {
		v = tvars_new(req->arena);
		tvars_set(v, "profile_name", pr->name);
		tvars_set(v, "profile_company", pr->company);
		tvars_set(v, "portal_name", type_portal_name(site, pr->type));
		tvars_set(v, "link", biz_url(req, arena_asprintf(
				req->arena, "/associate?token=%s", tok)));
		tvars_set(v, "code", code);
		tvars_setf(v, "ttl_hours", "%ld",
			   (site->op->cfg->business_link_ttl_sec + 3599) / 3600);
		rc = biz_mail(req, pr->email, arena_asprintf(req->arena,
			      "Associate your %s with your %s profile",
			      site->op->cfg->id_name,
			      site->op->cfg->business_company),
			      "mail_assoc", v);
	}
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(code, sizeof(code));
	return rc;
}

static void
assoc_form(struct request *req, int status, const char *email,
	   const char *error)
{
	struct tvars *v = biz_page_vars(req, "Account Association");

	tvars_set(v, "email", email);
	tvars_set(v, "error", error);
	biz_render(req, status, "biz_associate.html");
}

static void
sent_page(struct request *req, int status, const char *email,
	  const char *notice, const char *error)
{
	struct tvars *v = biz_page_vars(req, "E-mail sent");

	tvars_set(v, "email", email);
	tvars_set(v, "notice", notice);
	tvars_set(v, "error", error);
	biz_render(req, status, "biz_associate_sent.html");
}

/* Counts one request against the identity and the address. */
static bool
within_limits(struct request *req, const char *canon)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	const struct config *cfg = site->op->cfg;
	int64_t now = site->op->now();
	char *k1 = arena_asprintf(req->arena, "assoc-id:%s|%s", st->issuer,
				  st->subject);
	char *k2 = arena_asprintf(req->arena, "assoc-addr:%s", canon);
	int n1 = 0, n2 = 0;

	if (store_throttle_hit(site->op->store, k1, now, 3600, &n1) != OP_OK ||
	    store_throttle_hit(site->op->store, k2, now, 3600, &n2) != OP_OK)
		return false;
	return n1 <= cfg->business_requests_per_identity &&
	       n2 <= cfg->business_requests_per_address;
}

void
ep_biz_assoc_request(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_portal *p = biz_portal_of(req);
	const char *email = params_get(&req->form, "email");
	char canon[EMAIL_MAX + 1];
	struct collect_ctx c = { .req = req };
	enum op_rc rc;
	size_t i;

	if (!biz_signed_in_at(req, p)) {
		biz_login_start(req, p, "login", NULL,
				arena_asprintf(req->arena, "%s/associate",
					       p->path));
		return;
	}
	if (req->method != HTTP_POST) {
		assoc_form(req, 200, NULL, NULL);
		return;
	}
	if (email == NULL || !email_canonical(email, canon)) {
		assoc_form(req, 200, email, "Type the e-mail address "
			   "registered with us, like name@example.com.");
		return;
	}
	if (!within_limits(req, canon)) {
		sent_page(req, 429, email, NULL, "You have asked several times "
			  "already. Wait an hour before asking again, and "
			  "check your spam folder for the messages already "
			  "sent.");
		return;
	}
	rc = store_profile_by_email(site->op->store, canon, collect, &c);
	for (i = 0; rc == OP_OK && i < c.n; i++)
		rc = send_one(req, p, &c.v[i]);
	if (rc != OP_OK) {
		biz_error(req, 503, "The messages could not be sent just now. "
			  "Try again shortly.");
		return;
	}
	/* The audit says how many; the page never does. */
	biz_audit(req, "assoc.requested",
		  arena_asprintf(req->arena, "portal=%s links=%zu", p->slug,
				 c.n));
	sent_page(req, 200, email, NULL, NULL);
}

/* The confirm page for a live link (looked up by its hash). */
static void
confirm_page(struct request *req, const struct assoc_link *l)
{
	struct biz_site *site = biz_site_of(req);
	struct tvars *v = biz_page_vars(req, "Confirm the association");
	struct profile pr = { 0 };

	if (store_profile_get(site->op->store, l->profile_id, &pr) != OP_OK) {
		tvars_set_bool(v, "invalid", true);
		biz_render(req, 400, "biz_associate_confirm.html");
		return;
	}
	tvars_set(v, "link", l->hash);
	tvars_set(v, "profile_name", pr.name);
	tvars_set(v, "profile_company", pr.company);
	tvars_set(v, "portal_name", type_portal_name(site, pr.type));
	store_profile_release(&pr);
	biz_render(req, 200, "biz_associate_confirm.html");
}

void
ep_biz_assoc_link(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	const char *tok = params_get(&req->query, "token");
	char hash[TOKEN_HASH_LEN + 1];
	struct assoc_link l = { 0 };
	struct tvars *v;

	if (tok != NULL && token_wellformed(tok)) {
		token_hash(tok, strlen(tok), hash);
		if (store_assoc_link_get(site->op->store, hash,
					 site->op->now(), &l) == OP_OK) {
			confirm_page(req, &l);
			assoc_link_release(&l);
			return;
		}
	}
	v = biz_page_vars(req, "Confirm the association");
	tvars_set_bool(v, "invalid", true);
	biz_render(req, 400, "biz_associate_confirm.html");
}

void
ep_biz_assoc_code(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	struct biz_portal *p = biz_portal_of(req);
	const char *typed = params_get(&req->form, "code");
	char hash[TOKEN_HASH_LEN + 1];
	struct assoc_link l = { 0 };
	char *key;
	int n = 0;

	if (!biz_signed_in_at(req, p)) {
		biz_login_start(req, p, "login", NULL,
				arena_asprintf(req->arena, "%s/associate",
					       p->path));
		return;
	}
	key = arena_asprintf(req->arena, "assoc-code:%s|%s", st->issuer,
			     st->subject);
	if (store_throttle_hit(site->op->store, key, site->op->now(), 3600,
			       &n) != OP_OK || n > CODE_TRIES_PER_HOUR) {
		sent_page(req, 429, NULL, NULL, "Too many codes were tried. "
			  "Use the link in the message instead, or wait an "
			  "hour.");
		return;
	}
	if (typed == NULL || !assoc_code_hash(typed, hash) ||
	    store_assoc_link_by_code(site->op->store, st->issuer, st->subject,
				     hash, site->op->now(), &l) != OP_OK) {
		sent_page(req, 200, NULL, NULL, "That code is not valid. Check "
			  "it against the message, or use the link in it.");
		return;
	}
	confirm_page(req, &l);
	assoc_link_release(&l);
}

void
ep_biz_assoc_confirm(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	const char *hash = params_get(&req->form, "link");
	struct assoc_link l = { 0 };
	struct biz_portal *p;
	struct tvars *v;

	if (hash == NULL || strlen(hash) != TOKEN_HASH_LEN ||
	    strspn(hash, "0123456789abcdef") != TOKEN_HASH_LEN ||
	    store_assoc_link_get(site->op->store, hash, site->op->now(), &l) !=
		    OP_OK) {
		v = biz_page_vars(req, "Confirm the association");
		tvars_set_bool(v, "invalid", true);
		biz_render(req, 400, "biz_associate_confirm.html");
		return;
	}
	p = biz_portal_by_slug(site, l.portal);
	if (p == NULL)
		p = &site->portals[0];
	/* The provider must ask for the password again. */
	biz_login_start(req, p, "associate", hash, NULL);
	assoc_link_release(&l);
}

static void
done_page(struct request *req, int status, const char *profile_name,
	  const char *error)
{
	struct biz_site *site = biz_site_of(req);
	struct tvars *v = biz_page_vars(req, error != NULL
						     ? "Association failed"
						     : "Association complete");

	(void)site;
	tvars_set(v, "profile_name", profile_name);
	tvars_set_bool(v, "failed", error != NULL);
	tvars_set(v, "error", error);
	biz_render(req, status, "biz_associate_done.html");
}

/* Tells the profile's address that it now belongs to another ID. */
static void
mail_moved(struct request *req, const struct profile *pr)
{
	struct tvars *v = tvars_new(req->arena);

	tvars_set(v, "profile_name", pr->name);
	tvars_set(v, "profile_company", pr->company);
	if (biz_mail(req, pr->email, "Your profile was associated with "
		     "another ID", "mail_assoc_moved", v) != OP_OK)
		log_warnx("moved-profile notice not queued");
}

void
biz_assoc_complete(struct request *req, const char *link_hash,
		   const char *issuer, const char *subject, int64_t auth_time,
		   int64_t started_at)
{
	struct biz_site *site = biz_site_of(req);
	struct store *store = site->op->store;
	struct assoc_link l = { 0 };
	struct profile pr = { 0 };
	char *prev_iss = NULL, *prev_sub = NULL;
	struct biz_portal *p;
	struct tvars *v;
	int64_t now = site->op->now();

	if (store_assoc_link_get(store, link_hash, now, &l) != OP_OK) {
		done_page(req, 400, NULL, "This association link was already "
			  "used or has expired. Ask for a new one.");
		goto out;
	}
	if (strcmp(l.issuer, issuer) != 0 || strcmp(l.subject, subject) != 0) {
		biz_audit(req, "assoc.wrong_identity", NULL);
		done_page(req, 403, NULL, "This link was requested by another "
			  "ID. Sign in with the ID that asked for it.");
		goto out;
	}
	if (auth_time == 0 || auth_time < started_at - AUTH_TIME_LEEWAY_SEC) {
		biz_audit(req, "assoc.stale_signin", NULL);
		done_page(req, 403, NULL, "The sign-in service did not ask "
			  "for your password again. Try again.");
		goto out;
	}
	if (store_profile_get(store, l.profile_id, &pr) != OP_OK ||
	    store_begin(store) != OP_OK) {
		done_page(req, 503, NULL, "Try again shortly.");
		goto out;
	}
	if (store_assoc_link_consume(store, link_hash, now) != OP_OK ||
	    store_profile_associate(store, pr.id, issuer, subject, now,
				    &prev_iss, &prev_sub) != OP_OK ||
	    store_commit(store) != OP_OK) {
		store_rollback(store);
		done_page(req, 400, NULL, "This association link was already "
			  "used or has expired. Ask for a new one.");
		goto out;
	}
	if (prev_iss != NULL &&
	    (strcmp(prev_iss, issuer) != 0 || strcmp(prev_sub, subject) != 0))
		mail_moved(req, &pr);
	biz_audit(req, "assoc.completed",
		  arena_asprintf(req->arena, "profile=%lld", (long long)pr.id));
	p = biz_portal_by_slug(site, l.portal);
	v = biz_page_vars(req, NULL);
	for (size_t i = 0; i < site->n_portals; i++) {
		if (site->portals[i].profile_type == (int)pr.type) {
			p = &site->portals[i];
			break;
		}
	}
	if (p != NULL) {
		tvars_set(v, "portal_name", p->name);
		tvars_set(v, "portal_path", p->path);
	}
	tvars_set(v, "profile_company", pr.company);
	done_page(req, 200, pr.name, NULL);
out:
	xfree(prev_iss);
	xfree(prev_sub);
	store_profile_release(&pr);
	assoc_link_release(&l);
}
