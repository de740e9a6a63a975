// Forgot password: no enumeration, a single-use expiring reset link built
// from the public URL, every session of the ID signed out.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');

let srv;	// defaults
let fast;	// ONEPASS_TOKENS_RESET_TTL_SEC=2

test.before(async () => {
	[srv, fast] = await Promise.all([
		L.startServer(),
		L.startServer({ env: { ONEPASS_TOKENS_RESET_TTL_SEC: '2' } }),
	]);
});

test.after(async () => {
	await Promise.all([srv && srv.stop(), fast && fast.stop()]);
});

// Posts the forgot form from a fresh client; returns the first answer and
// the page finally shown.
async function forgot(s, email) {
	const c = new L.Client(s.url);
	const r = await c.submit('/password/forgot', { email });
	const page = r.status === 303 ?
	    await c.get(r.location, { follow: true }) : r;
	return { r, page };
}

async function canSignIn(s, email, password) {
	const c = new L.Client(s.url);
	const r = await L.signIn(c, email, password, 'never');
	return r.status === 303;
}

function isInvalidPage(r) {
	return r.status < 500 &&
	    /invalid|expired|no longer|already been used|not valid/i
	    .test(L.textOf(r.text)) &&
	    !L.inputsOf(r.text).some((i) => i.name === 'password');
}

const RESET = '/password/reset?token=';

async function resetLinkFor(s, email) {
	const before = s.linksNow(email, RESET);
	await forgot(s, email);
	const { link, msg } = await s.waitLink(email, RESET, before);
	return { link, token: new URL(link).searchParams.get('token'),
	    mail: msg };
}

test('GET /password/forgot shows its heading, field and button',
    async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/password/forgot');
	assert.equal(r.status, 200);
	assert.equal(L.h1Of(r.text), 'Forgot your password?');
	const f = L.formsOf(r.text).find((x) => x.method === 'post' &&
	    x.action === '/password/forgot');
	assert.ok(f && 'email' in f.fields && f.fields.csrf, 'the form');
	assert.match(f.html, /<button\b[^>]*>\s*Send reset link\s*<\/button>|value=["']Send reset link["']/);
});

test('forgot: an existing and an unknown address get the identical page; ' +
    'only the existing one gets mail', async () => {
	const a = await L.newAccount(srv, 'fgt');
	const unknown = L.uniqueEmail('fgt');
	await srv.mailTo(a.email, 1);	// the verification
	const u = await forgot(srv, unknown);
	const e = await forgot(srv, a.email);
	assert.equal(e.r.status, u.r.status, 'same status');
	assert.equal(e.r.location && L.localTarget(e.r.location, srv.url)
	    .split(a.email).join('X'), u.r.location &&
	    L.localTarget(u.r.location, srv.url).split(unknown).join('X'),
	    'same redirect');
	assert.equal(e.page.status, 200);
	const t = L.textOf(e.page.text);
	assert.ok(t.includes(
	    'If an ID exists for that address, we have sent it a link'), t);
	const norm = (html, addr) => L.stripCsrf(html).split(addr).join('X');
	assert.equal(norm(e.page.text, a.email), norm(u.page.text, unknown),
	    'byte-identical apart from the address and the csrf token');
	await srv.waitLink(a.email, RESET);
	await L.sleep(500);
	assert.deepEqual(srv.mailNow(unknown), [], 'no mail to an unknown address');
});

test('the reset mail is built from the public URL, never from Host, and ' +
    'states the lifetime', async () => {
	const a = await L.newAccount(srv, 'host');
	const c = new L.Client(srv.url);
	const g = await c.get('/password/forgot');
	const body = L.encodeForm({ csrf: L.csrfOf(g.text), email: a.email });
	const r = await L.rawRequest(srv.port,
	    'POST /password/forgot HTTP/1.1\r\n' +
	    'Host: evil.example:8080\r\n' +
	    'X-Forwarded-Host: evil.example\r\n' +
	    `Cookie: ${c.cookieHeader()}\r\n` +
	    'Content-Type: application/x-www-form-urlencoded\r\n' +
	    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
	    'Connection: close\r\n\r\n' + body);
	assert.ok(r.status === 200 || r.status === 303, `status ${r.status}`);
	const { link, msg: m } = await srv.waitLink(a.email, RESET);
	assert.ok(link.startsWith(`${srv.url}/password/reset?token=`), link);
	assert.doesNotMatch(m.raw, /evil\.example/);
	assert.match(m.text, /\b60\b/, 'the 60-minute lifetime is stated');
});

test('the reset link: GET shows the form and spends nothing; mismatched ' +
    'or short passwords are refused; the new password replaces the old',
    async () => {
	const a = await L.newAccount(srv, 'reset');
	const { link, token } = await resetLinkFor(srv, a.email);
	const c = new L.Client(srv.url);
	let g = await c.get(L.localTarget(link, srv.url));
	assert.equal(g.status, 200);
	g = await c.get(L.localTarget(link, srv.url));
	assert.equal(g.status, 200, 'a second GET still shows the form');
	const f = L.formsOf(g.text).find((x) => x.method === 'post' &&
	    x.fields.token === token);
	assert.ok(f, 'a POST form with the token');
	assert.equal(f.action || '/password/reset', '/password/reset');
	assert.ok('password' in f.fields && 'password2' in f.fields);
	assert.match(L.textOf(g.text), /\b15\b/, 'states the minimum length');

	const np = L.genPassword();
	let r = await c.post('/password/reset', { ...f.fields,
	    password: np, password2: np + 'x' });
	assert.notEqual(r.status, 303);
	assert.ok(L.alertText(r.text).length > 0, 'mismatch refused');
	r = await c.post('/password/reset', { ...f.fields,
	    password: 'short-pw', password2: 'short-pw' });
	assert.notEqual(r.status, 303);
	assert.match(L.alertText(r.text), /\b15\b/, 'too short refused');
	r = await c.post('/password/reset', { ...f.fields,
	    password: '1qaz2wsx3edc4rfv', password2: '1qaz2wsx3edc4rfv' });
	assert.ok(L.alertText(r.text).length > 0, 'blocklisted refused');
	assert.ok(await canSignIn(srv, a.email, a.password),
	    'nothing changed yet');

	r = await c.post('/password/reset', { ...f.fields,
	    password: np, password2: np });
	assert.ok(r.status === 200 || r.status === 303, `${r.status}`);
	const done = r.status === 303 ?
	    await c.get(r.location, { follow: true }) : r;
	assert.equal(done.status, 200);
	assert.doesNotMatch(L.alertText(done.text), /./, 'no error');
	assert.equal(await canSignIn(srv, a.email, a.password), false,
	    'the old password no longer works');
	assert.equal(await canSignIn(srv, a.email, np), true,
	    'the new one does');
});

test('the reset link works once', async () => {
	const a = await L.newAccount(srv, 'once');
	const np = L.genPassword();
	const first = await L.resetViaMail(srv, a.email, np);
	assert.equal(first.page.status, 200);
	assert.ok(await canSignIn(srv, a.email, np));
	const c = new L.Client(srv.url);
	const g = await c.get(L.localTarget(first.link, srv.url));
	assert.ok(isInvalidPage(g), `second use shows the invalid page ` +
	    `(${g.status}): ${L.textOf(g.text).slice(0, 300)}`);
	const g2 = await c.get('/password/forgot');
	const third = L.genPassword();
	const r = await c.post('/password/reset', { csrf: L.csrfOf(g2.text),
	    token: first.token, password: third, password2: third });
	assert.notEqual(r.status >= 500, true);
	const t = r.status === 303 ? await c.get(r.location, { follow: true }) :
	    r;
	assert.match(L.textOf(t.text), /invalid|expired|no longer|already/i);
	assert.ok(await canSignIn(srv, a.email, np), 'password unchanged');
	assert.equal(await canSignIn(srv, a.email, third), false);
});

test('the reset link expires (reset_ttl_sec=2)', async () => {
	const a = await L.newAccount(fast, 'expire');
	const { link, token } = await resetLinkFor(fast, a.email);
	const c = new L.Client(fast.url);
	const early = await c.get(L.localTarget(link, fast.url));
	assert.equal(early.status, 200);
	const csrf = L.csrfOf(early.text);
	await L.sleep(3000);
	const g = await c.get(L.localTarget(link, fast.url));
	assert.ok(isInvalidPage(g), `expired link shows the invalid page ` +
	    `(${g.status}): ${L.textOf(g.text).slice(0, 300)}`);
	const np = L.genPassword();
	const r = await c.post('/password/reset', { csrf, token,
	    password: np, password2: np });
	assert.ok(r.status < 500);
	assert.equal(await canSignIn(fast, a.email, np), false,
	    'an expired link cannot set a password');
	assert.ok(await canSignIn(fast, a.email, a.password));
});

test('a reset signs out every session of the ID and mails the account',
    async () => {
	const a = await L.newAccount(srv, 'everywhere');
	const b1 = new L.Client(srv.url);
	const b2 = new L.Client(srv.url);
	await L.signIn(b1, a.email, a.password, 'password');
	await L.signIn(b2, a.email, a.password, 'never');
	assert.equal(await L.isSignedIn(b1), true);
	assert.equal(await L.isSignedIn(b2), true);
	const np = L.genPassword();
	const res = await L.resetViaMail(srv, a.email, np);
	assert.equal(res.page.status, 200);
	assert.equal(await L.isSignedIn(b1), false,
	    'the persistent session is signed out');
	assert.equal(await L.isSignedIn(b2), false,
	    'the browser session is signed out');
	// The "password changed" notice: a message with no token link.
	const notice = await srv.waitMail(a.email, (m) =>
	    !m.links.some((l) => l.includes('token=')), 'a notice');
	assert.ok(notice.text.length > 0);
	assert.ok(await canSignIn(srv, a.email, np));
});
