/*
 * ep_pages.c - the home redirect, static files, and the content pages:
 * Help (with its contact form to the ID service's support team), Privacy
 * Statement and Terms of Use. The content templates can be replaced by an
 * operator through [id] content_dir.
 */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/email.h"
#include "core/embed.h"
#include "html/render.h"
#include "id/id.h"
#include "store/store.h"

#define CONTACT_MAX_BYTES 5000
#define CONTACTS_PER_HOUR 5

void
ep_root(struct request *req)
{
	response_redirect(req, 302, id_state_of(req)->signed_in ? "/account"
								: "/signin");
}

static const char *
content_type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".ico") == 0)
		return "image/x-icon";
	return "application/octet-stream";
}

void
ep_static(struct request *req)
{
	const char *name = req->path + strlen("/static/");
	const struct embedded_file *f;

	if (strchr(name, '/') != NULL ||
	    (f = embedded_find(embedded_static, name)) == NULL) {
		id_error(req, 404, "There is no such page.");
		return;
	}
	req->content_type = content_type_of(name);
	response_header(req, "Cache-Control", "public, max-age=3600");
	buf_reset(&req->body);
	if (buf_add(&req->body, f->data, f->len) != 0) {
		id_error(req, 500, "That file is too large.");
		return;
	}
	req->status = 200;
}

static void
help_page(struct request *req, int status, bool sent, const char *error,
	  const char *email, const char *message)
{
	struct id_site *site = id_site_of(req);
	struct tvars *v = id_page_vars(req, "Help");

	tvars_set(v, "support_email", site->op->cfg->id_support_email);
	tvars_set_bool(v, "sent", sent);
	tvars_set(v, "error", error);
	tvars_set(v, "email", email);
	tvars_set(v, "message", message);
	id_render(req, status, "help.html");
}

void
ep_help(struct request *req)
{
	help_page(req, 200, false, NULL, NULL, NULL);
}

void
ep_help_contact(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *email = params_get(&req->form, "email");
	const char *message = params_get(&req->form, "message");
	char canon[EMAIL_MAX + 1], key[128];
	struct tvars *v;
	int n = 0;

	if (email == NULL || !email_canonical(email, canon)) {
		help_page(req, 200, false, "Type your e-mail address so that "
			  "we can answer you.", email, message);
		return;
	}
	if (message == NULL || message[0] == '\0' ||
	    strlen(message) > CONTACT_MAX_BYTES) {
		help_page(req, 200, false, "Write your message (at most 5000 "
			  "characters).", email, message);
		return;
	}
	snprintf(key, sizeof(key), "contact-ip:%s", req->client_ip);
	if (store_throttle_hit(site->op->store, key, site->op->now(), 3600,
			       &n) != OP_OK) {
		id_error(req, 503, "Try again in a moment.");
		return;
	}
	if (n > CONTACTS_PER_HOUR) {
		help_page(req, 429, false, "You have sent several messages "
			  "already. Please wait an hour before sending "
			  "another.", email, message);
		return;
	}
	v = tvars_new(req->arena);
	tvars_set(v, "from_email", email);
	tvars_set(v, "message", message);
	tvars_set(v, "ip", req->client_ip);
	if (id_mail_reply(req, site->op->cfg->id_support_email, canon,
			  "Support request from the Help page",
			  "mail_contact", v) != OP_OK) {
		help_page(req, 503, false, "Your message could not be sent "
			  "just now. Try again shortly.", email, message);
		return;
	}
	id_audit(req, "support.contact", id_state_of(req)->user_id, NULL);
	help_page(req, 200, true, NULL, NULL, NULL);
}

void
ep_privacy(struct request *req)
{
	id_page_vars(req, "Privacy Statement");
	id_render(req, 200, "privacy.html");
}

void
ep_terms(struct request *req)
{
	id_page_vars(req, "Terms of Use");
	id_render(req, 200, "terms.html");
}
