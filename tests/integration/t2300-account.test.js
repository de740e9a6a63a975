// Account Services: sign-in required, change password, change e-mail
// (effective only once confirmed from the new address), sessions and "sign
// out everywhere else", resend verification, delete the ID.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');

let srv;

test.before(async () => {
	srv = await L.startServer();
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// A new ID signed in on a fresh client with the given User-Agent.
async function signedIn(tag, agent) {
	const a = await L.newAccount(srv, tag);
	a.c.userAgent = agent || `onepass-tests ${tag}`;
	const r = await L.signIn(a.c, a.email, a.password, 'never');
	assert.equal(r.status, 303);
	return a;
}

async function canSignIn(email, password) {
	const c = new L.Client(srv.url);
	const r = await L.signIn(c, email, password, 'never');
	return r.status === 303;
}

// Posts a form of the account page (found by its action) with fields; the
// csrf comes from the page. Returns the answer and the page it leads to.
async function accountPost(c, action, fields) {
	const g = await c.get('/account');
	assert.equal(g.status, 200);
	const f = L.formsOf(g.text).find((x) => x.action === action &&
	    x.method === 'post');
	assert.ok(f, `the account page has a POST form to ${action}`);
	const r = await c.post(action, { ...f.fields, ...fields });
	const page = r.status === 303 ?
	    await c.get(r.location, { follow: true }) : r;
	return { r, page };
}

test('/account without a session redirects to /signin?return_to=/account',
    async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/account');
	assert.ok(r.status === 302 || r.status === 303, `status ${r.status}`);
	const u = new URL(r.location, srv.url);
	assert.equal(u.origin, srv.url);
	assert.equal(u.pathname, '/signin');
	assert.equal(u.searchParams.get('return_to'), '/account');
	for (const p of ['/account/password', '/account/email',
	    '/account/sessions', '/account/delete', '/account/verify']) {
		const g = await c.get('/signin');
		const x = await c.post(p, { csrf: L.csrfOf(g.text) });
		assert.ok(x.status === 302 || x.status === 303 ||
		    x.status === 401 || x.status === 403, `POST ${p}: ${x.status}`);
		if (x.location)
			assert.equal(new URL(x.location, srv.url).pathname,
			    '/signin');
	}
});

test('the account page has its sections and shows the address', async () => {
	const a = await signedIn('page');
	const r = await a.c.get('/account');
	assert.equal(L.h1Of(r.text), 'Account Services');
	const t = L.textOf(r.text);
	for (const s of ['Change password', 'Change e-mail address',
	    "Where you're signed in", 'Sign out everywhere else',
	    'Delete your ID'])
		assert.ok(t.includes(s) || t.includes(s.replace("'", '’')),
		    `section "${s}"`);
	assert.ok(t.includes(a.email));
	for (const act of ['/account/password', '/account/email',
	    '/account/sessions', '/account/delete'])
		assert.ok(L.formsOf(r.text).some((f) => f.action === act &&
		    f.method === 'post' && f.fields.csrf), `form ${act}`);
});

test('change password: a wrong current password is refused; the right ' +
    'one changes it, signs out the other sessions and mails the account',
    async () => {
	const a = await signedIn('chpw');
	const other = new L.Client(srv.url);
	await L.signIn(other, a.email, a.password, 'password');
	assert.equal(await L.isSignedIn(other), true);
	const np = L.genPassword();
	let x = await accountPost(a.c, '/account/password', {
	    current: 'wrong-' + L.genPassword(), password: np, password2: np });
	assert.ok(L.alertText(x.page.text).length > 0, 'an error is shown');
	assert.ok(await canSignIn(a.email, a.password), 'unchanged');
	assert.equal(await canSignIn(a.email, np), false);

	x = await accountPost(a.c, '/account/password', {
	    current: a.password, password: np, password2: np + 'y' });
	assert.ok(L.alertText(x.page.text).length > 0, 'mismatch refused');
	x = await accountPost(a.c, '/account/password', {
	    current: a.password, password: 'too-short', password2: 'too-short' });
	assert.match(L.alertText(x.page.text), /\b15\b/, 'too short refused');
	assert.ok(await canSignIn(a.email, a.password), 'unchanged');

	x = await accountPost(a.c, '/account/password', {
	    current: a.password, password: np, password2: np });
	assert.equal(x.r.status, 303, 'redirects after the change');
	assert.equal(L.localTarget(x.r.location, srv.url).split('?')[0],
	    '/account');
	assert.equal(x.page.status, 200);
	assert.doesNotMatch(L.alertText(x.page.text), /./, 'no error');
	assert.ok(L.statusText(x.page.text).length > 0, 'a notice is shown');
	assert.equal(await L.isSignedIn(a.c), true, 'this session stays');
	// The account page says "Your other devices are signed out".
	assert.equal(await L.isSignedIn(other), false,
	    'the other session is signed out');
	assert.equal(await canSignIn(a.email, a.password), false,
	    'the old password no longer works');
	assert.ok(await canSignIn(a.email, np), 'the new one does');
	// The "password changed" notice: a message with no token link.
	await srv.waitMail(a.email, (m) =>
	    !m.links.some((l) => l.includes('token=')), 'a notice');
});

test('change e-mail takes effect only once the link mailed to the new ' +
    'address is confirmed', async () => {
	const a = await signedIn('chmail');
	const newEmail = L.uniqueEmail('moved');
	let x = await accountPost(a.c, '/account/email', { email: newEmail,
	    current: 'wrong-' + L.genPassword() });
	assert.ok(L.alertText(x.page.text).length > 0, 'wrong password refused');
	await L.sleep(300);
	assert.deepEqual(srv.mailNow(newEmail), []);

	x = await accountPost(a.c, '/account/email', { email: newEmail,
	    current: a.password });
	assert.equal(x.r.status, 303);
	assert.doesNotMatch(L.alertText(x.page.text), /./, 'no error');
	const [m] = await srv.mailTo(newEmail);
	const link = m.links.find((l) =>
	    l.startsWith(`${srv.url}/account/email/confirm?token=`));
	assert.ok(link, `a confirmation link in:\n${m.text}`);

	// Until confirmed: the old address works, the new one does not.
	assert.ok(await canSignIn(a.email, a.password), 'old address works');
	assert.equal(await canSignIn(newEmail, a.password), false);
	assert.ok(await srv.user(a.email));
	assert.equal(await srv.user(newEmail), null);

	// Opening the link changes nothing.
	const g = await a.c.get(L.localTarget(link, srv.url));
	assert.equal(g.status, 200);
	assert.ok(g.text.includes(newEmail), 'the page names the new address');
	const token = new URL(link).searchParams.get('token');
	const f = L.formsOf(g.text).find((y) => y.method === 'post' &&
	    y.fields.token === token);
	assert.ok(f, 'a POST form with the token');
	assert.ok(await canSignIn(a.email, a.password), 'GET changed nothing');

	const p = await a.c.post(f.action || '/account/email/confirm', f.fields);
	assert.ok(p.status === 200 || p.status === 303, `${p.status}`);
	const done = p.status === 303 ?
	    await a.c.get(p.location, { follow: true }) : p;
	assert.doesNotMatch(L.textOf(done.text), /invalid|expired/i);
	assert.ok(await canSignIn(newEmail, a.password), 'new address works');
	assert.equal(await canSignIn(a.email, a.password), false,
	    'the old address no longer signs in');
	const u = await srv.user(newEmail);
	assert.ok(u, 'user list has the new address');
	assert.equal(u.verified, true, 'a confirmed new address is verified');
	assert.equal(await srv.user(a.email), null);
	const acc = await a.c.get('/account');
	assert.ok(acc.text.includes(newEmail));
	// Spent.
	const again = await a.c.get(L.localTarget(link, srv.url));
	assert.match(L.textOf(again.text), /invalid|expired|no longer|already/i);
});

test('change e-mail to an address that has an ID changes nothing',
    async () => {
	const a = await signedIn('chtaken');
	const b = await L.newAccount(srv, 'taken');
	const n = srv.mailNow(b.email).length;
	const x = await accountPost(a.c, '/account/email', { email: b.email,
	    current: a.password });
	assert.ok(x.page.status < 500);
	await L.sleep(1000 * L.SLOW);	// for a confirmation mail, if any
	// Either refused at once or a link whose confirmation fails; in
	// no case may the address move.
	const msgs = await srv.mailNow(b.email);
	for (const m of msgs.slice(n)) {
		const link = m.links.find((l) => l.includes('/account/email/confirm'));
		if (!link)
			continue;
		const g = await a.c.get(L.localTarget(link, srv.url));
		const f = L.formsOf(g.text).find((y) => y.fields.token);
		if (f)
			await a.c.post(f.action || '/account/email/confirm',
			    f.fields);
	}
	assert.ok(await canSignIn(a.email, a.password));
	assert.ok(await canSignIn(b.email, b.password));
	assert.equal((await srv.userLines(b.email)).length, 1);
});

test('the sessions list shows both sessions; "sign out everywhere else" ' +
    'ends the other one only', async () => {
	const a = await signedIn('sess', 'onepass-tests agent-ALPHA');
	const other = new L.Client(srv.url, { userAgent: 'onepass-tests agent-BETA' });
	await L.signIn(other, a.email, a.password, 'password');
	assert.equal(await L.isSignedIn(other), true);
	const acc = await a.c.get('/account');
	assert.ok(acc.text.includes('agent-ALPHA'), 'this session listed');
	assert.ok(acc.text.includes('agent-BETA'), 'the other session listed');
	assert.ok(acc.text.includes('127.0.0.1'), 'the address is shown');
	const x = await accountPost(a.c, '/account/sessions', {});
	assert.equal(x.r.status, 303);
	assert.equal(await L.isSignedIn(other), false, 'the other one ended');
	assert.equal(await L.isSignedIn(a.c), true, 'this one stays');
	const acc2 = await a.c.get('/account');
	assert.ok(!acc2.text.includes('agent-BETA'), 'only this one listed');
});

test('resend verification mails a new /verify link', async () => {
	const a = await signedIn('resend');
	const [first] = await srv.mailTo(a.email, 1);
	const x = await accountPost(a.c, '/account/verify', {});
	assert.ok(x.r.status === 303 || x.r.status === 200);
	await srv.waitLink(a.email, '/verify?token=', first.links);
});

test('delete the ID: a wrong password or confirmation is refused', async () => {
	const a = await signedIn('nodelete');
	let x = await accountPost(a.c, '/account/delete', {
	    current: 'wrong-' + L.genPassword(), confirm: 'DELETE' });
	assert.ok(L.alertText(x.page.text).length > 0, 'wrong password');
	x = await accountPost(a.c, '/account/delete', {
	    current: a.password, confirm: 'delete me' });
	assert.ok(L.alertText(x.page.text).length > 0, 'wrong confirmation');
	x = await accountPost(a.c, '/account/delete', { current: a.password });
	assert.ok(L.alertText(x.page.text).length > 0, 'no confirmation');
	assert.ok(await srv.user(a.email), 'the ID is still there');
	assert.equal(await L.isSignedIn(a.c), true);
});

test('delete the ID: with the password and DELETE it is gone and the ' +
    'address can sign up again', async () => {
	const a = await signedIn('delete');
	const other = new L.Client(srv.url);
	await L.signIn(other, a.email, a.password, 'password');
	const x = await accountPost(a.c, '/account/delete', {
	    current: a.password, confirm: 'DELETE' });
	assert.ok(x.r.status === 200 || x.r.status === 303, `${x.r.status}`);
	assert.equal(x.page.status, 200);
	assert.doesNotMatch(L.alertText(x.page.text), /./, 'no error');
	assert.equal(await srv.user(a.email), null, 'gone from user list');
	assert.equal(await L.isSignedIn(a.c), false, 'this session ended');
	assert.equal(await L.isSignedIn(other), false, 'every session ended');
	assert.equal(await canSignIn(a.email, a.password), false);
	// The address is free again: a new sign-up gets a verification.
	const old = await srv.mailTo(a.email, 1);	// the first verification
	const np = L.genPassword();
	const r = await L.signUp(new L.Client(srv.url), a.email, np);
	assert.ok(r.status === 200 || r.status === 303);
	assert.ok(await srv.user(a.email), 'a new ID');
	assert.ok(await canSignIn(a.email, np));
	await srv.waitLink(a.email, '/verify?token=',
	    old.flatMap((m) => m.links));	// a verification, not a notice
});
