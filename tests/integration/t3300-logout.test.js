// RP-Initiated Logout 1.0 with openid-client's buildEndSessionUrl: a
// valid id_token_hint and a registered post_logout_redirect_uri sign out
// at once and return with state, revoking the session's tokens; anything
// less asks the person first, and an unregistered return address is an
// error page, never a redirect.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');

let srv;
let client;
let other;
const POST_LOGOUT = 'https://rp-logout.example/bye';

test.before(async () => {
	srv = await L.startServer();
	client = await O.addClient(srv, { firstParty: true,
	    name: 'Logout RP', postLogout: [POST_LOGOUT,
	    'https://rp-logout.example/bye2'] });
	other = await O.addClient(srv, { firstParty: true,
	    name: 'Other RP', postLogout: ['https://other.example/bye'] });
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// A person signed in through client's code flow, with offline_access.
async function signedInFlow(rp) {
	const person = await O.newPerson(srv);
	const flow = await O.codeFlow(rp, person,
	    { scope: 'openid offline_access' });
	assert.equal(await L.isSignedIn(person.c), true);
	return { person, flow };
}

async function assertTokensAlive(rp, flow) {
	const ui = await O.userinfo(srv, flow.tokens.access_token);
	assert.equal(ui.status, 200, 'access token died');
}

function assertConfirmPage(r, what) {
	assert.equal(r.status, 200, `${what}: status ${r.status} ` +
	    `(location ${r.location})`);
	assert.equal(r.location, null, `${what}: redirected`);
	const form = L.formsOf(r.text).find((f) =>
	    f.action === '/logout/confirm');
	assert.ok(form, `${what}: no confirmation form`);
	assert.equal(form.method, 'post');
	assert.ok(form.fields.csrf, `${what}: the form has no csrf token`);
	return form;
}

test('logout with id_token_hint and a registered post_logout_redirect_uri:' +
    ' back with state, signed out, tokens revoked', async () => {
	const rp = await O.rpFor(srv, client);
	const { person, flow } = await signedInFlow(rp);
	const state = rp.C.randomState();
	const url = rp.C.buildEndSessionUrl(rp.config, {
		id_token_hint: flow.tokens.id_token,
		post_logout_redirect_uri: POST_LOGOUT,
		state,
	});
	assert.equal(url.origin + url.pathname, `${srv.publicUrl}/logout`);
	const r = await person.c.get(url.toString());
	assert.equal(r.status, 302, `logout answered ${r.status}`);
	const back = new URL(r.location);
	assert.equal(back.origin + back.pathname, POST_LOGOUT);
	assert.equal(back.searchParams.get('state'), state);
	// The session cookie is cleared and the session is gone server-side.
	assert.ok(r.setCookies.some((c) => c.value === '' ||
	    c.attrs['max-age'] === '0'), 'no cookie cleared');
	assert.equal(await L.isSignedIn(person.c), false, 'still signed in');
	const acct = await person.c.get('/account');
	assert.match(new URL(acct.location, srv.url).pathname, /^\/signin$/);
	// The tokens this session gave the client are revoked.
	const ui = await O.userinfo(srv, flow.tokens.access_token);
	assert.equal(ui.status, 401, 'access token alive after logout');
	await O.rejectsWith(rp.C.refreshTokenGrant(rp.config,
	    flow.tokens.refresh_token), 'invalid_grant',
	    'refresh after logout');
	const intro = await rp.C.tokenIntrospection(rp.config,
	    flow.tokens.access_token);
	assert.equal(intro.active, false);
});

test('logout: the old cookie no longer opens a session', async () => {
	const rp = await O.rpFor(srv, client);
	const { person, flow } = await signedInFlow(rp);
	const saved = new Map(person.c.jar);
	const url = rp.C.buildEndSessionUrl(rp.config, {
		id_token_hint: flow.tokens.id_token,
		post_logout_redirect_uri: POST_LOGOUT,
	});
	const r = await person.c.get(url.toString());
	assert.equal(r.status, 302);
	assert.equal(new URL(r.location).search, '', 'a state appeared');
	// Replaying the cookie from before: the session is gone in the store.
	person.c.jar = saved;
	assert.equal(await L.isSignedIn(person.c), false,
	    'the session survived server-side');
});

test('logout: an unregistered post_logout_redirect_uri is an error page, ' +
    'no redirect, still signed in', async () => {
	const rp = await O.rpFor(srv, client);
	const { person, flow } = await signedInFlow(rp);
	for (const uri of ['https://evil.example/bye',
	    `${POST_LOGOUT}/x`, `${POST_LOGOUT}?x=1`,
	    'https://other.example/bye']) {
		const url = rp.C.buildEndSessionUrl(rp.config, {
			id_token_hint: flow.tokens.id_token,
			post_logout_redirect_uri: uri,
			state: 'st',
		});
		const r = await person.c.get(url.toString());
		O.assertErrorPage(r, `post_logout_redirect_uri ${uri}`);
		assert.ok(!r.text.includes('evil.example'),
		    'the page links to the unregistered address');
	}
	assert.equal(await L.isSignedIn(person.c), true);
	await assertTokensAlive(rp, flow);
});

test('logout: a hint of one client with the client_id of another is ' +
    'refused', async () => {
	const rp = await O.rpFor(srv, client);
	const { person, flow } = await signedInFlow(rp);
	const url = rp.C.buildEndSessionUrl(rp.config, {
		id_token_hint: flow.tokens.id_token,
		client_id: other.client_id,
		post_logout_redirect_uri: 'https://other.example/bye',
	});
	const r = await person.c.get(url.toString());
	O.assertErrorPage(r, 'mismatched client_id');
	assert.equal(await L.isSignedIn(person.c), true);
});

test('logout without id_token_hint: a confirmation page; only the POST ' +
    'with csrf signs out', async () => {
	const rp = await O.rpFor(srv, client);
	const { person, flow } = await signedInFlow(rp);
	const state = rp.C.randomState();
	const url = rp.C.buildEndSessionUrl(rp.config, {
		post_logout_redirect_uri: POST_LOGOUT,
		state,
	});
	const r = await person.c.get(url.toString());
	const form = assertConfirmPage(r, 'logout without hint');
	assert.match(L.textOf(r.text), /Logout RP/,
	    'the page does not name the client');
	assert.equal(await L.isSignedIn(person.c), true,
	    'signed out by a bare link');
	await assertTokensAlive(rp, flow);

	// Without the csrf token: refused, still signed in.
	const bad = await person.c.post('/logout/confirm',
	    { ...form.fields, csrf: 'x' });
	assert.equal(bad.status, 403);
	assert.equal(await L.isSignedIn(person.c), true);

	const ok = await person.c.post('/logout/confirm', form.fields);
	assert.equal(ok.status, 303, `confirm answered ${ok.status}`);
	const back = new URL(ok.location);
	assert.equal(back.origin + back.pathname, POST_LOGOUT);
	assert.equal(back.searchParams.get('state'), state);
	assert.equal(await L.isSignedIn(person.c), false);
	const ui = await O.userinfo(srv, flow.tokens.access_token);
	assert.equal(ui.status, 401, 'access token alive after logout');
});

test('logout: a tampered id_token_hint gets the confirmation page and ' +
    'signs nobody out', async () => {
	const rp = await O.rpFor(srv, client);
	const { person, flow } = await signedInFlow(rp);
	const [h, p, s] = flow.tokens.id_token.split('.');
	const payload = JSON.parse(Buffer.from(p, 'base64url'));
	payload.exp += 3600;
	const forged = [h, Buffer.from(JSON.stringify(payload))
	    .toString('base64url'), s].join('.');
	// A flipped signature bit, too.
	const sig = Buffer.from(s, 'base64url');
	sig[0] ^= 1;
	const badSig = [h, p, sig.toString('base64url')].join('.');
	for (const hint of [forged, badSig, 'garbage', `${h}.${p}.`]) {
		const url = rp.C.buildEndSessionUrl(rp.config, {
			id_token_hint: hint,
			post_logout_redirect_uri: POST_LOGOUT,
			state: 'st',
		});
		const r = await person.c.get(url.toString());
		assertConfirmPage(r, 'tampered hint');
		assert.equal(await L.isSignedIn(person.c), true,
		    'signed out by a tampered hint');
	}
	await assertTokensAlive(rp, flow);
});

test('logout: a valid hint for another person asks first', async () => {
	const rp = await O.rpFor(srv, client);
	const { flow: theirs } = await signedInFlow(rp);
	const { person, flow } = await signedInFlow(rp);
	const url = rp.C.buildEndSessionUrl(rp.config, {
		id_token_hint: theirs.tokens.id_token,
		post_logout_redirect_uri: POST_LOGOUT,
	});
	const r = await person.c.get(url.toString());
	assertConfirmPage(r, 'hint of another person');
	assert.equal(await L.isSignedIn(person.c), true);
	await assertTokensAlive(rp, flow);
});

test('logout: only the session that issued the tokens loses them',
    async () => {
	const rp = await O.rpFor(srv, client);
	const { person, flow } = await signedInFlow(rp);
	// The same person in a second browser.
	const second = { ...person, c: new L.Client(srv.url) };
	const flow2 = await O.codeFlow(rp, second);
	assert.notEqual(flow2.claims.sid, flow.claims.sid);
	const url = rp.C.buildEndSessionUrl(rp.config, {
		id_token_hint: flow.tokens.id_token,
		post_logout_redirect_uri: POST_LOGOUT,
	});
	const r = await person.c.get(url.toString());
	assert.equal(r.status, 302);
	assert.equal(await L.isSignedIn(person.c), false);
	assert.equal(await L.isSignedIn(second.c), true,
	    'the other browser was signed out');
	assert.equal((await O.userinfo(srv, flow2.tokens.access_token)).status,
	    200, 'the other session\'s token was revoked');
});
