// What the provider must refuse, and how (OIDC Core 3.1.2.6, RFC 6749
// 4.1.2.1 and 5.2, RFC 7636, RFC 9207, RFC 9700): errors before the client
// and its redirect URI are trusted are pages, never redirects; later
// authorization errors go back to the client with state and iss; the token
// endpoint answers JSON errors; replays revoke what the first use issued.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');

let srv;
let conf;	/* confidential, first party, two redirect URIs */
let confB;	/* another confidential client */
let pub;	/* public, first party */
let third;	/* confidential, third party */
let logoutRp;	/* with a post-logout URI */

test.before(async () => {
	srv = await L.startServer();
	conf = await O.addClient(srv, { firstParty: true, name: 'Conf RP',
	    redirectUris: ['https://conf.example/cb',
	    'https://conf.example/cb2'] });
	confB = await O.addClient(srv, { firstParty: true, name: 'Conf B' });
	pub = await O.addClient(srv, { firstParty: true, public: true,
	    name: 'Public RP' });
	third = await O.addClient(srv, { name: 'Third RP' });
	logoutRp = await O.addClient(srv, { firstParty: true,
	    name: 'Logout RP', postLogout: ['https://conf.example/bye'] });
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// Sends a person to an authorization request built by openid-client
// from params and expects an immediate error redirect to the client:
// error code, state and iss in the query, no code, and openid-client's
// own verdict (AuthorizationResponseError with that code).
async function expectErrorRedirect(rp, c, params, error, what) {
	const req = await O.authRequest(rp, params);
	const r = await c.get(req.url.toString());
	assert.ok(r.status === 302 || r.status === 303,
	    `${what}: status ${r.status}, expected a redirect to the client ` +
	    `(${L.textOf(r.text).slice(0, 200)})`);
	const back = new URL(r.location);
	assert.equal(back.origin + back.pathname, rp.client.redirect_uris[0],
	    `${what}: redirected elsewhere`);
	assert.equal(back.hash, '', `${what}: error in a fragment`);
	assert.equal(back.searchParams.get('error'), error, `${what}: ${back}`);
	assert.equal(back.searchParams.get('code'), null);
	if (req.state !== undefined)
		assert.equal(back.searchParams.get('state'), req.state,
		    `${what}: state not returned`);
	assert.equal(back.searchParams.get('iss'), srv.publicUrl,
	    `${what}: no iss`);
	const err = await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config,
	    back, { expectedState: req.state ?? rp.C.skipStateCheck,
	    pkceCodeVerifier: req.verifier }), error, what);
	assert.equal(err.constructor.name, 'AuthorizationResponseError');
	return back;
}

// A signed-in person (code flow through conf done once).
async function signedInPerson(opts = {}) {
	const person = await O.newPerson(srv);
	const rp = await O.rpFor(srv, conf);
	const flow = await O.codeFlow(rp, person, {}, opts);
	return { person, flow };
}

// The callback URL of a code for rp, without redeeming it.
async function codeFor(rp, person, params = {}) {
	const req = await O.authRequest(rp, params);
	const run = await O.drive(person, req.url, { consent: 'allow' });
	assert.ok(run.redirect && run.redirect.searchParams.get('code'),
	    `no code: ${run.redirect}`);
	return { req, back: run.redirect };
}

// ---- /authorize: page errors ----

test('authorize: missing, unregistered or inexact redirect_uri is an ' +
    'error page, never a redirect', async () => {
	const rp = await O.rpFor(srv, conf);
	const { person } = await signedInPerson();
	const anon = new L.Client(srv.url);
	const cases = {
		missing: null,
		unregistered: 'https://evil.example/cb',
		'trailing slash': 'https://conf.example/cb/',
		'extra query': 'https://conf.example/cb?x=1',
		'other case': 'https://CONF.example/cb',
		'other scheme': 'http://conf.example/cb',
		'with fragment': 'https://conf.example/cb#x',
		'another client\'s': confB.redirect_uris[0],
		'empty': '',
	};
	for (const [name, uri] of Object.entries(cases)) {
		for (const [who, c] of [['anonymous', anon],
		    ['signed in', person.c]]) {
			const req = await O.authRequest(rp,
			    { redirect_uri: uri });
			const r = await c.get(req.url.toString());
			O.assertErrorPage(r, `${name} redirect_uri (${who})`);
			assert.ok(!r.text.includes('evil.example'));
		}
	}
	// Even with another error in the request, a bad redirect_uri wins.
	const req = await O.authRequest(rp, { redirect_uri:
	    'https://evil.example/cb', response_type: 'token', scope: 'x' });
	O.assertErrorPage(await anon.get(req.url.toString()),
	    'bad redirect_uri and response_type');
	// The same by POST.
	const post = await anon.post('/authorize', {
		client_id: conf.client_id, response_type: 'code',
		scope: 'openid', redirect_uri: 'https://evil.example/cb',
		state: 's' });
	O.assertErrorPage(post, 'POST with a bad redirect_uri');
});

test('authorize: unknown or missing client_id is an error page', async () => {
	const rp = await O.rpFor(srv, conf);
	const anon = new L.Client(srv.url);
	for (const id of ['no-such-client', null, '', 'x'.repeat(300)]) {
		const req = await O.authRequest(rp, { client_id: id });
		const url = new URL(req.url);
		if (id === null)
			url.searchParams.delete('client_id');
		const r = await anon.get(url.toString());
		O.assertErrorPage(r, `client_id ${String(id).slice(0, 20)}`);
	}
});

// ---- /authorize: errors back to the client ----

test('authorize: response_type token, id_token, "code id_token" -> ' +
    'unsupported_response_type with state', async () => {
	const rp = await O.rpFor(srv, conf);
	const { person } = await signedInPerson();
	for (const rt of ['token', 'id_token', 'code id_token',
	    'id_token token', 'none'])
		await expectErrorRedirect(rp, person.c, { response_type: rt },
		    'unsupported_response_type', `response_type=${rt}`);
	// Also for someone not signed in: the error comes before sign-in.
	await expectErrorRedirect(rp, new L.Client(srv.url),
	    { response_type: 'token' }, 'unsupported_response_type',
	    'response_type=token, anonymous');
});

test('authorize: missing openid scope -> invalid_scope', async () => {
	const rp = await O.rpFor(srv, conf);
	const anon = new L.Client(srv.url);
	await expectErrorRedirect(rp, anon, { scope: 'email' },
	    'invalid_scope', 'scope=email');
	await expectErrorRedirect(rp, anon, { scope: null },
	    'invalid_scope', 'no scope');
	await expectErrorRedirect(rp, anon, { scope: 'openidx profile' },
	    'invalid_scope', 'scope=openidx');
});

test('authorize: request and request_uri -> request_not_supported, ' +
    'request_uri_not_supported', async () => {
	const rp = await O.rpFor(srv, conf);
	const anon = new L.Client(srv.url);
	await expectErrorRedirect(rp, anon, { response_type: 'code',
	    request: 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.' },
	    'request_not_supported', 'request=');
	await expectErrorRedirect(rp, anon, { response_type: 'code',
	    request_uri: 'https://conf.example/request.jwt' },
	    'request_uri_not_supported', 'request_uri=');
});

test('authorize: response_mode=fragment or form_post -> invalid_request ' +
    'in the query', async () => {
	const rp = await O.rpFor(srv, conf);
	const anon = new L.Client(srv.url);
	for (const mode of ['fragment', 'form_post', 'jwt'])
		await expectErrorRedirect(rp, anon, { response_mode: mode },
		    'invalid_request', `response_mode=${mode}`);
});

test('authorize: a public client without PKCE -> invalid_request',
    async () => {
	const rp = await O.rpFor(srv, pub);
	const anon = new L.Client(srv.url);
	await expectErrorRedirect(rp, anon, { code_challenge: null,
	    code_challenge_method: null }, 'invalid_request',
	    'public client without PKCE');
});

test('authorize: code_challenge_method plain, missing or unknown -> ' +
    'invalid_request', async () => {
	const rp = await O.rpFor(srv, pub);
	const anon = new L.Client(srv.url);
	const verifier = rp.C.randomPKCECodeVerifier();
	await expectErrorRedirect(rp, anon, { code_challenge: verifier,
	    code_challenge_method: 'plain' }, 'invalid_request',
	    'code_challenge_method=plain');
	// RFC 7636 4.3: no method means plain.
	await expectErrorRedirect(rp, anon, { code_challenge: verifier,
	    code_challenge_method: null }, 'invalid_request',
	    'code_challenge without a method');
	await expectErrorRedirect(rp, anon, { code_challenge_method: 'S512' },
	    'invalid_request', 'code_challenge_method=S512');
	await expectErrorRedirect(rp, anon, { code_challenge: 'short' },
	    'invalid_request', 'a malformed code_challenge');
});

test('authorize: prompt=none without a session -> login_required',
    async () => {
	const rp = await O.rpFor(srv, conf);
	const anon = new L.Client(srv.url);
	await expectErrorRedirect(rp, anon, { prompt: 'none' },
	    'login_required', 'prompt=none, no session');
	// prompt=none with another value is malformed.
	await expectErrorRedirect(rp, anon, { prompt: 'none login' },
	    'invalid_request', 'prompt=none login');
});

test('authorize: prompt=none for a third-party client without consent ' +
    '-> consent_required', async () => {
	const rp = await O.rpFor(srv, third);
	const { person } = await signedInPerson();
	await expectErrorRedirect(rp, person.c, { prompt: 'none' },
	    'consent_required', 'prompt=none, no consent');
	// After consent, prompt=none works.
	await O.codeFlow(rp, person);
	const f = await O.codeFlow(rp, person, { prompt: 'none' });
	assert.equal(f.run.consents, 0);
});

test('authorize: no Access-Control-Allow-Origin, whatever the Origin',
    async () => {
	const rp = await O.rpFor(srv, conf);
	const req = await O.authRequest(rp);
	const bad = await O.authRequest(rp,
	    { redirect_uri: 'https://evil.example/cb' });
	for (const url of [req.url, bad.url]) {
		const r = await fetch(url, { redirect: 'manual',
		    headers: { origin: 'https://evil.example' } });
		await r.arrayBuffer();
		assert.equal(r.headers.get('access-control-allow-origin'), null,
		    `ACAO on ${r.status} /authorize`);
		assert.equal(r.headers.get('access-control-allow-credentials'),
		    null);
	}
	const pre = await fetch(req.url, { method: 'OPTIONS', headers: {
		origin: 'https://evil.example',
		'access-control-request-method': 'GET' } });
	await pre.arrayBuffer();
	assert.equal(pre.headers.get('access-control-allow-origin'), null,
	    'ACAO on a preflight of /authorize');
});

// ---- /token ----

test('token: code reuse -> invalid_grant, and what the first use issued ' +
    'is revoked', async () => {
	const rp = await O.rpFor(srv, conf);
	const { person } = await signedInPerson();
	const { req, back } = await codeFor(rp, person,
	    { scope: 'openid offline_access' });
	const checks = { expectedState: req.state, expectedNonce: req.nonce,
	    pkceCodeVerifier: req.verifier };
	const t1 = await rp.C.authorizationCodeGrant(rp.config, back, checks);
	assert.equal((await O.userinfo(srv, t1.access_token)).status, 200);
	await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config, back,
	    checks), 'invalid_grant', 'second use of a code');
	const ui = await O.userinfo(srv, t1.access_token);
	assert.equal(ui.status, 401,
	    'the first use\'s access token still works after a replay');
	await O.rejectsWith(rp.C.refreshTokenGrant(rp.config,
	    t1.refresh_token), 'invalid_grant',
	    'the first use\'s refresh token after a replay');
});

test('token: an expired code -> invalid_grant', async () => {
	const s2 = await L.startServer({
	    env: { ONEPASS_OIDC_CODE_TTL_SEC: '1' } });
	try {
		const cl = await O.addClient(s2, { firstParty: true });
		const rp = await O.rpFor(s2, cl);
		const person = await O.newPerson(s2);
		const { req, back } = await codeFor(rp, person);
		await L.sleep(2100);
		await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config,
		    back, { expectedState: req.state,
		    expectedNonce: req.nonce, pkceCodeVerifier: req.verifier }),
		    'invalid_grant', 'expired code');
		// A fresh code redeemed at once still works there.
		const ok = await codeFor(rp, person);
		const t = await rp.C.authorizationCodeGrant(rp.config,
		    ok.back, { expectedState: ok.req.state,
		    expectedNonce: ok.req.nonce,
		    pkceCodeVerifier: ok.req.verifier });
		assert.equal(typeof t.access_token, 'string');
	} finally {
		await s2.stop();
	}
});

test('token: PKCE verifier mismatch or missing -> invalid_grant',
    async () => {
	const rp = await O.rpFor(srv, pub);
	const { person } = await signedInPerson();
	const a = await codeFor(rp, person);
	await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config, a.back,
	    { expectedState: a.req.state, expectedNonce: a.req.nonce,
	    pkceCodeVerifier: rp.C.randomPKCECodeVerifier() }),
	    'invalid_grant', 'wrong verifier');
	const b = await codeFor(rp, person);
	await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config, b.back,
	    { expectedState: b.req.state, expectedNonce: b.req.nonce }),
	    'invalid_grant', 'no verifier');
	// The challenge itself is not a verifier.
	const c = await codeFor(rp, person);
	await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config, c.back,
	    { expectedState: c.req.state, expectedNonce: c.req.nonce,
	    pkceCodeVerifier: c.req.params.code_challenge }),
	    'invalid_grant', 'the challenge as verifier');
});

test('token: a code_verifier for a code issued without PKCE -> ' +
    'invalid_grant', async () => {
	// RFC 9700 2.1.1: a verifier without a challenge is a downgrade.
	const rp = await O.rpFor(srv, conf);
	const { person } = await signedInPerson();
	const { req, back } = await codeFor(rp, person,
	    { code_challenge: null, code_challenge_method: null });
	await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config, back,
	    { expectedState: req.state, expectedNonce: req.nonce,
	    pkceCodeVerifier: req.verifier }), 'invalid_grant',
	    'verifier without challenge');
	// Without PKCE at both ends a confidential client still works.
	const ok = await codeFor(rp, person,
	    { code_challenge: null, code_challenge_method: null });
	const t = await rp.C.authorizationCodeGrant(rp.config, ok.back,
	    { expectedState: ok.req.state, expectedNonce: ok.req.nonce });
	assert.equal(typeof t.id_token, 'string');
});

test('token: wrong client secret with client_secret_basic -> 401 ' +
    'invalid_client with WWW-Authenticate', async () => {
	const good = await O.rpFor(srv, conf);
	const bad = await O.rpFor(srv, conf, { auth: 'basic',
	    secret: 'wrong-secret' });
	const { person } = await signedInPerson();
	const { req, back } = await codeFor(good, person);
	await O.rejectsWith(bad.C.authorizationCodeGrant(bad.config, back,
	    { expectedState: req.state, expectedNonce: req.nonce,
	    pkceCodeVerifier: req.verifier }), 'invalid_client',
	    'wrong secret (basic)');
	const res = O.lastResponse(bad, '/token');
	assert.equal(res.status, 401);
	assert.match(res.headers.get('www-authenticate') || '', /^Basic\b/i);
	assert.match(res.headers.get('cache-control') || '', /no-store/);
	// An unknown client_id in Basic: the same answer.
	const r = await O.postForm(srv, '/token', { grant_type:
	    'authorization_code', code: 'x', redirect_uri: 'https://x/' },
	    ['no-such-client', 'secret']);
	assert.equal(r.status, 401);
	assert.equal(r.json.error, 'invalid_client');
	assert.match(r.headers.get('www-authenticate') || '', /^Basic\b/i);
});

test('token: wrong client secret with client_secret_post -> ' +
    'invalid_client', async () => {
	const good = await O.rpFor(srv, conf);
	const bad = await O.rpFor(srv, conf, { auth: 'post',
	    secret: 'wrong-secret' });
	const { person } = await signedInPerson();
	const { req, back } = await codeFor(good, person);
	await O.rejectsWith(bad.C.authorizationCodeGrant(bad.config, back,
	    { expectedState: req.state, expectedNonce: req.nonce,
	    pkceCodeVerifier: req.verifier }), 'invalid_client',
	    'wrong secret (post)');
	const status = O.lastResponse(bad, '/token').status;
	assert.ok(status === 400 || status === 401, `status ${status}`);
});

test('token: a confidential client without its secret -> invalid_client',
    async () => {
	// Posing as a public client: client_id only, no secret.
	const good = await O.rpFor(srv, conf);
	const none = await O.rpFor(srv, conf, { auth: 'none' });
	const { person } = await signedInPerson();
	const { req, back } = await codeFor(good, person);
	await O.rejectsWith(none.C.authorizationCodeGrant(none.config, back,
	    { expectedState: req.state, expectedNonce: req.nonce,
	    pkceCodeVerifier: req.verifier }), 'invalid_client',
	    'no secret');
	// Both Basic and client_secret in the body: refused too.
	const r = await O.postForm(srv, '/token', { grant_type:
	    'authorization_code', code: 'x', redirect_uri: 'https://x/',
	    client_secret: conf.client_secret },
	    [conf.client_id, conf.client_secret]);
	assert.equal(r.json.error, 'invalid_client');
});

test('token: redirect_uri differing from the authorize one -> ' +
    'invalid_grant', async () => {
	const rp = await O.rpFor(srv, conf);
	const { person } = await signedInPerson();
	const { req, back } = await codeFor(rp, person);
	assert.equal(back.origin + back.pathname, conf.redirect_uris[0]);
	// openid-client sends the callback URL without its query as
	// redirect_uri: the same query on the other registered URI.
	const other = new URL(conf.redirect_uris[1]);
	other.search = back.search;
	await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config, other,
	    { expectedState: req.state, expectedNonce: req.nonce,
	    pkceCodeVerifier: req.verifier }), 'invalid_grant',
	    'redirect_uri cb2 for a code of cb');
	// Missing redirect_uri entirely.
	const b = await codeFor(rp, person);
	const r = await O.postForm(srv, '/token', { grant_type:
	    'authorization_code', code: b.back.searchParams.get('code'),
	    code_verifier: b.req.verifier },
	    [conf.client_id, conf.client_secret]);
	assert.equal(r.status, 400);
	assert.equal(r.json.error, 'invalid_grant',
	    `no redirect_uri: ${r.text}`);
});

test('token: a code issued to client A redeemed by client B -> ' +
    'invalid_grant', async () => {
	const rpA = await O.rpFor(srv, conf);
	const rpB = await O.rpFor(srv, confB);
	const { person } = await signedInPerson();
	const { req, back } = await codeFor(rpA, person);
	await O.rejectsWith(rpB.C.authorizationCodeGrant(rpB.config, back,
	    { expectedState: req.state, expectedNonce: req.nonce,
	    pkceCodeVerifier: req.verifier }), 'invalid_grant',
	    'client B with client A\'s code');
	// And a public client's code redeemed by a confidential one.
	const rpP = await O.rpFor(srv, pub);
	const p = await codeFor(rpP, person);
	await O.rejectsWith(rpB.C.authorizationCodeGrant(rpB.config, p.back,
	    { expectedState: p.req.state, expectedNonce: p.req.nonce,
	    pkceCodeVerifier: p.req.verifier }), 'invalid_grant',
	    'client B with the public client\'s code');
});

test('token: grant types other than code and refresh -> ' +
    'unsupported_grant_type; a missing one -> invalid_request',
    async () => {
	for (const g of ['password', 'client_credentials', 'implicit',
	    'urn:ietf:params:oauth:grant-type:device_code']) {
		const r = await O.postForm(srv, '/token', { grant_type: g,
		    username: 'a', password: 'b', scope: 'openid' },
		    [conf.client_id, conf.client_secret]);
		assert.equal(r.status, 400, `${g}: ${r.status}`);
		assert.equal(r.json.error, 'unsupported_grant_type', g);
	}
	const r = await O.postForm(srv, '/token', {},
	    [conf.client_id, conf.client_secret]);
	assert.equal(r.status, 400);
	assert.equal(r.json.error, 'invalid_request');
});

// ---- re-authentication ----

test('max_age=0 forces a new password entry; auth_time moves forward',
    async () => {
	const rp = await O.rpFor(srv, conf);
	const { person, flow } = await signedInPerson();
	await L.sleep(1100);
	const f2 = await O.codeFlow(rp, person, { max_age: '0' },
	    { maxAge: 0 });
	assert.equal(f2.run.signins, 1,
	    'max_age=0 did not show the sign-in page');
	assert.ok(f2.claims.auth_time > flow.claims.auth_time,
	    `auth_time ${f2.claims.auth_time} not after ` +
	    `${flow.claims.auth_time}`);
	// A generous max_age does not ask again.
	const f3 = await O.codeFlow(rp, person, { max_age: '3600' },
	    { maxAge: 3600 });
	assert.equal(f3.run.signins, 0);
	assert.equal(f3.claims.auth_time, f2.claims.auth_time);
});

test('prompt=login forces a new password entry; auth_time moves forward',
    async () => {
	const rp = await O.rpFor(srv, conf);
	const { person, flow } = await signedInPerson();
	await L.sleep(1100);
	const f2 = await O.codeFlow(rp, person, { prompt: 'login' });
	assert.equal(f2.run.signins, 1,
	    'prompt=login did not show the sign-in page');
	assert.ok(f2.claims.auth_time > flow.claims.auth_time);
	assert.equal(f2.claims.sub, flow.claims.sub);
	// Refusing to enter the password leaves no code: the sign-in page
	// is all the person gets. (A second later: the same second is the
	// next test's case.)
	await L.sleep(1100);
	const req = await O.authRequest(rp, { prompt: 'login' });
	const run = await O.drive(person, req.url, { signIn: false });
	assert.equal(run.signins, 1);
	// The page says why, fills in the address, and keeps the person's
	// choice ("Always ask": nothing remembered) instead of switching to
	// "Save my e-mail address".
	const page = run.signinPage.text;
	assert.match(L.statusText(page), /type your password again/);
	assert.equal(L.inputValue(page, 'email'), person.email);
	const f = L.formsOf(page).find((x) => x.action === '/signin');
	assert.equal(f.fields.save, 'never',
	    'the forced sign-in changed the save choice');
	assert.equal(run.redirect, undefined);
	assert.equal(L.h1Of(run.page.text), 'Sign in to Conf RP');
});

// Signs person in, then at once sends an authorization request with
// params, both within one wall-clock second (retried when a second
// boundary falls between). Returns the provider's first answer.
async function requestInSameSecond(rp, person, params) {
	for (let attempt = 0; attempt < 5; attempt++) {
		await L.sleep(1005 - (Date.now() % 1000));
		const sec = Math.floor(Date.now() / 1000);
		const s = await L.signIn(person.c, person.email,
		    person.password);
		assert.equal(s.status, 303, 'sign-in failed');
		const req = await O.authRequest(rp, params);
		const r = await person.c.get(req.url.toString());
		if (Math.floor(Date.now() / 1000) === sec)
			return r;
	}
	assert.fail('could not sign in and send a request within a second');
}

for (const [name, params] of [['prompt=login', { prompt: 'login' }],
    ['max_age=0', { max_age: '0' }]]) {
	test(`${name} right after a sign-in (same second) still asks for ` +
	    'the password', async () => {
		const rp = await O.rpFor(srv, conf);
		const person = await O.newPerson(srv);
		const r = await requestInSameSecond(rp, person, params);
		const to = r.location ? new URL(r.location, srv.url) : null;
		assert.ok(to && to.origin === new URL(srv.url).origin &&
		    to.pathname === '/signin', `${name} answered ` +
		    `${r.status} ${r.location}: a code without a new ` +
		    'password entry');
	});
}

test('a persistent "save my password" session does not refresh auth_time',
    async () => {
	const rp = await O.rpFor(srv, conf);
	const { person, flow } = await signedInPerson({ save: 'password' });
	await L.sleep(1100);
	person.c.restartBrowser();
	assert.equal(await L.isSignedIn(person.c), true,
	    'the saved session did not survive the browser');
	const f2 = await O.codeFlow(rp, person);
	assert.equal(f2.run.signins, 0);
	assert.equal(f2.claims.auth_time, flow.claims.auth_time,
	    'auth_time moved without a password entry');
	assert.equal(f2.claims.sid, flow.claims.sid);
	// And max_age counts from that first entry (over 2 s ago now, so
	// more than 1 s even in the provider's whole seconds).
	await L.sleep(1000);
	const f3 = await O.codeFlow(rp, person, { max_age: '1' },
	    { maxAge: 1 });
	assert.equal(f3.run.signins, 1, 'max_age=1 was satisfied by an ' +
	    'old sign-in');
	assert.ok(f3.claims.auth_time > flow.claims.auth_time);
});

// ---- logout ----

test('logout: an unsigned id_token_hint (alg none) is an invalid hint',
    async () => {
	const rp = await O.rpFor(srv, logoutRp);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person);
	const real = O.decodeJwt(flow.tokens.id_token);
	const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
	const hints = [
		`${b64({ alg: 'none', typ: 'JWT' })}.${b64(real.payload)}.`,
		`${b64({ alg: 'none', kid: real.header.kid })}.` +
		    `${b64(real.payload)}.`,
		`${b64({ alg: 'NONE', kid: real.header.kid })}.` +
		    `${b64(real.payload)}.${real.signature}`,
		`${b64({ ...real.header, alg: 'none' })}.` +
		    `${b64(real.payload)}.${real.signature}`,
		`${b64({ ...real.header, alg: 'HS256' })}.` +
		    `${b64(real.payload)}.${real.signature}`,
	];
	for (const hint of hints) {
		const url = rp.C.buildEndSessionUrl(rp.config, {
			id_token_hint: hint,
			post_logout_redirect_uri: 'https://conf.example/bye',
			state: 'st',
		});
		const r = await person.c.get(url.toString());
		assert.equal(r.status, 200, `hint ${hint.slice(0, 40)}: ` +
		    `${r.status} ${r.location}`);
		assert.ok(L.formsOf(r.text).some((f) =>
		    f.action === '/logout/confirm'), 'no confirmation page');
		assert.equal(await L.isSignedIn(person.c), true,
		    'signed out by an unsigned hint');
	}
	assert.equal((await O.userinfo(srv, flow.tokens.access_token)).status,
	    200);
});
