// ImapFlow (a namespace-aware IMAP client) as the sharee: reads NAMESPACE, lists the other
// users' namespace and reads a shared mailbox. Prints one JSON object for test_shared.py.
// usage: node imapflow_shared.mjs HOST PORT SERVERNAME CAFILE USER PASSWORD MAILBOX
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.HEARTH_NPM_DIR || "/var/cache/hearth/npm", "node_modules", "x.js"));
const { ImapFlow } = require("imapflow");

const [host, port, servername, cafile, user, pass, mailbox] = process.argv.slice(2);
const client = new ImapFlow({
  host, port: Number(port), secure: true, servername,
  tls: { ca: fs.readFileSync(cafile), servername },
  auth: { user, pass }, logger: false, connectionTimeout: 20000, greetingTimeout: 20000, socketTimeout: 30000,
});
const out = {};
try {
  await client.connect();
  out.namespaces = client.namespaces;
  out.list = (await client.list()).map((m) => ({ path: m.path, flags: [...m.flags], delimiter: m.delimiter }));
  const lock = await client.getMailboxLock(mailbox);
  try {
    out.exists = client.mailbox.exists;
    out.subjects = [];
    for await (const msg of client.fetch("1:*", { envelope: true })) out.subjects.push(msg.envelope.subject);
  } finally {
    lock.release();
  }
  await client.logout();
} catch (e) {
  out.error = String(e && (e.responseText || e.message || e));
}
console.log(JSON.stringify(out));
