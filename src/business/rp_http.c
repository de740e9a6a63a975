/*
 * rp_http.c - the relying party's HTTP client on libcurl's easy
 * interface: one request per call (discovery, JWKS, token endpoint), no
 * redirects followed, http and https only, a timeout, an optional CA
 * file, no signals (request threads), and a cap on the answer's size
 * enforced while it arrives.
 *
 * http:// is allowed besides https:// so that a provider on loopback (the
 * tests, a development setup) can be used; production configurations
 * name https issuers, and the issuer a portal trusts comes from the
 * operator's configuration, never from a request.
 */
#include <stdbool.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "business/rp_internal.h"
#include "core/log.h"

void
rp_http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("rp: curl_global_init failed");
}

void
rp_http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct sink {
	struct buf *b;
	bool too_big;
};

static size_t
on_body(char *p, size_t size, size_t n, void *data)
{
	struct sink *s = data;

	(void)size;	/* always 1 for a write callback */
	if (buf_add(s->b, p, n) != 0) {
		s->too_big = true;
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

void
rp_http_resp_release(struct rp_http_resp *r)
{
	if (r->body.data != NULL)
		sodium_memzero(r->body.data, r->body.cap);
	buf_release(&r->body);
	r->status = 0;
}

/* Sets the options that hold for every request; false when curl refuses
 * one (an old or odd libcurl: better no request than an unsafe one). */
static bool
setup(CURL *h, const struct rp_cache *c, const struct rp_http_req *r,
      struct sink *s, struct curl_slist *hdrs, char *errbuf)
{
	bool good = true;

	good &= curl_easy_setopt(h, CURLOPT_URL, r->url) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ==
		CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_sec) ==
		CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout_sec) ==
		CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)RP_RESPONSE_MAX_BYTES) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_USERAGENT, "onepass") == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ==
		CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_WRITEDATA, s) == CURLE_OK;
	good &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
	if (c->ca_file != NULL)
		good &= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) ==
			CURLE_OK;
	if (r->post != NULL) {
		good &= curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->post) ==
			CURLE_OK;
		good &= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
					 (long)strlen(r->post)) == CURLE_OK;
	}
	if (r->user != NULL && r->password != NULL) {
		good &= curl_easy_setopt(h, CURLOPT_HTTPAUTH,
					 (long)CURLAUTH_BASIC) == CURLE_OK;
		good &= curl_easy_setopt(h, CURLOPT_USERNAME, r->user) ==
			CURLE_OK;
		good &= curl_easy_setopt(h, CURLOPT_PASSWORD, r->password) ==
			CURLE_OK;
	}
	return good;
}

enum op_rc
rp_http_fetch(const struct rp_cache *c, const struct rp_http_req *r,
	      struct rp_http_resp *out, struct op_err *err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *h2;
	struct sink s;
	enum op_rc rc = OP_E_INTERNAL;
	CURLcode cc;
	CURL *h;

	out->status = 0;
	buf_init(&out->body, RP_RESPONSE_MAX_BYTES);
	if (r->url == NULL || !rp_url_ok(r->url))
		return op_err_set(err, OP_E_INTERNAL, "not an http(s) URL");
	errbuf[0] = '\0';
	s.b = &out->body;
	s.too_big = false;
	h = curl_easy_init();
	if (h == NULL)
		return op_err_set(err, OP_E_INTERNAL, "curl_easy_init failed");
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	/* No "Expect: 100-continue" round trip on larger form bodies. */
	h2 = hdrs != NULL ? curl_slist_append(hdrs, "Expect:") : NULL;
	if (h2 == NULL) {
		op_err_set(err, OP_E_INTERNAL, "curl_slist_append failed");
		goto out;
	}
	hdrs = h2;
	if (!setup(h, c, r, &s, hdrs, errbuf)) {
		op_err_set(err, OP_E_INTERNAL, "libcurl refused an option");
		goto out;
	}
	cc = curl_easy_perform(h);
	if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		op_err_set(err, OP_E_INTERNAL,
			   "'%s' answered more than %d bytes", r->url,
			   RP_RESPONSE_MAX_BYTES);
		goto out;
	}
	if (cc != CURLE_OK) {
		op_err_set(err, OP_E_INTERNAL, "'%s': %s", r->url,
			   errbuf[0] != '\0' ? errbuf :
					       curl_easy_strerror(cc));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status) !=
	    CURLE_OK) {
		op_err_set(err, OP_E_INTERNAL, "'%s': no status", r->url);
		goto out;
	}
	rc = OP_OK;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (rc != OP_OK)
		rp_http_resp_release(out);
	return rc;
}
