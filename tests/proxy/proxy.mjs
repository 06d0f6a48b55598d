// Test-only: discord.js's REST proxy (@discordjs/proxy) in front of the local Discord, so that
// several trilha processes share one rate-limit budget as they would in production behind
// twilight-http-proxy or nirn-proxy. Usage: node proxy.mjs <upstream base URL> [port]
// Prints "listening on <port>" once it accepts connections. Listens on 127.0.0.1, or on HOST.
// Unlike discord.js's own proxy container (which answers 429 at once and lets the caller
// retry), it waits for the rate limit to pass: trilha's REST client has its own limiter off
// behind a proxy, so the proxy must be the one that waits.
import { createServer } from 'node:http';
import { proxyRequests } from '@discordjs/proxy';
import { REST } from '@discordjs/rest';

const [upstream, port = '0'] = process.argv.slice(2);
if (!upstream) {
	console.error('usage: node proxy.mjs <upstream base URL, e.g. http://127.0.0.1:8080> [port]');
	process.exit(2);
}

// The callers send their own `Authorization: Bot ...`; the proxy forwards it (auth: false).
const rest = new REST({ api: `${upstream.replace(/\/$/, '')}/api`, version: '10', retries: 3 });
let limited = 0;
rest.on('rateLimited', (info) => {
	limited += 1;
	if (process.env.PROXY_DEBUG) console.error('rate limited', JSON.stringify(info));
});

const server = createServer(proxyRequests(rest));
server.listen(Number(port), process.env.HOST ?? '127.0.0.1', () => {
	console.log(`listening on ${server.address().port}`);
});
const stop = () => {
	console.error(`proxy stopping; waited on ${limited} rate limits`);
	server.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
