#!/usr/bin/env bash
# Measures the outbox's SMTP delivery on loopback (not part of make check):
#   - messages per second the outbox delivers to the local test SMTP server
#     (tests/support/smtp_server.py, python3-aiosmtpd);
#   - how long queued mail waits after the SMTP server comes back.
# onepass starts with its SMTP server absent, N messages are queued through
# the real pages (sign-ups and password resets), then the server starts and
# the drain is timed from its first byte to the last message received.
#
#   scripts/bench-mail.sh [N] [ROUNDS]     (default 300 messages, 3 rounds)
#   ONEPASS_BIN=build/onepass by default.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300}
ROUNDS=${2:-3}
export ONEPASS_BIN=${ONEPASS_BIN:-$PWD/build/onepass}
[ -x "$ONEPASS_BIN" ] || { echo "bench-mail: build $ONEPASS_BIN first (make)"; exit 1; }
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	{ echo "bench-mail: needs python3-aiosmtpd (scripts/install-deps.sh)"; exit 1; }

N=$N ROUNDS=$ROUNDS node - <<'EOF'
'use strict';
const L = require('./tests/integration/lib.js');
const S = require('./tests/integration/smtp-lib.js');

const N = Number(process.env.N);
const ROUNDS = Number(process.env.ROUNDS);

async function round(i) {
	const port = await L.freePort();
	const srv = await S.startOnepass(port, { env: {
		ONEPASS_LOG_LEVEL: 'warn', ONEPASS_MAIL_TIMEOUT_SEC: '10' } });
	const smtp = new S.SmtpServer({ port });
	try {
		await S.queueMail(srv, N, `bench${i}`);
		await L.waitFor(async () => (await S.mailList(srv, '--pending'))
		    .length === N, 60000, `${N} pending`);
		// Let the backoff of the failed attempts grow a little, as in
		// a real outage, so the wake-up is not a lucky retry.
		await L.sleep(6000);
		await smtp.start();
		const t0 = smtp.startedAt;
		const msgs = await smtp.waitCount(N, 300000);
		const at = msgs.map((m) => m.env.at * 1000).sort((a, b) => a - b);
		const first = at[0] - t0;
		const last = at[at.length - 1] - t0;
		const rate = (N - 1) / ((at[at.length - 1] - at[0]) / 1000);
		const dups = msgs.length - S.countByMessageId(msgs).size;
		console.log(`round ${i + 1}: ${N} messages; first received ` +
		    `${first.toFixed(0)} ms after the server came back, last ` +
		    `${last.toFixed(0)} ms; ${rate.toFixed(0)} messages/s; ` +
		    `${dups} duplicates`);
		return { first, last, rate };
	} finally {
		await srv.stop();
		await smtp.close();
	}
}

(async () => {
	const r = [];
	for (let i = 0; i < ROUNDS; i++)
		r.push(await round(i));
	const med = (k) => r.map((x) => x[k]).sort((a, b) => a - b)[
	    Math.floor(r.length / 2)];
	console.log(`median: ${med('rate').toFixed(0)} messages/s; first ` +
	    `message ${med('first').toFixed(0)} ms and all ${N} in ` +
	    `${med('last').toFixed(0)} ms after the SMTP server came back`);
})().catch((e) => { console.error(e); process.exit(1); });
EOF
