// Sign-in (SPEC walkthrough step 3): the page's texts, the three save
// choices and what survives a browser restart, return_to, throttling per
// account and per client address, locking, sign-out.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');

let srv;
const extra = [];

test.before(async () => {
	srv = await L.startServer({ env: {
		ONEPASS_SIGNIN_FREE_FAILURES: '3',
		ONEPASS_SIGNIN_MAX_DELAY_SEC: '2',
		ONEPASS_SIGNIN_IP_MAX_FAILURES: '1000',
		ONEPASS_ID_WORKS_WITH: 'Alpha Portal, Beta Portal',
	} });
});

test.after(async () => {
	await Promise.all([srv && srv.stop(), ...extra.map((s) => s.stop())]);
});

async function extraServer(env) {
	const s = await L.startServer({ env });
	extra.push(s);
	return s;
}

// Which save radio is checked on a /signin page.
function checkedSave(html) {
	const radios = L.inputsOf(html).filter((i) => i.name === 'save' &&
	    String(i.type).toLowerCase() === 'radio');
	assert.deepEqual(radios.map((r) => r.value).sort(),
	    ['email', 'never', 'password'], 'three save radios');
	const checked = radios.filter((r) => r.checked !== undefined);
	assert.equal(checked.length, 1, 'exactly one save choice preselected');
	return checked[0].value;
}

// The refusal of a throttled sign-in: 429 or a message asking to wait.
function isThrottled(r) {
	if (r.status === 429)
		return true;
	return r.status !== 303 &&
	    /wait|too many|try again (later|in)|later|temporarily/i
	    .test(L.alertText(r.text));
}

test('/signin has every text of the walkthrough', async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/signin');
	assert.equal(r.status, 200);
	assert.equal(L.h1Of(r.text), 'Sign in to onepass ID');
	const t = L.textOf(r.text);
	for (const s of ['E-mail address:', 'Password:',
	    'Save my e-mail address and password', 'Save my e-mail address',
	    'Always ask for my e-mail address and password',
	    'Works with Alpha Portal, Beta Portal'])
		assert.ok(t.includes(s), `text "${s}"`);
	const link = (text) => {
		const m = r.text.match(new RegExp(
		    `<a\\b[^>]*href=["']([^"']*)["'][^>]*>\\s*${text}\\s*</a>`));
		assert.ok(m, `link "${text}"`);
		return L.decodeEntities(m[1]);
	};
	assert.equal(link('Forgot your password\\?'), '/password/forgot');
	assert.equal(link('Help'), '/help');
	assert.equal(link('Account Services'), '/account');
	assert.equal(link('Privacy Statement'), '/privacy');
	assert.equal(link('Terms of Use'), '/terms');
	assert.match(link('Get an ID'), /^\/signup\b/);
	const f = L.formsOf(r.text).find((x) => x.method === 'post' &&
	    x.action === '/signin');
	assert.ok(f, 'a POST form to /signin');
	for (const n of ['csrf', 'email', 'password', 'save'])
		assert.ok(n in f.fields, `field ${n}`);
	assert.match(f.html, /<button\b[^>]*>\s*Sign in\s*<\/button>|type=["']?submit["']?[^>]*value=["']Sign in["']/,
	    'a "Sign in" button');
	const email = L.inputsOf(r.text).find((i) => i.name === 'email');
	assert.equal(email.value || '', '', 'no address prefilled');
	assert.equal(L.inputsOf(r.text).find((i) => i.name === 'password')
	    .type, 'password');
	// Each radio has a label.
	for (const v of ['password', 'email', 'never']) {
		const i = L.inputsOf(r.text).find((x) => x.name === 'save' &&
		    x.value === v);
		assert.ok(i.id && new RegExp(`<label\\b[^>]*for=["']?${i.id}`)
		    .test(r.text), `radio ${v} has a <label for>`);
	}
	checkedSave(r.text);
});

test('"Get an ID" keeps the pending return_to', async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/signin?return_to=%2Fhelp%3Fx%3D1');
	assert.equal(r.status, 200);
	assert.equal(L.inputValue(r.text, 'return_to'), '/help?x=1');
	const m = r.text.match(/<a\b[^>]*href=["']([^"']*)["'][^>]*>\s*Get an ID\s*<\/a>/);
	const u = new URL(L.decodeEntities(m[1]), srv.url);
	assert.equal(u.pathname, '/signup');
	assert.equal(u.searchParams.get('return_to'), '/help?x=1');
});

test('the right password signs in (303 to /account) and the address is ' +
    'matched whatever its case', async () => {
	const a = await L.newAccount(srv, 'Ok');
	const r = await L.signIn(a.c, a.email.toUpperCase(), a.password);
	assert.equal(r.status, 303);
	assert.equal(L.localTarget(r.location, srv.url), '/account');
	const acc = await a.c.get('/account');
	assert.equal(acc.status, 200);
	assert.equal(L.h1Of(acc.text), 'Account Services');
	assert.ok(acc.text.includes(a.email));
});

test('each sign-in gets a new session token; a planted one is not adopted',
    async () => {
	const a = await L.newAccount(srv, 'fixation');
	const c1 = new L.Client(srv.url);
	const r1 = await L.signIn(c1, a.email, a.password, 'never');
	assert.equal(r1.status, 303);
	const set1 = new Map(r1.setCookies.map((k) => [k.name, k.value]));
	assert.ok(set1.size >= 1, 'the sign-in sets a session cookie');
	// An attacker plants cookies of those names in a victim's browser.
	const victim = new L.Client(srv.url);
	await victim.get('/signin');
	for (const name of set1.keys())
		victim.jar.set(name, { name, value: 'A'.repeat(43), attrs: {} });
	const r2 = await L.signIn(victim, a.email, a.password, 'never');
	assert.equal(r2.status, 303);
	const set2 = new Map(r2.setCookies.map((k) => [k.name, k.value]));
	for (const [name, v] of set2) {
		assert.notEqual(v, 'A'.repeat(43), `${name}: planted value kept`);
		if (set1.has(name) && v !== '')
			assert.notEqual(v, set1.get(name), `${name}: token reused`);
	}
	assert.equal(await L.isSignedIn(victim), true);
	const planted = new L.Client(srv.url);
	for (const name of set1.keys())
		planted.jar.set(name, { name, value: 'A'.repeat(43), attrs: {} });
	assert.equal(await L.isSignedIn(planted), false,
	    'the planted token opens nothing');
});

test('a wrong password and an unknown address give the same answer',
    async () => {
	const a = await L.newAccount(srv, 'same');
	const unknown = L.uniqueEmail('same');	// same length as a.email
	const c1 = new L.Client(srv.url);
	const wrong = await L.signIn(c1, a.email, L.genPassword());
	const c2 = new L.Client(srv.url);
	const none = await L.signIn(c2, unknown, L.genPassword());
	assert.notEqual(wrong.status, 303);
	assert.equal(wrong.status, none.status, 'same status');
	const msg = L.alertText(wrong.text);
	assert.ok(msg.length > 0, 'an error is shown');
	assert.equal(L.alertText(none.text), msg, 'same message');
	const norm = (r, e) => L.stripCsrf(r.text).split(e).join('EMAIL');
	assert.equal(norm(wrong, a.email), norm(none, unknown),
	    'same page apart from the address and the csrf token');
	assert.equal(L.inputValue(wrong.text, 'password') || '', '',
	    'the password is not echoed');
	assert.equal(await L.isSignedIn(c1), false);
	assert.equal(await L.isSignedIn(c2), false);
});

test('sign-in without a valid CSRF token is 403 and signs nobody in',
    async () => {
	const a = await L.newAccount(srv, 'csrf');
	await a.c.get('/signin');
	const r = await a.c.post('/signin', { email: a.email,
	    password: a.password, save: 'never' });
	assert.equal(r.status, 403);
	const r2 = await a.c.post('/signin', { email: a.email,
	    password: a.password, save: 'never', csrf: 'x'.repeat(43) });
	assert.equal(r2.status, 403);
	assert.equal(await L.isSignedIn(a.c), false);
});

test('"Save my e-mail address and password": a persistent session that ' +
    'survives a browser restart', async () => {
	const a = await L.newAccount(srv, 'savepw');
	const r = await L.signIn(a.c, a.email, a.password, 'password');
	assert.equal(r.status, 303);
	const persistent = r.setCookies.filter((c) => L.cookieIsPersistent(c) &&
	    (Number(c.attrs['max-age']) > 0 ||
	    Date.parse(c.attrs.expires) > Date.now()));
	assert.ok(persistent.length >= 1, 'a cookie with Max-Age/Expires: ' +
	    r.setCookies.map((c) => c.raw).join(' | '));
	const lives = persistent.map((c) =>
	    c.attrs['max-age'] !== undefined ? Number(c.attrs['max-age']) :
	    (Date.parse(c.attrs.expires) - Date.now()) / 1000);
	assert.ok(lives.some((l) => l > 29 * 86400 && l <= 31 * 86400),
	    `a session cookie of about 30 days (persistent_days): ${lives}`);
	a.c.restartBrowser();
	assert.equal(await L.isSignedIn(a.c), true,
	    'still signed in after the restart');
	const acc = await a.c.get('/account');
	assert.ok(acc.text.includes(a.email));
});

test('"Save my e-mail address": the session ends with the browser, the ' +
    'address is filled in next time', async () => {
	const a = await L.newAccount(srv, 'savemail');
	const r = await L.signIn(a.c, a.email, a.password, 'email');
	assert.equal(r.status, 303);
	assert.ok(r.setCookies.some((c) => !L.cookieIsPersistent(c)),
	    'the session cookie has no Max-Age/Expires');
	assert.equal(await L.isSignedIn(a.c), true);
	// While the browser is open, the next sign-in page has the address.
	await L.signOut(a.c);
	let g = await a.c.get('/signin');
	assert.equal(L.inputValue(g.text, 'email'), a.email);
	assert.equal(checkedSave(g.text), 'email');
	// After a restart: signed out, the address still filled in.
	await L.signIn(a.c, a.email, a.password, 'email');
	a.c.restartBrowser();
	assert.equal(await L.isSignedIn(a.c), false,
	    'the session must end with the browser');
	g = await a.c.get('/signin');
	assert.equal(L.inputValue(g.text, 'email'), a.email,
	    'the address survives the restart');
	assert.equal(checkedSave(g.text), 'email');
});

test('"Always ask": the session ends with the browser and nothing is ' +
    'remembered', async () => {
	const a = await L.newAccount(srv, 'never');
	const r = await L.signIn(a.c, a.email, a.password, 'never');
	assert.equal(r.status, 303);
	assert.ok(r.setCookies.some((c) => !L.cookieIsPersistent(c)),
	    'the session cookie has no Max-Age/Expires');
	assert.equal(await L.isSignedIn(a.c), true);
	a.c.restartBrowser();
	assert.equal(await L.isSignedIn(a.c), false,
	    'the session must end with the browser');
	const g = await a.c.get('/signin');
	assert.equal(L.inputValue(g.text, 'email') || '', '',
	    'no address remembered');
	assert.ok(!g.text.includes(a.email));
});

test('"Always ask" forgets a previously remembered address', async () => {
	const a = await L.newAccount(srv, 'forget');
	await L.signIn(a.c, a.email, a.password, 'email');
	await L.signOut(a.c);
	let g = await a.c.get('/signin');
	assert.equal(L.inputValue(g.text, 'email'), a.email, 'remembered');
	const r = await L.signIn(a.c, a.email, a.password, 'never');
	assert.equal(r.status, 303);
	await L.signOut(a.c);
	g = await a.c.get('/signin');
	assert.equal(L.inputValue(g.text, 'email') || '', '',
	    'forgotten at once');
	assert.notEqual(checkedSave(g.text), 'email');
	a.c.restartBrowser();
	g = await a.c.get('/signin');
	assert.equal(L.inputValue(g.text, 'email') || '', '',
	    'still forgotten after a restart');
	assert.ok(!g.text.includes(a.email));
});

test('return_to: a same-site path is honoured', async () => {
	const a = await L.newAccount(srv, 'rt');
	for (const target of ['/help', '/terms?x=1&y=2', '/account']) {
		const c = new L.Client(srv.url);
		const r = await L.signIn(c, a.email, a.password, 'never',
		    { return_to: target });
		assert.equal(r.status, 303, target);
		assert.equal(L.localTarget(r.location, srv.url), target);
	}
	// From the query of GET /signin through the hidden field.
	const c = new L.Client(srv.url);
	const g = await c.get('/signin?return_to=%2Fprivacy');
	const f = L.formsOf(g.text).find((x) => x.action === '/signin');
	assert.equal(f.fields.return_to, '/privacy');
	const r = await c.post('/signin', { ...f.fields, email: a.email,
	    password: a.password, save: 'never' });
	assert.equal(L.localTarget(r.location, srv.url), '/privacy');
});

test('return_to: foreign and disguised targets go to /account instead',
    async () => {
	const a = await L.newAccount(srv, 'rtbad');
	for (const target of ['https://evil.example/', '//evil.example',
	    '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)',
	    'JavaScript:alert(1)', '/\t/evil.example', ' //evil.example',
	    'http:evil.example', 'https:/evil.example',
	    `${srv.url}@evil.example/`, 'data:text/html,x']) {
		const c = new L.Client(srv.url);
		const r = await L.signIn(c, a.email, a.password, 'never',
		    { return_to: target });
		assert.equal(r.status, 303, JSON.stringify(target));
		assert.equal(L.localTarget(r.location, srv.url), '/account',
		    `return_to ${JSON.stringify(target)} -> ${r.location}`);
		assert.doesNotMatch(r.location, /evil|javascript|data:/i);
	}
	// Nor is a foreign target carried into the form.
	const c = new L.Client(srv.url);
	const g = await c.get('/signin?return_to=' +
	    encodeURIComponent('//evil.example/'));
	assert.ok(g.status === 200 || g.status === 400);
	const f = L.formsOf(g.text).find((x) => x.action === '/signin');
	if (f && f.fields.return_to)
		assert.doesNotMatch(f.fields.return_to, /evil/);
});

test('throttling: after repeated failures the account must wait, even ' +
    'with the right password; another account still signs in; after the ' +
    'delay it works', async () => {
	const a = await L.newAccount(srv, 'throttle');
	const b = await L.newAccount(srv, 'bystander');
	const c = new L.Client(srv.url);
	for (let i = 0; i < 5; i++) {
		const r = await L.signIn(c, a.email, `wrong-${L.genPassword()}`);
		assert.notEqual(r.status, 303);
	}
	const right = await L.signIn(c, a.email, a.password);
	assert.notEqual(right.status, 303, 'the right password is refused');
	assert.ok(isThrottled(right), `asked to wait: ${right.status} ` +
	    `"${L.alertText(right.text)}"`);
	assert.equal(await L.isSignedIn(c), false);
	// Same client, another account: not affected.
	const other = await L.signIn(c, b.email, b.password);
	assert.equal(other.status, 303, 'another account signs in');
	assert.equal(await L.isSignedIn(c), true);
	await L.signOut(c);
	// After the longest delay (2 s), the right password works.
	await L.sleep(2600);
	const later = await L.signIn(c, a.email, a.password);
	assert.equal(later.status, 303, `after the delay: ${later.status} ` +
	    `"${L.alertText(later.text)}"`);
	// ...and the failures are forgotten: one wrong try is not delayed.
	await L.signOut(c);
	await L.signIn(c, a.email, 'wrong-' + L.genPassword());
	const again = await L.signIn(c, a.email, a.password);
	assert.equal(again.status, 303, 'a success clears the failures');
});

test('throttling answers the same for an ID and an unknown address, ' +
    'during and after the delay (no enumeration)', async () => {
	const a = await L.newAccount(srv, 'thrknown');
	const unknown = L.uniqueEmail('thrnone');
	const c = new L.Client(srv.url);
	const tryBoth = async () => {
		const k = await L.signIn(c, a.email, 'wrong-' + L.genPassword());
		const u = await L.signIn(c, unknown, 'wrong-' + L.genPassword());
		return [[k.status, L.alertText(k.text)],
		    [u.status, L.alertText(u.text)]];
	};
	for (let i = 0; i < 5; i++) {
		const [k, u] = await tryBoth();
		assert.deepEqual(u, k, `attempt ${i + 1}: the same answer`);
	}
	// After the longest delay (2 s) a known ID may try again; an
	// unknown address must look the same.
	await L.sleep(2600);
	const [k, u] = await tryBoth();
	assert.deepEqual(u, k, 'after the delay: the same answer');
});

test('throttling per client address: past ip_max_failures even a right ' +
    'password is refused, X-Forwarded-For is not trusted', async () => {
	const s = await extraServer({ ONEPASS_SIGNIN_IP_MAX_FAILURES: '5' });
	const accts = [];
	for (let i = 0; i < 4; i++)
		accts.push(await L.newAccount(s, `ip${i}`));
	const c = new L.Client(s.url);
	// Two failures on each of two accounts (below the per-account
	// limit) and two unknown addresses: 6 from one client address.
	for (const email of [accts[0].email, accts[0].email, accts[1].email,
	    accts[1].email, L.uniqueEmail('nobody'), L.uniqueEmail('nobody')])
		await L.signIn(c, email, 'wrong-' + L.genPassword());
	const r = await L.signIn(new L.Client(s.url), accts[2].email,
	    accts[2].password);
	assert.notEqual(r.status, 303, 'refused past the per-address limit');
	assert.ok(isThrottled(r), `asked to wait: ${r.status} ` +
	    `"${L.alertText(r.text)}"`);
	const spoof = new L.Client(s.url);
	const g = await spoof.get('/signin');
	const r2 = await spoof.post('/signin', { csrf: L.csrfOf(g.text),
	    email: accts[3].email, password: accts[3].password, save: 'never' },
	    { headers: { 'x-forwarded-for': '198.51.100.7' } });
	assert.notEqual(r2.status, 303, 'X-Forwarded-For must not reset it');
});

test('too many consecutive failures lock the ID until a password reset',
    async () => {
	const s = await extraServer({ ONEPASS_SIGNIN_MAX_FAILURES: '3',
	    ONEPASS_SIGNIN_FREE_FAILURES: '10' });
	const a = await L.newAccount(s, 'lock');
	for (let i = 0; i < 3; i++)
		await L.signIn(a.c, a.email, 'wrong-' + L.genPassword());
	const r = await L.signIn(a.c, a.email, a.password);
	assert.notEqual(r.status, 303, 'locked: the right password is refused');
	assert.ok(L.alertText(r.text).length > 0, 'an error is shown');
	const np = L.genPassword();
	const reset = await L.resetViaMail(s, a.email, np);
	assert.ok(reset.page.status === 200);
	const ok = await L.signIn(new L.Client(s.url), a.email, np);
	assert.equal(ok.status, 303, 'the reset unlocks the ID');
});

test('a disabled ID cannot sign in and its sessions end; enabled again it ' +
    'can', async () => {
	const a = await L.newAccount(srv, 'disabled');
	await L.signIn(a.c, a.email, a.password, 'password');
	assert.equal(await L.isSignedIn(a.c), true);
	await srv.cli(['user', 'disable', a.email]);
	assert.equal((await srv.user(a.email)).disabled, true);
	assert.equal(await L.isSignedIn(a.c), false, 'its session ended');
	const r = await L.signIn(new L.Client(srv.url), a.email, a.password);
	assert.notEqual(r.status, 303, 'a disabled ID cannot sign in');
	await srv.cli(['user', 'enable', a.email]);
	const r2 = await L.signIn(new L.Client(srv.url), a.email, a.password);
	assert.equal(r2.status, 303);
});

test('GET /signout only asks; POST /signout with csrf ends the session ' +
    'on the server', async () => {
	const a = await L.newAccount(srv, 'signout');
	await L.signIn(a.c, a.email, a.password, 'password');
	const g = await a.c.get('/signout');
	assert.equal(g.status, 200);
	assert.equal(await L.isSignedIn(a.c), true, 'GET does not sign out');
	const f = L.formsOf(g.text).find((x) => x.action === '/signout' &&
	    x.method === 'post');
	assert.ok(f, 'a POST form to /signout');
	const saved = new Map(a.c.jar);
	const bad = await a.c.post('/signout', {});
	assert.equal(bad.status, 403, 'POST without csrf');
	assert.equal(await L.isSignedIn(a.c), true);
	const r = await a.c.post('/signout', f.fields);
	assert.ok(r.status === 303 || r.status === 200, `${r.status}`);
	assert.equal(await L.isSignedIn(a.c), false);
	// The old cookie replayed is dead too.
	const replay = new L.Client(srv.url);
	replay.jar = saved;
	assert.equal(await L.isSignedIn(replay), false,
	    'the session is deleted on the server, not only in the browser');
});
