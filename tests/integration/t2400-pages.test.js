// Help, Privacy Statement, Terms of Use; the Help contact form that mails
// the ID service's support team; operator content overriding the pages.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const L = require('./lib.js');

const SUPPORT = 'helpdesk-team@id-support.example.org';
let srv;
let custom;
let contentDir;

test.before(async () => {
	contentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onepass-content-'));
	fs.writeFileSync(path.join(contentDir, 'help.html'),
	    '{{>_top.html}}\n<p>Operator help marker 7f3a: call extension 42.</p>\n' +
	    '<p>Write to {{support_email}}.</p>\n{{>_bottom.html}}\n');
	[srv, custom] = await Promise.all([
		L.startServer({ env: { ONEPASS_ID_SUPPORT_EMAIL: SUPPORT } }),
		L.startServer({ env: { ONEPASS_ID_CONTENT_DIR: contentDir } }),
	]);
});

test.after(async () => {
	await Promise.all([srv && srv.stop(), custom && custom.stop()]);
	fs.rmSync(contentDir, { recursive: true, force: true });
});

for (const [p, words] of [['/help', /help|question|support|contact/i],
    ['/privacy', /privacy|personal|data/i],
    ['/terms', /terms|use|agree/i]]) {
	test(`${p} has real content`, async () => {
		const c = new L.Client(srv.url);
		const r = await c.get(p);
		assert.equal(r.status, 200);
		const h = L.h1Of(r.text);
		assert.ok(h && h.length > 0, 'a heading');
		const main = r.text.match(/<main\b[^>]*>([\s\S]*?)<\/main>/i);
		const body = L.textOf(main ? main[1] : r.text);
		assert.ok(body.length > 300, `${p}: ${body.length} characters`);
		assert.match(body, words);
		assert.doesNotMatch(r.text, /\{\{|\}\}/, 'no raw template tags');
	});
}

test('/help names the ID support address and ends with a contact form',
    async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/help');
	assert.ok(r.text.includes(SUPPORT), 'support_email shown');
	const f = L.formsOf(r.text).find((x) => x.action === '/help/contact');
	assert.ok(f, 'a form to /help/contact');
	assert.equal(f.method, 'post');
	assert.ok('email' in f.fields && 'message' in f.fields && f.fields.csrf);
});

test('the contact form mails the ID support team with the message',
    async () => {
	const c = new L.Client(srv.url);
	const from = L.uniqueEmail('asker');
	const msg = 'I cannot sign in since Tuesday — ünïcödé & <b>tags</b>\n' +
	    'Second line of the question. ref-' + L.genPassword();
	const r = await c.submit('/help', { email: from, message: msg },
	    { action: '/help/contact' });
	assert.ok(r.status === 303 || r.status === 200, `${r.status}`);
	const page = r.status === 303 ?
	    await c.get(r.location, { follow: true }) : r;
	assert.equal(page.status, 200);
	assert.doesNotMatch(L.alertText(page.text), /./, 'no error');
	assert.ok(L.statusText(page.text).length > 0 ||
	    /sent|thank/i.test(L.textOf(page.text)), 'a confirmation');
	const [m] = await srv.mailTo(SUPPORT);
	assert.ok(m.text.includes(msg.replace(/\n/g, '\r\n')) ||
	    m.text.includes(msg) ||
	    m.text.replace(/\r\n/g, '\n').includes(msg), `message in:\n${m.text}`);
	assert.ok(m.text.includes(from), 'the sender address is given');
	assert.equal(srv.mailNow('support@business.example.com').length, 0,
	    "not the company's support address");
	assert.doesNotMatch(m.html, /<b>tags<\/b>/, 'HTML part escapes it');
});

test('the contact form refuses an empty message or a bad address and ' +
    'cannot inject mail headers', async () => {
	const c = new L.Client(srv.url);
	const n = srv.mailNow(SUPPORT).length;
	let r = await c.submit('/help', { email: L.uniqueEmail('x'),
	    message: '' }, { action: '/help/contact' });
	let page = r.status === 303 ? await c.get(r.location, { follow: true }) :
	    r;
	assert.ok(L.alertText(page.text).length > 0, 'empty message refused');
	r = await c.submit('/help', {
	    email: 'a@example.com\r\nBcc: victim@example.net',
	    message: 'hello' }, { action: '/help/contact' });
	page = r.status === 303 ? await c.get(r.location, { follow: true }) : r;
	assert.ok(page.status < 500);
	assert.ok(L.alertText(page.text).length > 0, 'bad address refused');
	// A subject-like message stays in the body.
	r = await c.submit('/help', { email: L.uniqueEmail('inj'),
	    message: 'x\r\nBcc: victim@example.net\r\n\r\nbody' },
	    { action: '/help/contact' });
	await L.sleep(1500 * L.SLOW);
	for (const m of srv.mail())
		assert.doesNotMatch(m.head, /victim@example\.net/,
		    'no injected header');
	assert.equal(srv.mailNow('victim@example.net').length, 0);
	assert.ok(srv.mailNow(SUPPORT).length <= n + 1);
});

test('the contact form needs a CSRF token', async () => {
	const c = new L.Client(srv.url);
	await c.get('/help');
	const r = await c.post('/help/contact', { email: L.uniqueEmail('c'),
	    message: 'no token' });
	assert.equal(r.status, 403);
});

test('a help.html in content_dir replaces the Help page; the others stay',
    async () => {
	const c = new L.Client(custom.url);
	const r = await c.get('/help');
	assert.equal(r.status, 200);
	assert.ok(r.text.includes('Operator help marker 7f3a'), 'operator text');
	assert.ok(r.text.includes('support@id.example.com'),
	    'template variables work in the override');
	assert.doesNotMatch(r.text, /\{\{|\}\}/);
	const builtIn = await new L.Client(srv.url).get('/help');
	assert.ok(!builtIn.text.includes('marker 7f3a'));
	const p = await c.get('/privacy');
	assert.equal(p.status, 200);
	assert.ok(!p.text.includes('marker 7f3a'));
	assert.equal(L.h1Of(p.text),
	    L.h1Of((await new L.Client(srv.url).get('/privacy')).text),
	    'privacy is the built-in page');
});
