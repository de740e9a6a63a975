// Faults of mail delivery: every message ends delivered or visibly failed,
// never lost, never sent twice by a restart or by a second process.
//   - the SMTP server absent while onepass starts and queues mail;
//   - the server answering 451, then 250;
//   - the server answering 550 (failed, listed, retried by hand);
//   - onepass killed with SIGKILL in the middle of a batch;
//   - two onepass processes on one database.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const L = require('./lib.js');
const S = require('./smtp-lib.js');

// Every queued recipient got exactly one message per queued message, each
// Message-ID once. rcpts: one entry per message queued.
function exactlyOnce(msgs, rcpts) {
	for (const [id, n] of S.countByMessageId(msgs))
		assert.equal(n, 1, `${id} received ${n} times`);
	const got = msgs.map((m) => m.env.rcpt_tos[0].toLowerCase()).sort();
	assert.deepEqual(got, rcpts.map((r) => r.toLowerCase()).sort(),
	    'one message per queued message');
}

test('the SMTP server absent while onepass starts and queues mail: ' +
    'each message arrives once, about a second after the server starts',
async (t) => {
	const port = await L.freePort();
	const srv = await S.startOnepass(port);
	const smtp = new S.SmtpServer({ port });
	try {
		const rcpts = await S.queueMail(srv, 6, 'absent');
		const pending = await L.waitFor(async () => {
			const p = await S.mailList(srv, '--pending');
			return p.length === 6 && p.every((r) =>
			    r.line.includes('[')) ? p : null;
		}, 10000 * L.SLOW, 'six pending messages, each with its error');
		assert.match(pending[0].line, /127\.0\.0\.1/,
		    'the listing says which server failed');
		assert.match(srv.stderr, /does not answer/,
		    'the log says the server does not answer');
		await L.waitFor(() => /outbox: 6 pending, 0 failed/
		    .test(srv.stderr), 5000 * L.SLOW, 'the count logged');

		await smtp.start();
		const msgs = await smtp.waitCount(6);
		const last = Math.max(...msgs.map((m) => m.env.at * 1000));
		const waited = last - smtp.startedAt;
		t.diagnostic(`all 6 delivered ${Math.round(waited)} ms after ` +
		    'the SMTP server came back');
		assert.ok(waited < 4000 * L.SLOW, `waited ${waited} ms`);
		await L.sleep(1500);
		exactlyOnce(smtp.messages(srv.url), rcpts);
		assert.deepEqual(await S.mailList(srv, '--pending'), []);
		assert.match(srv.stderr, /answers again/);
		await L.waitFor(() => /outbox: 0 pending, 0 failed/
		    .test(srv.stderr), 5000 * L.SLOW, 'the count logged');
	} finally {
		await srv.stop();
		await smtp.close();
	}
});

test('the server answers 451, then 250: retried and delivered once',
    async () => {
	const smtp = await S.startSmtp({ mode: { data: 451 } });
	const srv = await S.startOnepass(smtp.port);
	try {
		const rcpts = await S.queueMail(srv, 3, 'grey');
		await L.waitFor(async () => {
			const p = await S.mailList(srv, '--pending');
			return p.length === 3 && p.every((r) =>
			    / 451 /.test(r.line)) ? p : null;
		}, 10000 * L.SLOW, 'three pending after a 451');
		assert.equal(smtp.messages().length, 0, 'nothing accepted');
		assert.match(srv.stderr, /not delivered, retry in \d+s: .*451/);
		smtp.setMode({});
		await smtp.waitCount(3);
		await L.sleep(1000);
		exactlyOnce(smtp.messages(srv.url), rcpts);
		const deferred = smtp.events().filter((e) => e.event ===
		    'data' && e.code === 451);
		assert.ok(deferred.length >= 3, 'each was deferred first');
		assert.deepEqual(await S.mailList(srv, '--pending'), []);
		assert.deepEqual(await S.mailList(srv, '--failed'), []);
	} finally {
		await srv.stop();
		await smtp.close();
	}
});

test('the server answers 550: failed at once, listed by `mail list ' +
    '--failed`, sent by `mail retry ID`', async () => {
	const smtp = await S.startSmtp({ mode: { rcpt: 550 } });
	const srv = await S.startOnepass(smtp.port);
	try {
		const [rcpt] = await S.queueMail(srv, 1, 'refused');
		const failed = await L.waitFor(async () => {
			const f = await S.mailList(srv, '--failed');
			return f.length === 1 ? f : null;
		}, 10000 * L.SLOW, 'one failed message');
		assert.equal(failed[0].rcpt, rcpt);
		assert.match(failed[0].line, /550 5\.0\.0 refused/,
		    'with the server\'s answer');
		const rcptEvents = smtp.events().filter((e) =>
		    e.event === 'rcpt');
		assert.equal(rcptEvents.length, 1, 'tried once, not retried');
		assert.match(srv.stderr, /failed for good: .*550/);
		await L.waitFor(() => /outbox: 0 pending, 1 failed/
		    .test(srv.stderr), 5000 * L.SLOW, 'the count logged');

		smtp.setMode({});
		const r = await srv.cli(['mail', 'retry', failed[0].id]);
		assert.match(r.stdout, /pending/);
		const [m] = await smtp.mailTo(rcpt, 1, srv.url);
		assert.ok(m.links.some((l) => l.includes('/verify?token=')),
		    'the same message, links and all');
		assert.deepEqual(await S.mailList(srv, '--failed'), []);
		const again = await srv.cli(['mail', 'retry', failed[0].id],
		    { allowFail: true });
		assert.equal(again.code, 1, 'a delivered message is not resent');
	} finally {
		await srv.stop();
		await smtp.close();
	}
});

test('onepass killed with SIGKILL in the middle of a batch and ' +
    'restarted: nothing is lost; a resend carries the same Message-ID',
async (t) => {
	const port = await L.freePort();
	const dataDir = S.tmpDir('kill');
	const smtp = new S.SmtpServer({ port, mode: { delay_ms: 400 } });
	let srv = await S.startOnepass(port, { dataDir });
	try {
		const rcpts = await S.queueMail(srv, 8, 'kill');
		await L.waitFor(async () => (await S.mailList(srv,
		    '--pending')).length === 8, 10000 * L.SLOW, '8 pending');
		await smtp.start();
		await smtp.waitCount(2);
		await S.killHard(srv);
		const atKill = smtp.messages().length;
		assert.ok(atKill < 8, `killed in the middle (${atKill} sent)`);
		smtp.setMode({});
		const t0 = Date.now();
		srv = await S.startOnepass(port, { dataDir });
		await L.waitFor(() => S.countByMessageId(smtp.messages()).size
		    === 8, 30000 * L.SLOW, 'all 8 Message-IDs');
		t.diagnostic(`the rest delivered ${Date.now() - t0} ms after ` +
		    `the restart (${atKill} before the kill)`);
		await L.sleep(1000);
		const msgs = smtp.messages(srv.url);
		const copies = S.countByMessageId(msgs);
		const dup = [...copies.values()].filter((n) => n > 1);
		assert.ok(dup.length <= 1 && dup.every((n) => n === 2),
		    'at most the message in flight at the kill came twice');
		const got = [...new Set(msgs.map((m) => m.messageId))].map((id) =>
		    msgs.find((m) => m.messageId === id).env.rcpt_tos[0]);
		assert.deepEqual(got.sort(), rcpts.slice().sort(),
		    'every queued message arrived');
		assert.deepEqual(await S.mailList(srv, '--pending'), []);
		assert.equal((await S.mailList(srv, '--sent')).length, 8);
	} finally {
		await srv.stop();
		await smtp.close();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
});

test('two onepass processes on one database: no message is sent twice',
    async () => {
	const port = await L.freePort();
	const dataDir = S.tmpDir('two');
	const smtp = new S.SmtpServer({ port });
	const a = await S.startOnepass(port, { dataDir });
	const b = await S.startOnepass(port, { dataDir });
	try {
		// Queued while the server is down, so both workers race for
		// the same messages when it comes back.
		const rcpts = [...await S.queueMail(a, 5, 'two-a'),
		    ...await S.queueMail(b, 5, 'two-b')];
		await L.waitFor(async () => (await S.mailList(a,
		    '--pending')).length === 10, 10000 * L.SLOW, '10 pending');
		await smtp.start();
		await smtp.waitCount(10);
		// And in normal operation, through both.
		for (let i = 0; i < 3; i++) {
			rcpts.push(...await S.queueMail(a, 1, 'two-a'));
			rcpts.push(...await S.queueMail(b, 1, 'two-b'));
		}
		await smtp.waitCount(16);
		await L.sleep(2000);
		exactlyOnce(smtp.messages(a.url), rcpts);
		assert.match(a.stderr + b.stderr, /answers again/);
	} finally {
		await a.stop();
		await b.stop();
		await smtp.close();
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
});
