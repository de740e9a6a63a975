// SMTP with TLS and AUTH: STARTTLS required ([mail] require_tls), smtps://,
// the server's certificate checked against [mail] ca_file, AUTH with the
// user and password from the keys or from the URL. A password is never
// logged or listed; a refusal to send in clear leaves the message pending,
// visibly.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib.js');
const S = require('./smtp-lib.js');

const PASSWORD = 'pw-' + L.genPassword();
let certDir, cert;

test.before(() => {
	certDir = S.tmpDir('cert');
	cert = S.makeCert(certDir);
});

test.after(() => {
	fs.rmSync(certDir, { recursive: true, force: true });
});

function noSecret(srv) {
	assert.ok(!srv.stderr.includes(PASSWORD), 'no password in the log');
}

test('STARTTLS required, AUTH from [mail] smtp_user/smtp_password, the ' +
    'certificate checked against [mail] ca_file', async () => {
	const smtp = await S.startSmtp({ tls: { ...cert, require: true },
	    auth: `mailer:${PASSWORD}` });
	const srv = await S.startOnepass(smtp.port, { env: {
		ONEPASS_MAIL_REQUIRE_TLS: 'true',
		ONEPASS_MAIL_CA_FILE: cert.cert,
		ONEPASS_MAIL_SMTP_USER: 'mailer',
		ONEPASS_MAIL_SMTP_PASSWORD: PASSWORD,
	} });
	try {
		const { email } = await S.signUpNew(srv, 'tls');
		const [m] = await smtp.mailTo(email, 1, srv.url);
		assert.equal(m.env.tls, true, 'over TLS (STARTTLS)');
		assert.equal(m.env.auth_user, 'mailer', 'authenticated');
		assert.ok(m.links.some((l) => l.includes('/verify?token=')));
		assert.match(srv.stderr, /STARTTLS required, AUTH as mailer/);
		noSecret(srv);
	} finally {
		await srv.stop();
		await smtp.close();
	}
});

test('smtps:// with the credentials in the URL', async () => {
	const smtp = await S.startSmtp({ tls: { ...cert, implicit: true },
	    auth: `url-user:${PASSWORD}` });
	const srv = await S.startOnepass(smtp.port, { env: {
		ONEPASS_MAIL_SMTP_URL: `smtps://url-user:${encodeURIComponent(
		    PASSWORD)}@127.0.0.1:${smtp.port}`,
		ONEPASS_MAIL_CA_FILE: cert.cert,
	} });
	try {
		const { email } = await S.signUpNew(srv, 'smtps');
		const [m] = await smtp.mailTo(email, 1, srv.url);
		assert.equal(m.env.tls, true, 'TLS from the first byte');
		assert.equal(m.env.auth_user, 'url-user');
		assert.match(srv.stderr, new RegExp(
		    `delivery by smtps://127\\.0\\.0\\.1:${smtp.port}/`),
		    'the log shows the URL without its credentials');
		noSecret(srv);
		assert.doesNotMatch(srv.stderr, /url-user:/);
	} finally {
		await srv.stop();
		await smtp.close();
	}
});

test('refusals that are ours to fix keep the mail pending, with the ' +
    'reason listed: no STARTTLS, an unknown certificate, a wrong ' +
    'password', async () => {
	const cases = [
		{ what: 'no STARTTLS', smtp: {}, env: {
			ONEPASS_MAIL_REQUIRE_TLS: 'true' },
		  error: /TLS|SSL/i },
		{ what: 'unknown certificate', smtp: { tls: cert }, env: {
			ONEPASS_MAIL_REQUIRE_TLS: 'true' },
		  error: /certificate|SSL/i },
		{ what: 'wrong password', smtp: { tls: cert,
			auth: `mailer:${PASSWORD}` }, env: {
			ONEPASS_MAIL_CA_FILE: cert.cert,
			ONEPASS_MAIL_SMTP_USER: 'mailer',
			ONEPASS_MAIL_SMTP_PASSWORD: PASSWORD + 'x' },
		  error: /535|Login denied/i },
	];
	for (const c of cases) {
		const smtp = await S.startSmtp(c.smtp);
		const srv = await S.startOnepass(smtp.port, { env: c.env });
		try {
			await S.signUpNew(srv, 'refuse');
			const [p] = await L.waitFor(async () => {
				const l = await S.mailList(srv, '--pending');
				return l.length === 1 && l[0].line.includes('[') ?
				    l : null;
			}, 10000 * L.SLOW, `${c.what}: pending with its error`);
			assert.match(p.line, c.error, `${c.what}: ${p.line}`);
			assert.equal(smtp.messages().length, 0,
			    `${c.what}: nothing delivered`);
			assert.equal(smtp.events().filter((e) =>
			    e.event === 'rcpt').length, 0,
			    `${c.what}: no recipient given in clear`);
			assert.deepEqual(await S.mailList(srv, '--failed'), [],
			    `${c.what}: not failed: fixed, it goes`);
			assert.ok(!p.line.includes(PASSWORD));
			noSecret(srv);
		} finally {
			await srv.stop();
			await smtp.close();
		}
	}
});

test('a bad [mail] smtp_url stops onepass serve at once with the reason, ' +
    'never echoing a password', async () => {
	const r = await L.runCli(['serve', '--data-dir',
	    path.join(certDir, 'bad')], { allowFail: true, env: {
		ONEPASS_MAIL_SMTP_URL: `http://user:${PASSWORD}@127.0.0.1:1`,
		ONEPASS_ID_LISTEN: '127.0.0.1:0',
		ONEPASS_BUSINESS_LISTEN: '',
	} });
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /smtp_url must start with smtp:\/\/ or smtps:\/\//);
	assert.ok(!r.stderr.includes(PASSWORD));
});
