// The authorization code flow with PKCE, driven by openid-client: a
// confidential client with client_secret_basic and one with
// client_secret_post, a public client (auth "none"), and clients whose ID
// tokens are ES256 and EdDSA. openid-client checks state, iss, nonce,
// PKCE, aud, exp, iat and (enableNonRepudiationChecks) the signature; the
// tests add at_hash, auth_time, sid, the stable subject, the e-mail claims
// and the response headers.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');

let srv;
let basicClient;
let postClient;
let publicClient;

test.before(async () => {
	srv = await L.startServer();
	basicClient = await O.addClient(srv, { firstParty: true,
	    name: 'Basic RP' });
	postClient = await O.addClient(srv, { firstParty: true,
	    name: 'Post RP' });
	publicClient = await O.addClient(srv, { firstParty: true,
	    public: true, name: 'Public RP',
	    redirectUris: ['http://127.0.0.1:9/public-cb'] });
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// The checks every ID token of a code flow must pass beyond openid-client.
async function checkIdToken(rp, flow, person, alg, before) {
	const { tokens, claims } = flow;
	const { header, payload } = O.decodeJwt(tokens.id_token);
	assert.equal(header.alg, alg, 'ID token alg');
	assert.equal(typeof header.kid, 'string', 'ID token without kid');
	const v = await O.verifyWithJwks(srv, tokens.id_token, alg);
	assert.equal(v.protectedHeader.kid, header.kid);
	assert.equal(payload.iss, srv.publicUrl);
	assert.equal(payload.aud, rp.client.client_id);
	assert.equal(payload.nonce, flow.req.nonce);
	assert.equal(payload.at_hash, O.atHash(alg, tokens.access_token),
	    'at_hash does not match the access token');
	assert.ok(Number.isInteger(payload.iat) &&
	    Number.isInteger(payload.exp));
	assert.ok(payload.exp > payload.iat, 'exp not after iat');
	assert.ok(Number.isInteger(payload.auth_time), 'auth_time missing');
	assert.ok(payload.auth_time <= payload.iat, 'auth_time after iat');
	assert.ok(payload.auth_time >= Math.floor(before / 1000) - 1,
	    'auth_time earlier than the sign-in');
	assert.equal(typeof payload.sid, 'string', 'sid missing');
	assert.ok(payload.sid.length >= 16, 'sid too short');
	assert.equal(typeof payload.sub, 'string');
	assert.ok(payload.sub.length > 0 && payload.sub.length <= 255);
	assert.ok(!payload.sub.includes('@'), 'sub looks like an address');
	assert.ok(!payload.sub.toLowerCase().includes(
	    person.email.split('@')[0].toLowerCase()),
	    'sub contains the address');
	assert.deepEqual(claims, payload);
	assert.equal(String(tokens.token_type).toLowerCase(), 'bearer');
	assert.ok(tokens.expires_in > 0, 'expires_in');
}

function assertNoStore(res, what) {
	assert.ok(res, `${what}: no response logged`);
	assert.match(res.headers.get('cache-control') || '', /no-store/,
	    `${what}: Cache-Control is ${res.headers.get('cache-control')}`);
}

test('code flow + PKCE, client_secret_basic: tokens, ID token, userinfo',
    async () => {
	const rp = await O.rpFor(srv, basicClient, { auth: 'basic' });
	const person = await O.newPerson(srv);
	const before = Date.now();
	const flow = await O.codeFlow(rp, person);
	assert.equal(flow.run.signins, 1, 'the sign-in page was not shown');
	assert.equal(flow.run.consents, 0, 'consent asked of a first party');
	const back = flow.run.redirect;
	assert.equal(back.searchParams.get('iss'), srv.publicUrl,
	    'no RFC 9207 iss in the authorization response');
	assert.equal(back.searchParams.get('state'), flow.req.state);
	assert.equal(back.origin + back.pathname,
	    basicClient.redirect_uris[0]);
	await checkIdToken(rp, flow, person, 'RS256', before);
	const tokenRes = O.lastResponse(rp, '/token');
	assertNoStore(tokenRes, 'token response');
	assert.match(tokenRes.headers.get('content-type'),
	    /^application\/json/);
	assert.match(tokenRes.reqHeaders.get('authorization') || '',
	    /^Basic /, 'openid-client did not use Basic');
	assert.ok(!/client_secret=/.test(tokenRes.reqBody),
	    'the secret was also in the body');
	assert.match(tokenRes.reqBody, /code_verifier=/);
	const ui = await rp.C.fetchUserInfo(rp.config,
	    flow.tokens.access_token, flow.claims.sub);
	assert.equal(ui.sub, flow.claims.sub);
	assertNoStore(O.lastResponse(rp, '/userinfo'), 'userinfo response');
	assert.equal(ui.email, undefined, 'email without the email scope');
	assert.equal(flow.tokens.refresh_token, undefined,
	    'a refresh token without offline_access');
});

test('code flow + PKCE, client_secret_post', async () => {
	const rp = await O.rpFor(srv, postClient, { auth: 'post' });
	const person = await O.newPerson(srv);
	const before = Date.now();
	const flow = await O.codeFlow(rp, person);
	await checkIdToken(rp, flow, person, 'RS256', before);
	const tokenRes = O.lastResponse(rp, '/token');
	assertNoStore(tokenRes, 'token response');
	assert.equal(tokenRes.reqHeaders.get('authorization'), null);
	assert.match(tokenRes.reqBody, /client_secret=/);
	const ui = await rp.C.fetchUserInfo(rp.config,
	    flow.tokens.access_token, flow.claims.sub);
	assert.equal(ui.sub, flow.claims.sub);
});

test('code flow + PKCE, public client (auth none)', async () => {
	const rp = await O.rpFor(srv, publicClient);
	const person = await O.newPerson(srv);
	const before = Date.now();
	const flow = await O.codeFlow(rp, person);
	await checkIdToken(rp, flow, person, 'RS256', before);
	const tokenRes = O.lastResponse(rp, '/token');
	assertNoStore(tokenRes, 'token response');
	assert.equal(tokenRes.reqHeaders.get('authorization'), null);
	assert.ok(!/client_secret=/.test(tokenRes.reqBody));
	assert.match(tokenRes.reqBody, /client_id=/);
	const ui = await rp.C.fetchUserInfo(rp.config,
	    flow.tokens.access_token, flow.claims.sub);
	assert.equal(ui.sub, flow.claims.sub);
});

test('sub is stable across sign-ins and clients; sid and auth_time are ' +
    'per session', async () => {
	const rpA = await O.rpFor(srv, basicClient);
	const rpB = await O.rpFor(srv, postClient, { auth: 'post' });
	const person = await O.newPerson(srv);
	const f1 = await O.codeFlow(rpA, person);
	await L.signOut(person.c);
	assert.equal(await L.isSignedIn(person.c), false);
	await L.sleep(1100);
	const f2 = await O.codeFlow(rpA, person);
	assert.equal(f2.run.signins, 1, 'no new sign-in after signing out');
	assert.equal(f2.claims.sub, f1.claims.sub, 'sub changed');
	assert.notEqual(f2.claims.sid, f1.claims.sid,
	    'a new session kept the old sid');
	assert.ok(f2.claims.auth_time > f1.claims.auth_time,
	    'auth_time of the new sign-in is not later');
	// Same session, another client: no sign-in, same sid and sub
	// (subject type "public").
	const f3 = await O.codeFlow(rpB, person);
	assert.equal(f3.run.signins, 0, 'signed in again within a session');
	assert.equal(f3.claims.sub, f1.claims.sub);
	assert.equal(f3.claims.sid, f2.claims.sid);
	assert.equal(f3.claims.auth_time, f2.claims.auth_time);
	// Another person has another subject.
	const other = await O.newPerson(srv);
	const f4 = await O.codeFlow(rpA, other);
	assert.notEqual(f4.claims.sub, f1.claims.sub);
});

test('email and email_verified only with the email scope', async () => {
	const rp = await O.rpFor(srv, basicClient);
	const person = await O.newPerson(srv);
	const f1 = await O.codeFlow(rp, person, { scope: 'openid' });
	assert.equal(f1.tokens.scope.split(' ').includes('email'), false);
	assert.equal(f1.claims.email, undefined);
	assert.equal(f1.claims.email_verified, undefined);
	const u1 = await rp.C.fetchUserInfo(rp.config, f1.tokens.access_token,
	    f1.claims.sub);
	assert.deepEqual(Object.keys(u1), ['sub']);

	const f2 = await O.codeFlow(rp, person, { scope: 'openid email' });
	assert.ok(f2.tokens.scope.split(' ').includes('email'));
	assert.equal(f2.claims.email, person.email.toLowerCase());
	assert.equal(f2.claims.email_verified, false,
	    'an unverified address claimed verified');
	const u2 = await rp.C.fetchUserInfo(rp.config, f2.tokens.access_token,
	    f2.claims.sub);
	assert.equal(u2.sub, f2.claims.sub);
	assert.equal(u2.email, person.email.toLowerCase());
	assert.equal(u2.email_verified, false);
	// Unknown scope words are dropped, not granted.
	const f3 = await O.codeFlow(rp, person,
	    { scope: 'openid email admin' });
	assert.deepEqual(f3.tokens.scope.split(' ').sort(),
	    ['email', 'openid']);
});

test('prompt=none with a session: a code without any page', async () => {
	const rp = await O.rpFor(srv, basicClient);
	const person = await O.newPerson(srv);
	const f1 = await O.codeFlow(rp, person);
	const f2 = await O.codeFlow(rp, person, { prompt: 'none' });
	assert.equal(f2.run.signins, 0);
	assert.equal(f2.run.steps.length, 1, 'prompt=none showed a page');
	assert.equal(f2.claims.sub, f1.claims.sub);
});

for (const alg of ['ES256', 'EdDSA']) {
	test(`an ${alg} client gets ${alg} ID tokens openid-client validates`,
	    async () => {
		const cl = await O.addClient(srv, { firstParty: true, alg,
		    name: `${alg} RP` });
		const rp = await O.rpFor(srv, cl);
		const person = await O.newPerson(srv);
		const before = Date.now();
		const flow = await O.codeFlow(rp, person,
		    { scope: 'openid email' });
		await checkIdToken(rp, flow, person, alg, before);
		const jwks = await O.getJwks(srv);
		const kid = O.decodeJwt(flow.tokens.id_token).header.kid;
		const key = jwks.keys.find((k) => k.kid === kid);
		assert.ok(key, 'the signing key is not in the JWKS');
		assert.equal(key.alg, alg);
		const ui = await rp.C.fetchUserInfo(rp.config,
		    flow.tokens.access_token, flow.claims.sub);
		assert.equal(ui.email, person.email.toLowerCase());
	});
}
