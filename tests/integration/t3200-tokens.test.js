// What a client does with its tokens, through openid-client: userinfo
// (GET and POST), refresh with rotation and reuse detection, revocation
// (RFC 7009) and introspection (RFC 7662).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');

let srv;
let clientA;
let clientB;
let publicClient;

test.before(async () => {
	srv = await L.startServer();
	clientA = await O.addClient(srv, { firstParty: true, name: 'RP A' });
	clientB = await O.addClient(srv, { firstParty: true, name: 'RP B' });
	publicClient = await O.addClient(srv, { firstParty: true,
	    public: true, name: 'RP public' });
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// Expects userinfo to refuse token as RFC 6750 3.1 says.
async function assertTokenDead(token, what) {
	const r = await O.userinfo(srv, token);
	assert.equal(r.status, 401, `${what}: userinfo answered ${r.status}`);
	const wa = r.headers.get('www-authenticate') || '';
	assert.match(wa, /^Bearer\b/, `${what}: WWW-Authenticate "${wa}"`);
	assert.match(wa, /error="invalid_token"/,
	    `${what}: WWW-Authenticate "${wa}"`);
}

test('userinfo: GET, POST with a Bearer header, POST with a form token',
    async () => {
	const rp = await O.rpFor(srv, clientA);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person, { scope: 'openid email' });
	const at = flow.tokens.access_token;
	const sub = flow.claims.sub;

	const get = await rp.C.fetchUserInfo(rp.config, at, sub);
	assert.equal(get.sub, sub);
	assert.equal(get.email, person.email.toLowerCase());

	const res = await rp.C.fetchProtectedResource(rp.config, at,
	    new URL(`${srv.publicUrl}/userinfo`), 'POST');
	assert.equal(res.status, 200);
	assert.match(res.headers.get('cache-control'), /no-store/);
	const post = await res.json();
	assert.deepEqual(post, get);

	// RFC 6750 2.2: the token in a form body.
	const form = await O.postForm(srv, '/userinfo', { access_token: at });
	assert.equal(form.status, 200);
	assert.deepEqual(form.json, get);
	assert.match(form.headers.get('cache-control'), /no-store/);

	// No token at all: 401 with a Bearer challenge and no error code
	// (RFC 6750 3.1).
	const none = await fetch(`${srv.url}/userinfo`);
	assert.equal(none.status, 401);
	assert.match(none.headers.get('www-authenticate') || '', /^Bearer\b/);
	await none.arrayBuffer();
	// A made-up token.
	await assertTokenDead('A'.repeat(43), 'unknown token');
});

test('refresh: rotation, and reuse of a spent refresh token revokes the ' +
    'whole family', async () => {
	const rp = await O.rpFor(srv, clientA);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person,
	    { scope: 'openid offline_access' });
	const rt0 = flow.tokens.refresh_token;
	assert.equal(typeof rt0, 'string', 'no refresh token');
	const at0 = flow.tokens.access_token;

	const r1 = await rp.C.refreshTokenGrant(rp.config, rt0);
	assertNoStoreLogged(rp);
	assert.equal(typeof r1.refresh_token, 'string',
	    'no new refresh token');
	assert.notEqual(r1.refresh_token, rt0, 'refresh token not rotated');
	assert.notEqual(r1.access_token, at0);
	const c1 = r1.claims();
	assert.equal(c1.sub, flow.claims.sub, 'sub changed on refresh');
	assert.equal(c1.auth_time, flow.claims.auth_time,
	    'auth_time changed on refresh');
	const ui1 = await rp.C.fetchUserInfo(rp.config, r1.access_token,
	    flow.claims.sub);
	assert.equal(ui1.sub, flow.claims.sub);

	const r2 = await rp.C.refreshTokenGrant(rp.config, r1.refresh_token);
	assert.notEqual(r2.refresh_token, r1.refresh_token);
	assert.notEqual(r2.refresh_token, rt0);
	const ui2 = await rp.C.fetchUserInfo(rp.config, r2.access_token,
	    flow.claims.sub);
	assert.equal(ui2.sub, flow.claims.sub);

	// The spent r1 again: refused, and everything of the family dies.
	await O.rejectsWith(rp.C.refreshTokenGrant(rp.config,
	    r1.refresh_token), 'invalid_grant', 'reused refresh token');
	await O.rejectsWith(rp.C.refreshTokenGrant(rp.config,
	    r2.refresh_token), 'invalid_grant',
	    'newest refresh token after reuse');
	await assertTokenDead(r2.access_token, 'newest access token');
	await assertTokenDead(r1.access_token, 'earlier access token');
	await assertTokenDead(at0, 'first access token');
});

function assertNoStoreLogged(rp) {
	const res = O.lastResponse(rp, '/token');
	assert.match(res.headers.get('cache-control') || '', /no-store/);
}

// A refresh that must succeed; a failure names the provider's error.
async function refreshOk(rp, rt, params, what) {
	try {
		return await rp.C.refreshTokenGrant(rp.config, rt, params);
	} catch (e) {
		assert.fail(`${what}: refresh refused: ${e.error}: ` +
		    `${e.error_description || e.message}`);
	}
}

test('refresh: a narrower scope is allowed and the rotated token keeps ' +
    'the whole grant', async () => {
	const rp = await O.rpFor(srv, clientA);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person,
	    { scope: 'openid email offline_access' });
	const r = await refreshOk(rp, flow.tokens.refresh_token,
	    { scope: 'openid' }, 'narrower scope');
	assert.deepEqual(r.scope.split(' '), ['openid']);
	assert.equal(r.claims().email, undefined,
	    'email in an ID token of scope openid');
	const ui = await rp.C.fetchUserInfo(rp.config, r.access_token,
	    flow.claims.sub);
	assert.equal(ui.email, undefined, 'userinfo beyond the scope');
	const r2 = await refreshOk(rp, r.refresh_token, undefined,
	    'rotated token');
	assert.deepEqual(r2.scope.split(' ').sort(),
	    ['email', 'offline_access', 'openid']);
});

test('refresh: a wider scope is invalid_scope and leaves the refresh ' +
    'token usable', async () => {
	const rp = await O.rpFor(srv, clientA);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person,
	    { scope: 'openid offline_access' });
	await O.rejectsWith(rp.C.refreshTokenGrant(rp.config,
	    flow.tokens.refresh_token, { scope: 'openid email' }),
	    'invalid_scope', 'refresh asking for email');
	// RFC 6749 5.2: an error response; nothing was issued, so the
	// client's refresh token must still be the valid one.
	const r = await refreshOk(rp, flow.tokens.refresh_token, undefined,
	    'the same refresh token after an invalid_scope answer');
	assert.equal(typeof r.access_token, 'string');
});

test('refresh: a refresh token is bound to its client; another client\'s ' +
    'attempt changes nothing', async () => {
	const rpA = await O.rpFor(srv, clientA);
	const rpB = await O.rpFor(srv, clientB);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rpA, person,
	    { scope: 'openid offline_access' });
	await O.rejectsWith(rpB.C.refreshTokenGrant(rpB.config,
	    flow.tokens.refresh_token), 'invalid_grant',
	    'another client\'s refresh token');
	// RFC 6749 6: the token is checked against the authenticated
	// client; the refused request must not spend the owner's token.
	const again = await refreshOk(rpA, flow.tokens.refresh_token,
	    undefined, 'the owner after another client\'s attempt');
	assert.equal(typeof again.access_token, 'string');
});

test('revocation: a revoked access token gets 401 with WWW-Authenticate ' +
    'at userinfo', async () => {
	const rp = await O.rpFor(srv, clientA);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person);
	const at = flow.tokens.access_token;
	await rp.C.fetchUserInfo(rp.config, at, flow.claims.sub);
	await rp.C.tokenRevocation(rp.config, at);
	assert.equal(O.lastResponse(rp, '/revoke').status, 200);
	await assertTokenDead(at, 'revoked access token');
	// openid-client sees the challenge too.
	await assert.rejects(rp.C.fetchUserInfo(rp.config, at,
	    flow.claims.sub), (e) => {
		assert.equal(e.constructor.name,
		    'WWWAuthenticateChallengeError');
		assert.equal(e.cause[0].scheme, 'bearer');
		assert.equal(e.cause[0].parameters.error, 'invalid_token');
		return true;
	});
	// Revoking again, or a token that never existed: still 200.
	await rp.C.tokenRevocation(rp.config, at);
	await rp.C.tokenRevocation(rp.config, 'not-a-token');
	assert.equal(O.lastResponse(rp, '/revoke').status, 200);
});

test('revocation: revoking a refresh token ends its access tokens too',
    async () => {
	const rp = await O.rpFor(srv, clientA);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person,
	    { scope: 'openid offline_access' });
	await rp.C.tokenRevocation(rp.config, flow.tokens.refresh_token,
	    { token_type_hint: 'refresh_token' });
	await O.rejectsWith(rp.C.refreshTokenGrant(rp.config,
	    flow.tokens.refresh_token), 'invalid_grant',
	    'revoked refresh token');
	await assertTokenDead(flow.tokens.access_token,
	    'access token of a revoked grant');
});

test('revocation: a client cannot revoke another client\'s token',
    async () => {
	const rpA = await O.rpFor(srv, clientA);
	const rpB = await O.rpFor(srv, clientB);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rpA, person);
	await rpB.C.tokenRevocation(rpB.config, flow.tokens.access_token);
	assert.equal(O.lastResponse(rpB, '/revoke').status, 200);
	const ui = await rpA.C.fetchUserInfo(rpA.config,
	    flow.tokens.access_token, flow.claims.sub);
	assert.equal(ui.sub, flow.claims.sub);
});

test('introspection: active with sub, scope and client_id; inactive ' +
    'after revocation and for another client\'s token', async () => {
	const rpA = await O.rpFor(srv, clientA);
	const rpB = await O.rpFor(srv, clientB);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rpA, person,
	    { scope: 'openid email offline_access' });
	const at = flow.tokens.access_token;

	const i1 = await rpA.C.tokenIntrospection(rpA.config, at);
	assert.equal(i1.active, true);
	assert.equal(i1.sub, flow.claims.sub);
	assert.equal(i1.client_id, clientA.client_id);
	assert.deepEqual(i1.scope.split(' ').sort(),
	    ['email', 'offline_access', 'openid']);
	assert.ok(i1.exp > Date.now() / 1000, 'exp in the past');
	assert.ok(i1.iat <= i1.exp);
	assert.match(O.lastResponse(rpA, '/introspect').headers
	    .get('cache-control') || '', /no-store/);

	const ir = await rpA.C.tokenIntrospection(rpA.config,
	    flow.tokens.refresh_token, { token_type_hint: 'refresh_token' });
	assert.equal(ir.active, true);
	assert.equal(ir.sub, flow.claims.sub);

	const other = await rpB.C.tokenIntrospection(rpB.config, at);
	assert.deepEqual(other, { active: false },
	    'another client learnt about the token');

	await rpA.C.tokenRevocation(rpA.config, at);
	const i2 = await rpA.C.tokenIntrospection(rpA.config, at);
	assert.deepEqual(i2, { active: false });

	const junk = await rpA.C.tokenIntrospection(rpA.config, 'junk');
	assert.deepEqual(junk, { active: false });
});

test('introspection: public clients and bad secrets are refused',
    async () => {
	const rpP = await O.rpFor(srv, publicClient);
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rpP, person);
	await O.rejectsWith(rpP.C.tokenIntrospection(rpP.config,
	    flow.tokens.access_token), 'invalid_client',
	    'introspection by a public client');
	const bad = await O.rpFor(srv, clientA, { secret: 'wrong' });
	await O.rejectsWith(bad.C.tokenIntrospection(bad.config,
	    flow.tokens.access_token), 'invalid_client',
	    'introspection with a wrong secret');
	assert.equal(O.lastResponse(bad, '/introspect').status, 401);
});
