// Mail that really leaves: with [mail] smtp_url set, every flow of the ID
// service and the business site's association mail go through a real SMTP
// server on loopback (aiosmtpd), and the messages it receives are well
// formed and their links work.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const B = require('./biz-lib.js');
const S = require('./smtp-lib.js');

// A sender with non-ASCII in its display name: must arrive encoded.
const FROM_NAME = 'Ønepass ÏD — Støtte';
const FROM = `${FROM_NAME} <no-reply@id.example.com>`;
const SUPPORT = 'support@id.example.com';
const COMPANY = 'Exämple Büsiness Sølutions';
const BIZ_SUPPORT = 'support@business.example.com';
const ID = { name: FROM_NAME, addr: 'no-reply@id.example.com' };

let smtp, srv;

test.before(async () => {
	smtp = await S.startSmtp();
	srv = await B.startBiz({ env: S.smtpEnv(smtp.port, {
		ONEPASS_MAIL_FROM: FROM, ONEPASS_BUSINESS_COMPANY: COMPANY }) });
});

test.after(async () => {
	if (srv)
		await srv.stop();
	if (smtp)
		await smtp.close();
});

// The checks every message must pass, whatever the flow. from: the
// sender's display name and address.
function wellFormed(m, rcpt, from = ID) {
	assert.equal(m.env.mail_from, from.addr, 'envelope sender');
	assert.deepEqual(m.env.rcpt_tos.map((x) => x.toLowerCase()),
	    [rcpt.toLowerCase()], 'one envelope recipient');
	assert.equal(m.env.helo, 'id.onepass.test', 'EHLO [mail] helo_name');
	const date = Date.parse((m.headers.get('date') || [''])[0]);
	assert.ok(Math.abs(Date.now() - date) < 10 * 60 * 1000,
	    `Date is now: ${m.headers.get('date')}`);
	assert.match((m.headers.get('date') || [''])[0],
	    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
	    'RFC 5322 date');
	assert.equal(m.from, `${from.name} <${from.addr}>`,
	    'From decodes to the configured sender');
	assert.match(m.head, /^From: =\?UTF-8\?B\?/m,
	    'the non-ASCII name is an RFC 2047 encoded word');
	assert.equal(m.messageId.replace(/^<[0-9a-f]{32}@/, '<@'),
	    `<@${from.addr.split('@')[1]}>`,
	    'a Message-ID of ours, in the sender\'s domain');
	assert.equal((m.headers.get('message-id') || []).length, 1);
	assert.equal((m.headers.get('mime-version') || [''])[0], '1.0');
	for (const line of m.raw.split('\r\n'))
		assert.ok(Buffer.byteLength(line) <= 998,
		    `line within RFC 5322's 998 octets: ${line.length}`);
	for (const line of m.head.split('\r\n'))
		assert.ok(line.length <= 78, `header line <= 78: ${line}`);
	assert.doesNotMatch(m.raw.replace(/\r\n/g, ''), /[\r\n]/,
	    'CRLF line ends only');
	assert.ok(m.text.length > 0, 'a text part');
}

// The links of m's text part that contain part, each also in the HTML
// part: both alternatives come from the same template.
function linksIn(m, part) {
	const links = m.links.filter((l) => l.includes(part));
	assert.ok(links.length > 0, `a link with ${part} in:\n${m.text}`);
	const html = L.decodeEntities(m.html);
	for (const l of links)
		assert.ok(html.includes(`href="${l}"`) || html.includes(l),
		    `the HTML part has the same link ${l}`);
	return links;
}

async function followPostForm(c, link, fieldName = 'token') {
	const g = await c.get(L.localTarget(link, srv.url));
	assert.equal(g.status, 200, `GET ${link}`);
	const token = new URL(link).searchParams.get('token');
	const f = L.formsOf(g.text).find((x) => x.method === 'post' &&
	    x.fields[fieldName] === token);
	assert.ok(f, 'the page confirms with a POST form');
	return { page: g, form: f, token };
}

test('sign-up: the verification mail arrives by SMTP, well formed, and ' +
    'its link verifies the ID', async () => {
	const { email } = await S.signUpNew(srv, 'flow');
	const [m] = await smtp.mailTo(email, 1, srv.url);
	wellFormed(m, email);
	assert.equal(m.env.tls, false, 'plain loopback (require_tls false)');
	assert.match(m.headers.get('content-type')[0],
	    /^multipart\/alternative;/, 'text and HTML alternatives');
	assert.ok(m.html.length > 0, 'an HTML part');
	const [link] = linksIn(m, '/verify?token=');
	assert.ok(link, `a verify link in:\n${m.text}`);
	assert.match(new URL(link).searchParams.get('token'),
	    /^[A-Za-z0-9_-]{43}$/, 'the whole token, unbroken');

	const c = new L.Client(srv.url);
	const { form } = await followPostForm(c, link);
	const p = await c.post(form.action || '/verify', form.fields);
	assert.ok(p.status === 200 || p.status === 303, `${p.status}`);
	assert.equal((await srv.user(email)).verified, true, 'verified');

	const sent = await S.mailList(srv, '--sent');
	assert.ok(sent.some((r) => r.rcpt === email),
	    '`mail list --sent` shows it');
});

test('forgot password: the reset mail and then the "password changed" ' +
    'notice arrive by SMTP', async () => {
	const { email, password } = await S.signUpNew(srv, 'reset');
	await S.forgot(srv, email);
	const msgs = await L.waitFor(() => smtp.mailNow(email, srv.url)
	    .find((x) => x.links.some((l) => l.includes('/password/reset?'))),
	    10000 * L.SLOW, 'the reset mail');
	wellFormed(msgs, email);
	const [link] = linksIn(msgs, '/password/reset?token=');
	const c = new L.Client(srv.url);
	const g = await c.get(L.localTarget(link, srv.url));
	assert.equal(g.status, 200);
	const np = L.genPassword();
	const p = await c.post('/password/reset', { csrf: L.csrfOf(g.text),
	    token: new URL(link).searchParams.get('token'), password: np,
	    password2: np });
	assert.ok(p.status === 303 || p.status === 200, `${p.status}`);
	const notice = await L.waitFor(() => smtp.mailNow(email, srv.url)
	    .find((x) => x !== msgs && !x.links.some((l) =>
		l.includes('token=')) && !x.links.some((l) =>
		l.includes('/verify'))), 10000 * L.SLOW, 'the notice');
	wellFormed(notice, email);
	const s = new L.Client(srv.url);
	assert.equal((await L.signIn(s, email, np, 'never')).status, 303,
	    'the new password works');
	assert.notEqual((await L.signIn(new L.Client(srv.url), email,
	    password, 'never')).status, 303, 'the old one does not');
});

test('contact form: mailed to the ID support team, Reply-To the asker',
    async () => {
	const c = new L.Client(srv.url);
	const asker = L.uniqueEmail('asker');
	const text = 'Bonjour — ünïcödé question, ref ' + L.genPassword();
	const r = await c.submit('/help', { email: asker, message: text },
	    { action: '/help/contact' });
	assert.ok(r.status === 303 || r.status === 200, `${r.status}`);
	const m = await L.waitFor(() => smtp.mailNow(SUPPORT, srv.url)
	    .find((x) => x.text.includes(text)), 10000 * L.SLOW,
	    'the support request');
	wellFormed(m, SUPPORT);
	assert.equal((m.headers.get('reply-to') || [''])[0], asker,
	    'Reply-To is the asker');
});

test('sign-up with an address that has an ID: the "you already have an ' +
    'ID" mail arrives', async () => {
	const { email } = await S.signUpNew(srv, 'twice');
	await smtp.mailTo(email, 1, srv.url);
	await L.signUp(new L.Client(srv.url), email, L.genPassword());
	const msgs = await smtp.mailTo(email, 2, srv.url);
	wellFormed(msgs[1], email);
	assert.ok(msgs[1].links.some((l) => l.includes('/signin') ||
	    l.includes('/password/forgot')), 'links to sign in or reset');
});

test('change of e-mail: the confirmation reaches the new address and ' +
    'its link works', async () => {
	const a = await S.signUpNew(srv, 'chg');
	const c = new L.Client(srv.url);
	assert.equal((await L.signIn(c, a.email, a.password, 'never')).status,
	    303);
	const g = await c.get('/account');
	const f = L.formsOf(g.text).find((x) => x.action === '/account/email' &&
	    x.method === 'post');
	assert.ok(f, 'the account page has the change of e-mail form');
	const newEmail = L.uniqueEmail('new');
	const r = await c.post('/account/email', { ...f.fields,
	    email: newEmail, current: a.password });
	assert.equal(r.status, 303);
	const [m] = await smtp.mailTo(newEmail, 1, srv.url);
	wellFormed(m, newEmail);
	const [link] = linksIn(m, '/account/email/confirm?token=');
	const { form } = await followPostForm(c, link);
	const p = await c.post(form.action || '/account/email/confirm',
	    form.fields);
	assert.ok(p.status === 200 || p.status === 303, `${p.status}`);
	assert.ok(await srv.user(newEmail), 'the ID has the new address');
});

test('association: the link mailed from the company\'s support address ' +
    'associates the profile', async () => {
	const p = await B.newPerson(srv, 'assoc');
	const prof = await B.addProfile(srv, { email: L.uniqueEmail('prof'),
	    name: 'Zoë Ångström' });
	const b = await B.openPortal(p, '/customersource');
	assert.equal(B.pathOf(b.url), '/customersource/associate');
	const r = await B.requestAssoc(p, '/customersource', prof.email);
	assert.equal(r.status, 200);
	const [m] = await smtp.mailTo(prof.email, 1, srv.biz);
	wellFormed(m, prof.email, { name: COMPANY, addr: BIZ_SUPPORT });
	assert.match(m.subject, B.ASSOC_SUBJECT);
	assert.equal((m.headers.get('reply-to') || [''])[0], BIZ_SUPPORT,
	    'Reply-To is the company\'s support address');
	const [link] = linksIn(m, '/associate?token=');
	assert.ok(link.startsWith(`${srv.biz}/associate?token=`));
	const { form } = await B.openLink(p, link);
	assert.ok(form, 'the link opens the confirm form');
	const done = await B.confirm(p, form);
	assert.equal(done.page.status, 200);
	assert.match(L.textOf(done.page.text), B.SUCCESS_RE('onepass ID',
	    COMPANY, prof.name));
});

test('every message arrived once, none is pending or failed, and the ' +
    'log names the transport', async () => {
	const all = smtp.messages(srv.url);
	assert.ok(all.length >= 9, `${all.length} messages`);
	for (const [id, n] of S.countByMessageId(all))
		assert.equal(n, 1, `${id} received once`);
	assert.deepEqual(await S.mailList(srv, '--pending'), []);
	assert.deepEqual(await S.mailList(srv, '--failed'), []);
	assert.match(srv.stderr, new RegExp('outbox: \\d+ pending, \\d+ ' +
	    `failed, delivery by smtp://127\\.0\\.0\\.1:${smtp.port}/` +
	    'id\\.onepass\\.test'), 'the start-up log line');
});
