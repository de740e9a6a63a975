// Helpers of the OpenID Connect black-box tests (t3*): registering clients
// with the CLI, relying-party configurations made by panva's openid-client
// (ESM only, loaded with import()), a person who follows the provider's
// redirect chain with the cookie jar of lib.js (signing in and answering
// the consent page on the way), and JWT / JWKS helpers.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const L = require('./lib.js');

let ocMod;
let joseMod;

// openid-client (v6, ESM only).
async function oc() {
	if (!ocMod)
		ocMod = await import('openid-client');
	return ocMod;
}

// jose (ESM), for checking signatures against the JWKS ourselves.
async function jose() {
	if (!joseMod)
		joseMod = await import('jose');
	return joseMod;
}

let clientSeq = 0;

// Registers a client with `onepass client add` (the server may be
// running). opts: name, redirectUris, postLogout (array), public,
// firstParty, alg. Returns { client_id, client_secret, name,
// redirect_uris, post_logout_uris, public, firstParty, alg }.
async function addClient(srv, opts = {}) {
	clientSeq++;
	const tag = `${clientSeq}-${crypto.randomBytes(3).toString('hex')}`;
	const name = opts.name || `Test RP ${tag}`;
	const redirect = opts.redirectUris ||
	    [`https://rp-${tag}.example/cb`];
	const post = opts.postLogout || [];
	const args = ['client', 'add', '--name', name];
	for (const u of redirect)
		args.push('--redirect-uri', u);
	for (const u of post)
		args.push('--post-logout-redirect-uri', u);
	if (opts.public)
		args.push('--public');
	if (opts.firstParty)
		args.push('--first-party');
	if (opts.alg)
		args.push('--id-token-alg', opts.alg);
	const r = await srv.cli(args);
	const id = r.stdout.match(/^client_id: (\S+)$/m);
	const secret = r.stdout.match(/^client_secret: (\S+)$/m);
	assert.ok(id, `client add printed no client_id:\n${r.stdout}`);
	if (opts.public)
		assert.equal(secret, null, 'a public client got a secret');
	else
		assert.ok(secret, `client add printed no secret:\n${r.stdout}`);
	return {
		client_id: id[1],
		client_secret: secret ? secret[1] : undefined,
		name,
		redirect_uris: redirect,
		post_logout_uris: post,
		public: !!opts.public,
		firstParty: !!opts.firstParty,
		alg: opts.alg,
	};
}

// An openid-client Configuration for client cl of srv, made by discovery
// (http:// allowed: loopback only; ID token signatures checked against
// the JWKS). auth: 'basic' (default for confidential clients), 'post' or
// 'none' (public clients). Every exchange openid-client makes is logged
// into rp.log as { url, method, status, headers, reqHeaders, reqBody }.
async function rpFor(srv, cl, opts = {}) {
	const C = await oc();
	let auth;
	const how = opts.auth || (cl.public ? 'none' : 'basic');
	if (how === 'none')
		auth = C.None();
	else if (how === 'post')
		auth = C.ClientSecretPost(opts.secret ?? cl.client_secret);
	else
		auth = C.ClientSecretBasic(opts.secret ?? cl.client_secret);
	const meta = { ...(opts.metadata || {}) };
	if (cl.alg)
		meta.id_token_signed_response_alg = cl.alg;
	const config = await C.discovery(new URL(srv.publicUrl), cl.client_id,
	    meta, auth, { execute: [C.allowInsecureRequests,
	    C.enableNonRepudiationChecks] });
	const log = [];
	config[C.customFetch] = async (url, options) => {
		const r = await fetch(url, options);
		log.push({ url: String(url), method: options.method,
		    status: r.status, headers: r.headers,
		    reqHeaders: new Headers(options.headers),
		    reqBody: options.body === undefined ||
		    options.body === null ? '' : String(options.body) });
		return r;
	};
	return { C, config, log, client: cl, srv };
}

// The last logged response of rp to a URL ending in path.
function lastResponse(rp, path) {
	for (let i = rp.log.length - 1; i >= 0; i--)
		if (new URL(rp.log[i].url).pathname === path)
			return rp.log[i];
	return undefined;
}

// Builds an authorization request URL with openid-client: PKCE S256,
// state and nonce by default. params add or override (a null value
// drops the parameter). Returns { url, state, nonce, verifier }.
async function authRequest(rp, params = {}) {
	const C = rp.C;
	const verifier = C.randomPKCECodeVerifier();
	const p = {
		redirect_uri: rp.client.redirect_uris[0],
		scope: 'openid',
		state: C.randomState(),
		nonce: C.randomNonce(),
		code_challenge: await C.calculatePKCECodeChallenge(verifier),
		code_challenge_method: 'S256',
		...params,
	};
	for (const k of Object.keys(p))
		if (p[k] === null)
			delete p[k];
	const url = C.buildAuthorizationUrl(rp.config, p);
	return { url, state: p.state, nonce: p.nonce, verifier, params: p };
}

// A new ID (signed up through the form) with its own cookie jar:
// { c, email, password, srv }.
async function newPerson(srv, tag = 'oidc') {
	const p = await L.newAccount(srv, tag);
	return { ...p, srv };
}

// Follows the provider's answers to url as a browser would, with person's
// cookies: signs in when sent to /signin (unless opts.signIn === false),
// answers the consent page with opts.consent ('allow' or 'deny'; when
// unset it stops there). Stops at the first redirect away from the
// provider, or at a page it does not handle. Returns { redirect (URL) |
// page, signins, consents, signinPage, consentPage, steps }.
async function drive(person, url, opts = {}) {
	const c = person.c;
	const origin = new URL(person.srv.url).origin;
	const out = { signins: 0, consents: 0, steps: [] };
	let r = await c.get(String(url));
	for (let hop = 0; hop < 16; hop++) {
		out.steps.push({ status: r.status, url: r.url,
		    location: r.location });
		if (r.status >= 300 && r.status < 400 && r.location) {
			const next = new URL(r.location, r.url);
			if (next.origin !== origin) {
				out.redirect = next;
				out.last = r;
				return out;
			}
			if (next.pathname === '/signin') {
				out.signins++;
				const page = await c.get(next.pathname +
				    next.search);
				out.signinPage = page;
				if (opts.signIn === false) {
					out.page = page;
					return out;
				}
				assert.equal(page.status, 200, 'sign-in page');
				r = await c.post('/signin', {
					csrf: L.csrfOf(page.text),
					email: person.email,
					password: person.password,
					save: opts.save || 'never',
					return_to: next.searchParams
					    .get('return_to') || undefined,
				});
				continue;
			}
			r = await c.get(next.pathname + next.search);
			continue;
		}
		if (r.status === 200 && /action="\/consent"/.test(r.text)) {
			out.consents++;
			out.consentPage = r;
			if (!opts.consent) {
				out.page = r;
				return out;
			}
			const form = L.formsOf(r.text)
			    .find((f) => f.action === '/consent');
			r = await c.post('/consent', { ...form.fields,
			    decision: opts.consent });
			continue;
		}
		out.page = r;
		return out;
	}
	throw new Error('too many redirects while authorizing');
}

// Runs a whole code flow for person at rp: request (params as in
// authRequest), drive (opts as in drive), token request with every check
// openid-client knows (state, nonce, PKCE, iss; maxAge when given).
// Returns { tokens, claims, req, run }.
async function codeFlow(rp, person, params = {}, opts = {}) {
	const req = await authRequest(rp, params);
	const run = await drive(person, req.url, { consent: 'allow', ...opts });
	assert.ok(run.redirect, 'the provider sent the person back; got ' +
	    `${run.page && run.page.status}: ` +
	    `${run.page && L.textOf(run.page.text).slice(0, 400)}`);
	assert.equal(run.redirect.searchParams.get('error'), null,
	    `authorization error: ${run.redirect}`);
	const checks = { expectedState: req.state,
	    expectedNonce: req.nonce, pkceCodeVerifier: req.verifier,
	    idTokenExpected: true };
	if (opts.maxAge !== undefined)
		checks.maxAge = opts.maxAge;
	const tokens = await rp.C.authorizationCodeGrant(rp.config,
	    run.redirect, checks);
	return { tokens, claims: tokens.claims(), req, run };
}

// ---- JWT ----

function b64json(s) {
	return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
}

// { header, payload, signature } of a compact JWS, without checking it.
function decodeJwt(t) {
	const [h, p, s] = t.split('.');
	return { header: b64json(h), payload: b64json(p), signature: s };
}

// OIDC Core 3.1.3.6 at_hash of an access token for an ID token alg
// (Ed25519's hash is SHA-512).
function atHash(alg, accessToken) {
	const h = crypto.createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
	    .update(accessToken, 'ascii').digest();
	return h.subarray(0, h.length / 2).toString('base64url');
}

async function getJwks(srv) {
	const r = await fetch(`${srv.url}/jwks`);
	assert.equal(r.status, 200, 'GET /jwks');
	return r.json();
}

// Verifies an ID token against the provider's JWKS (by kid) with jose;
// returns { payload, protectedHeader }.
async function verifyWithJwks(srv, idToken, alg) {
	const J = await jose();
	const jwks = J.createLocalJWKSet(await getJwks(srv));
	return J.jwtVerify(idToken, jwks, { issuer: srv.publicUrl,
	    algorithms: alg ? [alg] : undefined });
}

// ---- the resource endpoints, raw ----

async function userinfo(srv, accessToken, method = 'GET') {
	const r = await fetch(`${srv.url}/userinfo`, { method,
	    headers: { authorization: `Bearer ${accessToken}` } });
	const text = await r.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: r.status, headers: r.headers, text, json };
}

// POST to an endpoint of srv with a form and optional Basic credentials
// ([id, secret]); returns { status, headers, json, text }.
async function postForm(srv, path, form, basic) {
	const headers = { 'content-type': 'application/x-www-form-urlencoded' };
	if (basic)
		headers.authorization = 'Basic ' + Buffer.from(
		    `${encodeURIComponent(basic[0])}:` +
		    `${encodeURIComponent(basic[1])}`).toString('base64');
	const r = await fetch(`${srv.url}${path}`, { method: 'POST', headers,
	    body: new URLSearchParams(form).toString() });
	const text = await r.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: r.status, headers: r.headers, text, json };
}

// Expects promise to reject with an OAuth error response of code error
// (openid-client's ResponseBodyError or AuthorizationResponseError).
async function rejectsWith(promise, error, what) {
	let err;
	try {
		await promise;
	} catch (e) {
		err = e;
	}
	assert.ok(err, `${what || 'request'}: expected error ${error}, ` +
	    'but it succeeded');
	let code = err.error;
	// A 401 with WWW-Authenticate is thrown as a challenge error before
	// the body is read: take the code from the body.
	if (code === undefined && err.response && !err.response.bodyUsed) {
		const body = await err.response.clone().json()
		    .catch(() => ({}));
		code = body.error;
		err.error = code;
	}
	assert.equal(code, error, `${what || 'request'}: expected ` +
	    `error ${error}, got ${code} (${err.message})`);
	return err;
}

// Checks that r (a lib.js Client response) is an HTML error page with
// status 400 and no redirect.
function assertErrorPage(r, what) {
	assert.equal(r.status, 400, `${what}: status ${r.status} ` +
	    `(location ${r.location})`);
	assert.equal(r.location, null, `${what}: redirected to ${r.location}`);
	assert.match(r.headers.get('content-type') || '', /^text\/html/,
	    `${what}: not an HTML page`);
	assert.match(r.text, /<h1\b/i, `${what}: no page heading`);
}

module.exports = {
	oc, jose, addClient, rpFor, lastResponse, authRequest, newPerson,
	drive, codeFlow, decodeJwt, atHash, getJwks, verifyWithJwks,
	userinfo, postForm, rejectsWith, assertErrorPage,
};
