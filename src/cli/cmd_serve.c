/*
 * cmd_serve.c - `onepass serve`: the ID service's HTTP server, the mail
 * outbox worker, until SIGINT or SIGTERM. Shutdown releases in reverse
 * order of start-up.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "html/render.h"
#include "http/http.h"
#include "business/business.h"
#include "id/id.h"
#include "id/keyring.h"
#include "mail/mail.h"
#include "store/janitor.h"
#include "store/store.h"

/* Blocks the stop signals in this thread (and so in every thread started
 * after), so sigwait below receives them. */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
http_config_of(const struct config *cfg, const char *listen,
	       struct http_config *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->listen = listen;
	hc->threads = (int)cfg->server_threads;
	hc->slow_threads = (int)cfg->server_slow_threads;
	hc->max_body_bytes = (size_t)cfg->server_max_body_bytes;
	hc->max_params = (size_t)cfg->server_max_params;
	hc->trust_proxy = cfg->server_trust_proxy;
}

int
cmd_serve(struct onepass *op, int argc, char **argv)
{
	const struct config *cfg = op->cfg;
	struct templates *tmpl = NULL;
	struct mail_transport tr = { 0 };
	bool smtp = cfg->mail_smtp_url[0] != '\0';
	struct outbox *ob = NULL;
	struct id_site id;
	struct keyring *keys = NULL;
	unsigned char master[32];
	bool id_ready = false, has_master = false;
	struct http_server *id_srv = NULL, *biz_srv = NULL;
	struct janitor *janitor = NULL;
	struct biz_site biz;
	bool biz_ready = false;
	struct http_config hc;
	struct op_err err = { 0 };
	sigset_t set;
	int sig, rc = 1;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: onepass serve\n");
		return 2;
	}
	block_signals(&set);
	if (templates_load(cfg->id_content_dir, &tmpl, &err) != OP_OK) {
		log_warnx("templates: %s", err.msg);
		goto out;
	}
	/* SMTP when a server is configured, else the Maildir. */
	if (smtp ? smtp_transport(cfg, &tr, &err) != OP_OK :
	    maildir_transport(cfg->mail_dir, &tr, &err) != OP_OK) {
		log_warnx("%s: %s", smtp ? "smtp" : "maildir", err.msg);
		goto out;
	}
	if (outbox_start(op, &tr, &ob) != OP_OK) {
		log_warnx("outbox worker did not start");
		goto out;
	}
	if (cfg->id_listen[0] != '\0') {
		if (keyring_master_key(cfg->keys_master_key, master,
				       &has_master) != OP_OK) {
			log_warnx("'[keys] master_key' is not base64 of 32 "
				  "bytes");
			goto out;
		}
		if (!has_master)
			log_info("no '[keys] master_key': signing keys are "
				 "stored unsealed in the database");
		if (keyring_open(op, has_master ? master : NULL, &keys,
				 &err) != OP_OK) {
			log_warnx("%s", err.msg);
			goto out;
		}
		if (id_site_init(&id, op, tmpl, ob, keys) != OP_OK) {
			log_warnx("id service: store not ready");
			goto out;
		}
		id_ready = true;
		http_config_of(cfg, cfg->id_listen, &hc);
		if (http_server_start(&hc, &id.http, &id_srv, &err) != OP_OK) {
			log_warnx("id service: %s", err.msg);
			goto out;
		}
		log_info("id service listening on port %d, public url '%s'",
			 http_server_port(id_srv), cfg->id_public_url);
	}
	if (cfg->business_listen[0] != '\0') {
		if (biz_site_init(&biz, op, tmpl, ob, id_srv != NULL, &err) !=
		    OP_OK) {
			log_warnx("business site: %s", err.msg);
			goto out;
		}
		biz_ready = true;
		http_config_of(cfg, cfg->business_listen, &hc);
		if (http_server_start(&hc, &biz.http, &biz_srv, &err) !=
		    OP_OK) {
			log_warnx("business site: %s", err.msg);
			goto out;
		}
		log_info("business site listening on port %d, public url '%s'",
			 http_server_port(biz_srv), cfg->business_public_url);
	}
	if (janitor_start(op, 300, &janitor) != OP_OK)
		log_warnx("janitor did not start: expired rows stay");
	if (sigwait(&set, &sig) != 0)
		log_warnx("sigwait failed");
	log_info("stopping on signal %d", sig);
	rc = 0;
out:
	janitor_stop(janitor);
	if (biz_srv != NULL)
		http_server_stop(biz_srv);
	if (biz_ready)
		biz_site_release(&biz);
	if (id_srv != NULL)
		http_server_stop(id_srv);
	if (id_ready)
		id_site_release(&id);
	keyring_free(keys);
	sodium_memzero(master, sizeof(master));
	if (ob != NULL)
		outbox_stop(ob);
	if (tr.send != NULL && smtp)
		smtp_transport_release(&tr);
	else if (tr.send != NULL)
		maildir_transport_release(&tr);
	templates_free(tmpl);
	return rc;
}
