// Sign-up (SPEC walkthrough step 1): the ID works at once, a verification
// link is mailed and only a POST follows it, password rules, an address
// that already has an ID, CSRF.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');

let srv;	// defaults (min length 15)
let srv8;	// ONEPASS_PASSWORD_MIN_LENGTH=8, ONEPASS_TOKENS_VERIFY_TTL_SEC=2

test.before(async () => {
	[srv, srv8] = await Promise.all([
		L.startServer(),
		L.startServer({ env: { ONEPASS_PASSWORD_MIN_LENGTH: '8',
		    ONEPASS_TOKENS_VERIFY_TTL_SEC: '2' } }),
	]);
});

test.after(async () => {
	await Promise.all([srv && srv.stop(), srv8 && srv8.stop()]);
});

// Posts the sign-up form and follows any redirect to the page shown.
async function signUpPage(s, email, password, password2 = password,
    extra = {}) {
	const c = new L.Client(s.url);
	const r = await L.signUp(c, email, password,
	    { password2, ...extra });
	const page = r.status === 303 ?
	    await c.get(r.location, { follow: true }) : r;
	return { c, r, page };
}

// Asserts the sign-up was refused: the form comes back with an error
// and no ID exists for email.
async function assertRefused(s, res, email, what) {
	assert.notEqual(res.r.status, 303, `${what}: accepted (303)`);
	assert.ok(res.r.status === 200 || res.r.status === 400 ||
	    res.r.status === 422, `${what}: status ${res.r.status}`);
	const err = L.alertText(res.r.text);
	assert.ok(err.length > 0, `${what}: no role=alert error`);
	assert.equal(L.h1Of(res.r.text), 'Get an ID', `${what}: form again`);
	assert.equal(L.inputValue(res.r.text, 'email'), email,
	    `${what}: the address is kept in the form`);
	assert.equal(L.inputValue(res.r.text, 'password') || '', '',
	    `${what}: the password is never echoed`);
	assert.deepEqual(await s.userLines(email), [], `${what}: no ID stored`);
	return err;
}

async function canSignIn(s, email, password) {
	const c = new L.Client(s.url);
	const r = await L.signIn(c, email, password, 'never');
	return r.status === 303 && await L.isSignedIn(c);
}

test('GET /signup shows the form with its texts and fields', async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/signup');
	assert.equal(r.status, 200);
	assert.equal(L.h1Of(r.text), 'Get an ID');
	const t = L.textOf(r.text);
	for (const s of ['E-mail address:', 'Password:',
	    'Type the password again:'])
		assert.ok(t.includes(s), `label "${s}"`);
	const f = L.formsOf(r.text).find((x) => x.action === '/signup');
	assert.ok(f, 'a form posting to /signup');
	assert.equal(f.method, 'post');
	for (const n of ['csrf', 'email', 'password', 'password2'])
		assert.ok(n in f.fields, `field ${n}`);
	assert.match(f.html, /<button\b[^>]*>\s*Get an ID\s*<\/button>|<input\b[^>]*type=["']?submit[^>]*value=["']Get an ID["']/,
	    'button "Get an ID"');
	const pw = L.inputsOf(r.text).filter((i) => i.name === 'password' ||
	    i.name === 'password2');
	for (const i of pw)
		assert.equal(i.type, 'password', `${i.name} is type=password`);
});

test('sign-up works at once: "Check your inbox", the ID can sign in, ' +
    'one ID stored', async () => {
	const email = L.uniqueEmail('new');
	const password = L.genPassword();
	const { c, r, page } = await signUpPage(srv, email, password);
	assert.ok(r.status === 200 || r.status === 303, `status ${r.status}`);
	assert.equal(page.status, 200);
	assert.equal(L.h1Of(page.text), 'Check your inbox');
	assert.ok(page.text.includes(email), 'the address is named');
	const u = await srv.user(email);
	assert.ok(u, 'the ID is stored');
	assert.equal(u.verified, false);
	assert.equal(u.disabled, false);
	// Signed in at once, or able to sign in at once.
	if (!(await L.isSignedIn(c)))
		assert.ok(await canSignIn(srv, email, password),
		    'the new ID signs in');
});

test('the verification mail arrives with a /verify link built from the ' +
    'public URL', async () => {
	const email = L.uniqueEmail('mail');
	await signUpPage(srv, email, L.genPassword());
	const [m] = await srv.mailTo(email);
	assert.ok(m.subject.length > 0, 'subject');
	assert.match(m.from, /no-reply@id\.example\.com/, 'From is [mail] from');
	const v = m.links.filter((l) => l.startsWith(`${srv.url}/verify?token=`));
	assert.equal(v.length >= 1, true, `a /verify link in:\n${m.text}`);
	const token = new URL(v[0]).searchParams.get('token');
	assert.match(token, /^[A-Za-z0-9_-]{43}$/, '256-bit base64url token');
	assert.ok(m.html.length > 0, 'an HTML part too');
	assert.doesNotMatch(m.html, /<script|src=["']?https?:/i,
	    'no scripts or external resources in the HTML part');
});

test('GET /verify changes nothing; POST /verify verifies; the link is ' +
    'then spent', async () => {
	const email = L.uniqueEmail('verify');
	const password = L.genPassword();
	await signUpPage(srv, email, password);
	assert.equal((await srv.user(email)).verified, false, 'new: unverified');
	const [m] = await srv.mailTo(email);
	const link = m.links.find((l) => l.includes('/verify?token='));
	const token = new URL(link).searchParams.get('token');

	// Opening the link (as a mail scanner would) changes nothing.
	const anon = new L.Client(srv.url);
	const g = await anon.get(L.localTarget(link, srv.url));
	assert.equal(g.status, 200);
	const f = L.formsOf(g.text).find((x) => x.method === 'post' &&
	    x.fields.token === token);
	assert.ok(f, 'the page asks to confirm with a POST form carrying ' +
	    'the token');
	assert.equal(f.action || '/verify', '/verify');
	const g2 = await anon.get(L.localTarget(link, srv.url));
	assert.equal(g2.status, 200, 'a second GET still shows the form');
	assert.equal((await srv.user(email)).verified, false,
	    'GET /verify must not verify');

	// Confirming verifies.
	const p = await anon.post('/verify', { csrf: f.fields.csrf, token });
	assert.ok(p.status === 200 || p.status === 303, `POST ${p.status}`);
	const done = p.status === 303 ?
	    await anon.get(p.location, { follow: true }) : p;
	assert.equal(done.status, 200);
	assert.doesNotMatch(L.textOf(done.text), /invalid|expired/i);
	assert.equal((await srv.user(email)).verified, true,
	    'verified after POST');

	// Spent: the link now shows an invalid page, and a second POST too.
	const again = await anon.get(L.localTarget(link, srv.url));
	assert.ok(again.status < 500);
	assert.match(L.textOf(again.text), /invalid|expired|no longer|already/i);
	const p2 = await anon.post('/verify', { csrf: f.fields.csrf, token });
	assert.ok(p2.status < 500);
	const t2 = p2.status === 303 ?
	    (await anon.get(p2.location, { follow: true })).text : p2.text;
	assert.match(L.textOf(t2), /invalid|expired|no longer|already/i);

	// The account page agrees (signed in, the address is verified).
	const c = new L.Client(srv.url);
	await L.signIn(c, email, password, 'never');
	assert.equal((await c.get('/account')).status, 200);
});

test('the verification link expires (verify_ttl_sec=2)', async () => {
	const email = L.uniqueEmail('vexp');
	await signUpPage(srv8, email, L.genPassword());
	const [m] = await srv8.mailTo(email);
	const link = m.links.find((l) => l.includes('/verify?token='));
	const token = new URL(link).searchParams.get('token');
	const c = new L.Client(srv8.url);
	const g = await c.get(L.localTarget(link, srv8.url));
	assert.ok(L.formsOf(g.text).some((f) => f.fields.token === token),
	    'valid at first');
	await L.sleep(3000);
	const g2 = await c.get(L.localTarget(link, srv8.url));
	assert.ok(g2.status < 500);
	assert.match(L.textOf(g2.text), /invalid|expired/i);
	const p = await c.post('/verify', { csrf: L.csrfOf(g.text), token });
	assert.ok(p.status < 500);
	assert.equal((await srv8.user(email)).verified, false,
	    'an expired link verifies nothing');
});

test('a password shorter than the minimum is refused with the minimum ' +
    'in the message', async () => {
	const email = L.uniqueEmail('short');
	const res = await signUpPage(srv, email, 'k7#vQ2!mZ9x$w4'); // 14
	const err = await assertRefused(srv, res, email, '14 characters');
	assert.match(err, /\b15\b/, `the error names 15: "${err}"`);
	assert.deepEqual(srv.mailNow(email), []);
});

test('the minimum counts characters, not bytes', async () => {
	// 14 characters, 28 bytes: too short.
	const email = L.uniqueEmail('short8');
	const res = await signUpPage(srv, email, 'ääääääääääääää');
	await assertRefused(srv, res, email, '14 two-byte characters');
	// 15 characters of mixed scripts: accepted.
	const email2 = L.uniqueEmail('uni');
	const pw = 'Zö✓ß漢字Ωπ🙂Жж9!é€';
	assert.equal([...pw].length, 15);
	const ok = await signUpPage(srv, email2, pw);
	assert.equal(ok.page.status, 200);
	assert.equal(L.h1Of(ok.page.text), 'Check your inbox');
	assert.ok(await canSignIn(srv, email2, pw), 'signs in with it');
});

test('passwords that do not match are refused', async () => {
	const email = L.uniqueEmail('mismatch');
	const pw = L.genPassword();
	const res = await signUpPage(srv, email, pw, pw + 'x');
	await assertRefused(srv, res, email, 'mismatch');
});

test('common passwords from the blocklist are refused (default minimum)',
    async () => {
	for (const pw of ['1qaz2wsx3edc4rfv', 'passwordstandard',
	    'qwerty123456789']) {
		const email = L.uniqueEmail('common');
		const res = await signUpPage(srv, email, pw);
		await assertRefused(srv, res, email, `"${pw}"`);
	}
});

test('with a minimum of 8, blocklisted "password1234", "iloveyou" and ' +
    '"trustno1" are refused and a random 8 is accepted', async () => {
	for (const pw of ['password1234', 'iloveyou', 'trustno1']) {
		const email = L.uniqueEmail('common8');
		const res = await signUpPage(srv8, email, pw);
		await assertRefused(srv8, res, email, `"${pw}"`);
	}
	const email = L.uniqueEmail('ok8');
	const res = await signUpPage(srv8, email, 'Xq7#kd2P');
	assert.equal(L.h1Of(res.page.text), 'Check your inbox');
	const short = await signUpPage(srv8, L.uniqueEmail('s7'), 'Xq7#kd2');
	assert.match(L.alertText(short.r.text), /\b8\b/);
});

test('the password form states the minimum length', async () => {
	const c = new L.Client(srv8.url);
	const r = await c.get('/signup');
	assert.match(L.textOf(r.text), /\b8\b/, 'min_length shown');
	const pw = L.inputsOf(r.text).find((i) => i.name === 'password');
	if (pw.minlength !== undefined)
		assert.equal(pw.minlength, '8');
});

test('a 64-character password is accepted', async () => {
	const email = L.uniqueEmail('p64');
	const pw = (L.genPassword() + L.genPassword() + L.genPassword())
	    .slice(0, 64);
	assert.equal(pw.length, 64);
	const res = await signUpPage(srv, email, pw);
	assert.equal(L.h1Of(res.page.text), 'Check your inbox');
	assert.ok(await canSignIn(srv, email, pw));
});

test('a 100-character password works and is never truncated', async () => {
	const email = L.uniqueEmail('p100');
	let pw = '';
	while (pw.length < 100)
		pw += L.genPassword();
	pw = pw.slice(0, 100);
	const res = await signUpPage(srv, email, pw);
	assert.equal(L.h1Of(res.page.text), 'Check your inbox');
	assert.ok(await canSignIn(srv, email, pw), 'full password signs in');
	assert.equal(await canSignIn(srv, email, pw.slice(0, 99)), false,
	    'its first 99 characters must not sign in');
	assert.equal(await canSignIn(srv, email, pw.slice(0, 72)), false,
	    'its first 72 characters must not sign in');
	assert.equal(await canSignIn(srv, email, pw + 'x'), false,
	    'a longer one must not sign in');
});

test('a password over the maximum (256) is refused, not cut', async () => {
	const email = L.uniqueEmail('p257');
	let pw = '';
	while (pw.length < 257)
		pw += L.genPassword();
	pw = pw.slice(0, 257);
	const res = await signUpPage(srv, email, pw);
	const err = await assertRefused(srv, res, email, '257 characters');
	assert.match(err, /256/, `the error names 256: "${err}"`);
});

test('an invalid address is refused', async () => {
	for (const email of ['not-an-address', 'a@b', 'x y@example.com',
	    'a@example.com\r\nBcc: victim@example.com']) {
		const res = await signUpPage(srv, email, L.genPassword());
		assert.notEqual(res.r.status, 303, `${JSON.stringify(email)}`);
		assert.ok(L.alertText(res.r.text).length > 0,
		    `${JSON.stringify(email)}: error shown`);
	}
	await L.sleep(300);
	assert.equal(srv.mail().filter((m) => /victim/.test(m.head)).length, 0);
});

test('an address that already has an ID: the same page as a new ' +
    'sign-up, no second ID, a notice mail instead of a verification',
    async () => {
	const email = L.uniqueEmail('exists');
	const password = L.genPassword();
	const first = await signUpPage(srv, email, password);
	await srv.mailTo(email, 1);

	const other = L.genPassword();
	const second = await signUpPage(srv, email.toUpperCase(), other);
	assert.equal(second.r.status, first.r.status, 'same status');
	assert.equal(second.page.status, 200);
	assert.equal(L.h1Of(second.page.text), 'Check your inbox');
	assert.equal((await srv.userLines(email)).length, 1, 'still one ID');

	const msgs = await srv.mailTo(email, 2);
	const verify = msgs.find((x) =>
	    x.links.some((l) => l.includes('/verify?token=')));
	const notice = msgs.find((m) => m !== verify);
	assert.equal(notice.links.some((l) => l.includes('/verify')), false,
	    `the second mail has no verification link:\n${notice.text}`);
	assert.ok(notice.links.some((l) => /\/signin|\/password\/forgot/
	    .test(l)), `it links sign-in or forgot password:\n${notice.text}`);
	assert.notEqual(notice.subject, verify.subject,
	    'a different message from the verification');

	assert.ok(await canSignIn(srv, email, password),
	    'the first password still works');
	assert.equal(await canSignIn(srv, email, other), false,
	    'the second password does not');
	assert.equal(await L.isSignedIn(second.c), false,
	    'the second sign-up is not signed in to the existing ID');
});

test('sign-up without a CSRF token or with a wrong one is 403 and stores ' +
    'nothing', async () => {
	const email = L.uniqueEmail('csrf');
	const pw = L.genPassword();
	const c = new L.Client(srv.url);
	const g = await c.get('/signup');
	const token = L.csrfOf(g.text);
	const fields = { email, password: pw, password2: pw };
	const none = await c.post('/signup', fields);
	assert.equal(none.status, 403, 'missing token');
	const wrong = await c.post('/signup', { ...fields,
	    csrf: token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA') });
	assert.equal(wrong.status, 403, 'wrong token');
	const other = new L.Client(srv.url);
	const g2 = await other.get('/signup');
	const foreign = await c.post('/signup', { ...fields,
	    csrf: L.csrfOf(g2.text) });
	assert.equal(foreign.status, 403, "another browser's token");
	// (From another client: the answer may set a fresh csrf cookie.)
	const noCookie = await new L.Client(srv.url).post('/signup',
	    { ...fields, csrf: token });
	assert.equal(noCookie.status, 403, 'token without its cookie');
	const origin = await c.post('/signup', { ...fields, csrf: token },
	    { headers: { origin: 'http://evil.example' } });
	assert.equal(origin.status, 403, 'a foreign Origin');
	assert.deepEqual(await srv.userLines(email), []);
	await L.sleep(1200);
	assert.deepEqual(srv.mailNow(email), []);
	// The right token still works afterwards.
	const ok = await c.post('/signup', { ...fields, csrf: token },
	    { headers: { origin: srv.url } });
	assert.ok(ok.status === 200 || ok.status === 303, `${ok.status}`);
	assert.equal((await srv.userLines(email)).length, 1);
});

test('sign-up keeps a same-site return_to and drops a foreign one',
    async () => {
	const pw = L.genPassword();
	const hrefs = (html) => [...html.matchAll(
	    /<a\b[^>]*\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)]
	    .map((m) => L.decodeEntities(m[1] ?? m[2] ?? m[3]));
	const good = await signUpPage(srv, L.uniqueEmail('rt'), pw, pw,
	    { return_to: '/help?from=signup' });
	// Continue goes there, directly or through sign-in.
	assert.ok(hrefs(good.page.text).some((h) => {
		const t = L.localTarget(h, srv.url);
		if (t === '/help?from=signup')
			return true;
		const u = new URL(h, srv.url);
		return u.pathname === '/signin' &&
		    u.searchParams.get('return_to') === '/help?from=signup';
	}), 'a link continues to the return address');
	for (const evil of ['https://evil.example/', '//evil.example/x',
	    '/\\evil.example', 'javascript:alert(1)']) {
		const res = await signUpPage(srv, L.uniqueEmail('rtbad'), pw, pw,
		    { return_to: evil });
		assert.equal(res.page.status, 200);
		const form = await new L.Client(srv.url).get('/signup?return_to=' +
		    encodeURIComponent(evil));
		assert.ok(form.status === 200 || form.status === 400);
		for (const h of [...hrefs(res.page.text), ...hrefs(form.text)]) {
			assert.ok(!/evil\.example/i.test(h) &&
			    !/^\s*javascript:/i.test(h),
			    `return_to ${evil}: link ${h}`);
			assert.ok(h.startsWith('mailto:') ||
			    L.localTarget(h, srv.url).startsWith('/'),
			    `return_to ${evil}: off-site link ${h}`);
		}
	}
});
