// Consent for third-party clients: the page, deny and allow as
// openid-client sees them, consent remembered per scope, and "remove
// access" in Account Services, which forgets the consent and revokes the
// site's tokens.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');

let srv;
let third;
let firstParty;

test.before(async () => {
	srv = await L.startServer();
	third = await O.addClient(srv, { name: 'Partner Portal' });
	firstParty = await O.addClient(srv, { firstParty: true,
	    name: 'Own Site' });
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

test('consent page for a third-party client names it and the scopes',
    async () => {
	const rp = await O.rpFor(srv, third);
	const person = await O.newPerson(srv);
	const req = await O.authRequest(rp,
	    { scope: 'openid email offline_access' });
	const run = await O.drive(person, req.url);
	assert.equal(run.signins, 1);
	assert.equal(run.consents, 1, 'no consent page');
	const page = run.consentPage;
	assert.equal(page.status, 200);
	assert.equal(L.h1Of(page.text), 'Allow Partner Portal to use your ID?');
	const text = L.textOf(page.text);
	assert.match(text, /stable identifier/);
	assert.match(text, /e-mail address/);
	assert.match(text, /while you are away/);
	const form = L.formsOf(page.text).find((f) => f.action === '/consent');
	assert.equal(form.method, 'post');
	assert.ok(form.fields.csrf && form.fields.request);
	assert.ok(!page.text.includes(req.state),
	    'the state is in the page');
	// Only the scope words asked for are listed.
	const plain = await O.drive(person, (await O.authRequest(rp)).url);
	const t2 = L.textOf(plain.consentPage.text);
	assert.ok(!/e-mail address and whether/.test(t2),
	    'the e-mail line shown without the email scope');
});

test('consent: "Don\'t allow" sends access_denied with state to the client',
    async () => {
	const rp = await O.rpFor(srv, third);
	const person = await O.newPerson(srv);
	const req = await O.authRequest(rp);
	const run = await O.drive(person, req.url, { consent: 'deny' });
	assert.ok(run.redirect, 'no redirect after deny');
	assert.equal(run.redirect.origin + run.redirect.pathname,
	    third.redirect_uris[0]);
	assert.equal(run.redirect.searchParams.get('error'), 'access_denied');
	assert.equal(run.redirect.searchParams.get('state'), req.state);
	assert.equal(run.redirect.searchParams.get('code'), null);
	const err = await O.rejectsWith(rp.C.authorizationCodeGrant(rp.config,
	    run.redirect, { expectedState: req.state,
	    pkceCodeVerifier: req.verifier }), 'access_denied', 'deny');
	assert.equal(err.constructor.name, 'AuthorizationResponseError');
	// Nothing was remembered: the next request asks again.
	const again = await O.drive(person, (await O.authRequest(rp)).url);
	assert.equal(again.consents, 1, 'a denial was remembered as consent');
});

test('consent: Allow gives a code; the second time no consent is asked',
    async () => {
	const rp = await O.rpFor(srv, third);
	const person = await O.newPerson(srv);
	const f1 = await O.codeFlow(rp, person, { scope: 'openid email' });
	assert.equal(f1.run.consents, 1);
	assert.equal(f1.claims.email, person.email.toLowerCase());
	const f2 = await O.codeFlow(rp, person, { scope: 'openid email' });
	assert.equal(f2.run.consents, 0, 'consent asked again');
	assert.equal(f2.run.signins, 0);
	assert.equal(f2.claims.sub, f1.claims.sub);
	// A narrower request is covered too.
	const f3 = await O.codeFlow(rp, person, { scope: 'openid' });
	assert.equal(f3.run.consents, 0);
	// A wider one asks again; prompt=consent always asks.
	const f4 = await O.codeFlow(rp, person,
	    { scope: 'openid email offline_access' });
	assert.equal(f4.run.consents, 1, 'no consent for a wider scope');
	const f5 = await O.codeFlow(rp, person,
	    { scope: 'openid', prompt: 'consent' });
	assert.equal(f5.run.consents, 1, 'prompt=consent did not ask');
});

test('consent is per person and per client; first-party clients never ask',
    async () => {
	const rp = await O.rpFor(srv, third);
	const a = await O.newPerson(srv);
	const b = await O.newPerson(srv);
	await O.codeFlow(rp, a);
	const fb = await O.codeFlow(rp, b);
	assert.equal(fb.run.consents, 1, 'one person\'s consent served ' +
	    'another');
	const own = await O.rpFor(srv, firstParty);
	const fo = await O.codeFlow(own, a, { scope: 'openid email' });
	assert.equal(fo.run.consents, 0);
});

test('consent: a consent form is single use and needs csrf', async () => {
	const rp = await O.rpFor(srv, third);
	const person = await O.newPerson(srv);
	const run = await O.drive(person, (await O.authRequest(rp)).url);
	const form = L.formsOf(run.consentPage.text)
	    .find((f) => f.action === '/consent');
	const noCsrf = await person.c.post('/consent',
	    { ...form.fields, csrf: 'bad', decision: 'allow' });
	assert.equal(noCsrf.status, 403);
	assert.equal(noCsrf.location, null);
	const ok = await person.c.post('/consent',
	    { ...form.fields, decision: 'allow' });
	assert.ok(ok.status === 302 || ok.status === 303);
	assert.ok(new URL(ok.location).searchParams.get('code'));
	const replay = await person.c.post('/consent',
	    { ...form.fields, decision: 'allow' });
	O.assertErrorPage(replay, 'replayed consent');
});

test('Account Services lists the site; "remove access" asks consent ' +
    'again and revokes its tokens', async () => {
	const rp = await O.rpFor(srv, third);
	const person = await O.newPerson(srv);
	const f1 = await O.codeFlow(rp, person,
	    { scope: 'openid email offline_access' });
	assert.equal(f1.run.consents, 1);

	const acct = await person.c.get('/account');
	assert.equal(acct.status, 200);
	const text = L.textOf(acct.text);
	assert.match(text, /Partner Portal/, 'the site is not listed');
	const form = L.formsOf(acct.text).find((f) =>
	    f.action === '/account/sites/remove' &&
	    f.fields.client_id === third.client_id);
	assert.ok(form, 'no remove-access form for the site');

	const r = await person.c.post('/account/sites/remove', form.fields);
	assert.equal(r.status, 303);
	const after = await person.c.get(r.location);
	assert.equal(after.status, 200);
	assert.ok(!/Partner Portal/.test(L.textOf(after.text)),
	    'the site is still listed');

	const ui = await O.userinfo(srv, f1.tokens.access_token);
	assert.equal(ui.status, 401, 'access token alive after removal');
	await O.rejectsWith(rp.C.refreshTokenGrant(rp.config,
	    f1.tokens.refresh_token), 'invalid_grant',
	    'refresh after removal');

	const f2 = await O.codeFlow(rp, person, { scope: 'openid' });
	assert.equal(f2.run.consents, 1, 'no consent after removal');
	assert.equal(f2.claims.sub, f1.claims.sub);
});
