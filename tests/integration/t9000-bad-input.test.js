// Bad input of every kind gets a clear error page, never a crash, and
// nothing already stored changes; no user enumeration.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');

let srv;
let accts;
let usersBefore;
const createdHere = new Set();	// addresses the enumeration tests sign up

test.before(async () => {
	srv = await L.startServer();
	accts = [];
	for (let i = 0; i < 3; i++)
		accts.push(await L.newAccount(srv, `keep${i}`));
	// One of them signed in with a persistent session, one verified
	// when mail works (the other tests cover mail; here it only adds
	// variety to the stored data).
	await L.signIn(accts[1].c, accts[1].email, accts[1].password,
	    'password');
	const m = await srv.mailTo(accts[0].email).then((x) => x[0],
	    () => null);
	const link = m && m.links.find((l) => l.includes('/verify?token='));
	if (link) {
		const c = new L.Client(srv.url);
		const g = await c.get(L.localTarget(link, srv.url));
		await c.post('/verify', { csrf: L.csrfOf(g.text),
		    token: new URL(link).searchParams.get('token') });
	}
	usersBefore = await srv.userList();
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// A fresh client with a csrf token from /signin.
async function withCsrf() {
	const c = new L.Client(srv.url);
	const g = await c.get('/signin');
	return { c, csrf: L.csrfOf(g.text) };
}

function assertBadRequest(r, what) {
	assert.equal(r.status, 400, `${what}: status ${r.status}`);
	assert.match(r.headers.get('content-type') || '', /^text\/html/,
	    `${what}: an HTML error page`);
	assert.equal(L.h1Of(r.text), 'Bad request', `${what}: heading`);
}

function rawStatusOk(r, allowed, what) {
	assert.ok(r.status === 0 || allowed.includes(r.status),
	    `${what}: status ${r.status} (${r.how})`);
}

test('signup answers byte-identical pages for an existing and a new ' +
    'address (apart from the csrf token and the address)', async () => {
	const email = L.uniqueEmail('enum');
	createdHere.add(email);
	const pw = L.genPassword();
	const run = async (addr) => {
		const c = new L.Client(srv.url);
		const r = await L.signUp(c, addr, pw);
		const page = r.status === 303 ?
		    await c.get(r.location, { follow: true }) : r;
		return { r, page };
	};
	const known = await run(accts[2].email);
	const fresh = await run(email);
	assert.equal(known.r.status, fresh.r.status, 'same status');
	const loc = (x, a) => x.r.location &&
	    L.localTarget(x.r.location, srv.url).split(a).join('EMAIL');
	assert.equal(loc(known, accts[2].email), loc(fresh, email),
	    'same redirect');
	const norm = (x, a) => L.stripCsrf(x.page.text).split(a).join('EMAIL');
	assert.equal(norm(known, accts[2].email), norm(fresh, email),
	    'same page');
});

test('signup sets the same cookies for an existing and a new address',
    async () => {
	const email = L.uniqueEmail('enumck');
	createdHere.add(email);
	const pw = L.genPassword();
	const names = async (addr) => {
		const c = new L.Client(srv.url);
		const r = await L.signUp(c, addr, pw);
		return r.setCookies.map((k) => `${k.name}:` +
		    `${L.cookieIsPersistent(k)}`).sort();
	};
	assert.deepEqual(await names(accts[2].email), await names(email),
	    'a session cookie only for new addresses tells which exist');
});

test('forgot password answers byte-identical pages for an existing and ' +
    'an unknown address', async () => {
	const run = async (addr) => {
		const c = new L.Client(srv.url);
		const r = await c.submit('/password/forgot', { email: addr });
		const page = r.status === 303 ?
		    await c.get(r.location, { follow: true }) : r;
		return { r, page, cookies: r.setCookies.map((k) => k.name) };
	};
	const unknown = L.uniqueEmail('keep9');
	const known = await run(accts[2].email);
	const none = await run(unknown);
	assert.equal(known.r.status, none.r.status);
	assert.deepEqual(known.cookies, none.cookies);
	const norm = (x, a) => L.stripCsrf(x.page.text).split(a).join('EMAIL');
	assert.equal(norm(known, accts[2].email), norm(none, unknown));
});

test('an oversized body is refused with 413', async () => {
	const { c, csrf } = await withCsrf();
	const body = `csrf=${csrf}&email=a%40example.com&save=never&password=` +
	    'x'.repeat(70000);
	const r = await L.rawRequest(srv.port,
	    'POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
	    `Cookie: ${c.cookieHeader()}\r\n` +
	    'Content-Type: application/x-www-form-urlencoded\r\n' +
	    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n` + body);
	assert.equal(r.status, 413, `status ${r.status} (${r.how})`);
	assert.match(r.head, /\r\ncontent-type:\s*text\/html/i);
	assert.ok(L.h1Of(r.body), 'a clear error page with a heading');
});

// libmicrohttpd 0.9.75 cannot answer in the middle of a body, so a body of
// unannounced length is refused before any of it is read: 411, with a page.
test('a chunked body (no length announced) is refused before it is read',
    async () => {
	const chunk = 'x'.repeat(30000);
	let chunked = 'POST /signup HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
	    'Content-Type: application/x-www-form-urlencoded\r\n' +
	    'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
	chunked += `9\r\nemail=aa&\r\n`;
	for (let i = 0; i < 4; i++)
		chunked += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
	chunked += '0\r\n\r\n';
	const r2 = await L.rawRequest(srv.port, chunked);
	assert.equal(r2.status, 411, `chunked: status ${r2.status} (${r2.how})`);
	assert.match(r2.head, /\r\ncontent-type:\s*text\/html/i);
	assert.ok(L.h1Of(r2.body), 'a clear error page with a heading');
});

test('invalid UTF-8 in a form or a query is 400', async () => {
	const { c, csrf } = await withCsrf();
	for (const bad of ['%ff', '%C3%28', '%C0%AF', '%ED%A0%80',
	    '%F4%90%80%80', 'ok%E2%82']) {
		const r = await c.post('/signin', `csrf=${csrf}&save=never&` +
		    `password=x&email=${bad}`);
		assertBadRequest(r, `form ${bad}`);
		const q = await c.get(`/signin?return_to=${bad}`);
		assertBadRequest(q, `query ${bad}`);
	}
	const esc = await c.get('/signin?return_to=%zz');
	assertBadRequest(esc, 'bad escape');
});

test('a NUL byte (%00) in a form or a query is 400', async () => {
	const { c, csrf } = await withCsrf();
	const r = await c.post('/signin', `csrf=${csrf}&save=never&` +
	    `password=x&email=${encodeURIComponent(accts[0].email)}%00`);
	assertBadRequest(r, 'form');
	const q = await c.get('/password/forgot?email=a%00b');
	assertBadRequest(q, 'query');
	const n = await c.get('/signin?%00=1');
	assertBadRequest(n, 'name');
	const p = await c.get('/sign%00in');
	assert.ok(p.status === 400 || p.status === 404, `path: ${p.status}`);
});

test('duplicate parameters are 400', async () => {
	const { c, csrf } = await withCsrf();
	const r = await c.post('/signin', `csrf=${csrf}&save=never&` +
	    `password=${encodeURIComponent(accts[0].password)}&` +
	    `email=${encodeURIComponent(accts[0].email)}&email=x%40example.com`);
	assertBadRequest(r, 'form');
	assert.equal(await L.isSignedIn(c), false);
	const r2 = await c.post('/signin', `csrf=${csrf}&csrf=${csrf}&` +
	    `save=never&password=x&email=x%40example.com`);
	assertBadRequest(r2, 'csrf twice');
	const q = await c.get('/signin?return_to=%2Fa&return_to=%2Fb');
	assertBadRequest(q, 'query');
});

test('too many parameters are refused', async () => {
	const { c, csrf } = await withCsrf();
	const many = Array.from({ length: 70 }, (_, i) => `p${i}=1`).join('&');
	const r = await c.post('/signin', `csrf=${csrf}&${many}`);
	assert.ok(r.status === 400 || r.status === 413, `form: ${r.status}`);
	const q = await c.get(`/signin?${many}`);
	assert.ok(q.status === 400 || q.status === 414, `query: ${q.status}`);
});

test('a body that is not a urlencoded form is refused, not a crash',
    async () => {
	const { c, csrf } = await withCsrf();
	const r = await c.request('POST', '/signin', {
		headers: { 'content-type': 'multipart/form-data; boundary=x' },
		body: `--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n--x--\r\n`,
	});
	assert.ok(r.status >= 400 && r.status < 500, `multipart: ${r.status}`);
	const j = await c.request('POST', '/signin', {
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ csrf }),
	});
	assert.ok(j.status >= 400 && j.status < 500, `json: ${j.status}`);
});

test('malformed cookies: the page still works', async () => {
	for (const cookie of [';;;', '=', '=value', 'novalue', 'a=b;;c',
	    '"quoted=1', 'a=b; a=c; a=d', `x=${'y'.repeat(3000)}`,
	    'a=\u00e9\u00e8', ' ; = ; ']) {
		const c = new L.Client(srv.url);
		const r = await c.get('/signin', { headers: { cookie } });
		assert.equal(r.status, 200, `Cookie: ${cookie.slice(0, 40)}`);
		assert.ok(L.csrfOf(r.text), 'the form still has a token');
	}
	const raw = await L.rawRequest(srv.port, Buffer.concat([
	    Buffer.from('GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: a='),
	    Buffer.from([0x01, 0x7f, 0xff, 0xfe, 0x22, 0x3b, 0x3d]),
	    Buffer.from('\r\nConnection: close\r\n\r\n')]));
	assert.ok(raw.status === 200 || raw.status === 400,
	    `binary cookie: ${raw.status} (${raw.how})`);
});

test('forged or garbled session cookies sign nobody in', async () => {
	const a = accts[1];
	const names = [...a.c.jar.keys()];
	assert.ok(names.length >= 1);
	for (const v of ['', 'x', 'A'.repeat(43), 'A'.repeat(44), '%00',
	    a.c.jar.get(names[0]).value + 'x']) {
		const c = new L.Client(srv.url);
		const cookie = names.map((n) => `${n}=${v}`).join('; ');
		const r = await c.get('/account', { headers: { cookie } });
		assert.ok(r.status === 302 || r.status === 303 || r.status === 400,
		    `session cookie "${v.slice(0, 10)}": ${r.status}`);
	}
	assert.equal(await L.isSignedIn(a.c), true, 'the real one still works');
});

test('unknown or garbage tokens get a clear invalid page', async () => {
	const c = new L.Client(srv.url);
	const bogus = ['garbage', 'A'.repeat(43), 'A'.repeat(42) + '!',
	    'x'.repeat(2000), '%E2%9C%93'];
	for (const p of ['/verify', '/password/reset',
	    '/account/email/confirm']) {
		for (const t of bogus) {
			const r = await c.get(`${p}?token=${t}`);
			assert.ok(r.status === 200 || r.status === 400 ||
			    r.status === 404 || r.status === 410 ||
			    (p.startsWith('/account') && (r.status === 302 ||
			    r.status === 303)), `${p} ${t.slice(0, 8)}: ${r.status}`);
			if (r.status >= 300 && r.status < 400)
				continue;
			assert.match(L.textOf(r.text),
			    /invalid|expired|not valid|no longer|unknown/i,
			    `${p}?token=${t.slice(0, 8)} says it is invalid`);
			assert.ok(!L.inputsOf(r.text).some((i) =>
			    i.name === 'password'), 'no password form');
		}
		const none = await c.get(p);
		assert.ok(none.status < 500, `${p} without a token: ${none.status}`);
	}
	// POSTs with unknown tokens change nothing.
	const g = await c.get('/signin');
	const csrf = L.csrfOf(g.text);
	const v = await c.post('/verify', { csrf, token: 'A'.repeat(43) });
	assert.ok(v.status < 500);
	const pw = L.genPassword();
	const r = await c.post('/password/reset', { csrf, token: 'A'.repeat(43),
	    password: pw, password2: pw });
	assert.ok(r.status < 500);
	const page = r.status === 303 ? await c.get(r.location, { follow: true }) :
	    r;
	assert.match(L.textOf(page.text), /invalid|expired|not valid|no longer/i);
});

test('a 64 KiB header is rejected', async () => {
	const r = await L.rawRequest(srv.port, 'GET /signin HTTP/1.1\r\n' +
	    'Host: 127.0.0.1\r\n' + `X-Big: ${'a'.repeat(65536)}\r\n` +
	    'Connection: close\r\n\r\n');
	rawStatusOk(r, [400, 413, 431], '64 KiB header');
	const r2 = await L.rawRequest(srv.port, 'GET /signin HTTP/1.1\r\n' +
	    'Host: 127.0.0.1\r\n' + Array.from({ length: 2000 },
	    (_, i) => `X-H${i}: ${'b'.repeat(40)}\r\n`).join('') +
	    'Connection: close\r\n\r\n');
	rawStatusOk(r2, [400, 413, 431], '2000 headers');
});

test('a very long URL is rejected', async () => {
	const r = await L.rawRequest(srv.port,
	    `GET /signin?return_to=%2F${'a'.repeat(100000)} HTTP/1.1\r\n` +
	    'Host: 127.0.0.1\r\nConnection: close\r\n\r\n');
	rawStatusOk(r, [400, 413, 414, 431], 'long URL');
});

test('garbage on the wire is refused, not a crash', async () => {
	for (const junk of ['GARBAGE\r\n\r\n', 'GET\r\n\r\n',
	    'GET /signin HTTP/9.9\r\nHost: x\r\n\r\n',
	    'GET /signin HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
	    'POST /signin HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n',
	    '\x00\x01\x02\x03\r\n\r\n',
	    'GET /signin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']) {
		const r = await L.rawRequest(srv.port, junk, 1000 * L.SLOW);
		assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500) ||
		    r.status === 505 || r.status === 501,
		    `${JSON.stringify(junk.slice(0, 30))}: ${r.status}`);
	}
});

test('header injection through return_to is impossible', async () => {
	const a = accts[2];
	const c = new L.Client(srv.url);
	const r = await L.signIn(c, a.email, a.password, 'never',
	    { return_to: '/help\r\nSet-Cookie: evil=1\r\nX-Evil: 1' });
	assert.ok(r.status === 303 || r.status === 400, `${r.status}`);
	assert.equal(r.headers.get('x-evil'), null);
	assert.ok(!r.setCookies.some((k) => k.name === 'evil'));
	if (r.location)
		assert.doesNotMatch(r.location, /[\r\n]/);
});

test('markup in input comes back escaped', async () => {
	const c = new L.Client(srv.url);
	const x = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
	const q = await c.get('/signin?return_to=' + encodeURIComponent(x));
	assert.doesNotMatch(q.text, /<script>alert|<img src=x/);
	const r = await L.signIn(c, x + '@example.com', 'whatever-password');
	assert.ok(r.status < 500);
	assert.doesNotMatch(r.text, /<script>alert|<img src=x/);
	const s = await L.signUp(c, x, L.genPassword());
	assert.ok(s.status < 500);
	assert.doesNotMatch(s.text, /<script>alert|<img src=x/);
	const sql = await L.signIn(c, "' OR '1'='1' --@example.com",
	    "' OR '1'='1");
	assert.notEqual(sql.status, 303);
	assert.equal(await L.isSignedIn(c), false);
});

test('after all of this the server still serves and the stored IDs are ' +
    'unchanged', async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/signin');
	assert.equal(r.status, 200);
	const after = (await srv.userList()).split('\n').filter((l) =>
	    ![...createdHere].some((e) => l.includes(e))).join('\n');
	assert.equal(after, usersBefore);
	for (const a of accts) {
		const x = new L.Client(srv.url);
		const s = await L.signIn(x, a.email, a.password, 'never');
		assert.equal(s.status, 303, `${a.email} still signs in`);
	}
	assert.equal(await L.isSignedIn(accts[1].c), true,
	    'the persistent session survived');
	assert.equal(srv.exited, null, 'the server is running');
});
