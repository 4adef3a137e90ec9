// ivconform adapter kit for Node.js (standard library only): the protocol loop of docs/PROTOCOL.md over stdio
// or HTTP (node:http), so that you write only the callbacks
//
//     sign(secret: Buffer, userId, email) -> string | null          (may be async)
//     verify(config, platform, payload: Buffer, now) -> object       (may be async)
//
// `sign` gets the secret's raw bytes, `userId` as sent (a string, a Number, a BigInt when the integer is beyond
// 2^53 (kept exact: read from the request's raw text), or null when absent or null) and `email` (a string or
// null). It returns the 64-hex user_hash, "error:CLASS" for a refusal, or null when it produced no hash.
// `verify` returns the verify answer without type/seq. A thrown error becomes a protocol `error` answer.
//
//     import { serve } from "./ivconform_kit.mjs";
//     serve({ sign, name: "acme", limits: { secret: "text" } });
//
// `serve` reads `--http HOST:PORT` from the command line (default: stdio). console.log goes to stderr: stdout
// carries only the protocol.

import { createServer } from "node:http";
import { createInterface } from "node:readline";

const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * The raw text of the integer value of a top-level key of a JSON object text, or null (a string, null, nested,
 * absent). A bounded single pass that skips strings, so `"user_id"` inside another value never matches.
 */
function topLevelInteger(text, key) {
  let depth = 0;
  let i = 0;
  let lastString = null;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = ++i;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      lastString = text.slice(start, i);
      i++;
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === ":" && depth === 1 && lastString === key) {
      const m = /^\s*(-?[0-9]+)\s*[,}]/.exec(text.slice(i + 1, i + 64));
      return m ? m[1] : null;
    }
    if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r" && c !== ":") lastString = null;
    i++;
  }
  return null;
}

function describe(error, secret) {
  const text = `${error?.name ?? "Error"}: ${error?.message ?? String(error)}`.slice(0, 300);
  if (secret && secret.length >= 4 && (text.includes(secret.toString("hex")) || text.includes(secret.toString("latin1")))) {
    return `${error?.name ?? "Error"} (message withheld: it shows the secret)`;
  }
  return text;
}

async function answer(request, text, options) {
  const { sign, verify } = options;
  switch (request.type) {
    case "hello": {
      const capabilities = [];
      if (sign) capabilities.push("sign");
      if (verify) capabilities.push("verify");
      const hello = {
        type: "hello",
        name: options.name ?? "ivconform-kit",
        version: options.version ?? "0",
        language: options.language ?? "node",
        capabilities,
        protocol: "ivconform/1",
      };
      if (options.limits) hello.limits = options.limits;
      return hello;
    }
    case "bye":
      return { type: "bye" };
    case "sign": {
      if (!sign) break;
      const secret = Buffer.from(request.secret_hex, "hex");
      let userId = request.user_id ?? null;
      if (typeof userId === "number" && !Number.isSafeInteger(userId)) {
        const raw = topLevelInteger(text, "user_id");
        if (raw !== null) userId = BigInt(raw); // JSON.parse rounded it: take the digits as sent
      }
      let result;
      try {
        result = await sign(secret, userId, request.email ?? null);
      } catch (e) {
        return { type: "error", message: describe(e, secret) };
      }
      if (result === null || result === undefined) return { type: "sign", user_hash: null };
      if (typeof result !== "string") return { type: "error", message: `sign returned ${typeof result}` };
      if (result.startsWith("error:")) return { type: "sign", error: result.slice(6) };
      return { type: "sign", user_hash: result };
    }
    case "verify": {
      if (!verify) break;
      try {
        const payload = Buffer.from(request.payload_hex, "hex");
        const result = await verify(request.config, request.platform, payload, request.now ?? null);
        return { ...result, type: "verify" };
      } catch (e) {
        return { type: "error", message: describe(e, null) };
      }
    }
  }
  return { type: "error", message: `unsupported message type ${JSON.stringify(String(request.type)).slice(0, 40)}` };
}

/** One request (JSON text) -> its answer with the request's seq. Never throws. */
export async function handle(text, options) {
  let request;
  try {
    request = JSON.parse(text);
    if (typeof request !== "object" || request === null || Array.isArray(request)) throw new Error("not an object");
  } catch {
    return { type: "error", seq: 0, message: "the request is not a JSON object" };
  }
  let out;
  try {
    out = await answer(request, text, options);
  } catch (e) {
    out = { type: "error", message: `cannot handle the request (${e?.name ?? "error"})` }; // never echo it
  }
  out.seq = request.seq ?? 0;
  return out;
}

async function serveStdio(options) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const out = await handle(line, options);
    await new Promise((resolve) => process.stdout.write(JSON.stringify(out) + "\n", resolve));
    if (out.type === "bye") break;
  }
  lines.close();
  process.stdin.destroy();
}

function serveHttp(address, options) {
  const at = address.lastIndexOf(":");
  const host = address.slice(0, at).replace(/^\[|\]$/g, "") || "127.0.0.1";
  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", async () => {
      const out =
        req.method === "POST" && req.url === "/"
          ? await handle(Buffer.concat(chunks).toString("utf8"), options)
          : { type: "error", seq: 0, message: "POST / only" };
      const body = JSON.stringify(out);
      res.writeHead(req.method === "POST" ? 200 : 405, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(address.slice(at + 1)), host, () => {
    const { address: bound, port } = server.address();
    const shown = bound.includes(":") ? `[${bound}]` : bound;
    process.stdout.write(`listening on http://${shown}:${port}/\n`);
  });
}

/**
 * Run the protocol loop: over stdio, or over HTTP with `--http HOST:PORT` on the command line.
 * options: { sign, verify, name, version, language, limits } (limits: { secret: "text" },
 * { identifier: "user_id" | "email" }, and an optional note; declared in hello, see docs/PROTOCOL.md).
 */
export function serve(options) {
  if (!options?.sign && !options?.verify) throw new TypeError("serve needs sign, verify or both");
  for (const name of ["log", "info", "debug"]) console[name] = console.error; // stdout is the protocol's
  const args = process.argv.slice(2);
  if (args.length === 2 && args[0] === "--http") return serveHttp(args[1], options);
  if (args.length !== 0) {
    process.stderr.write("usage: node ADAPTER [--http HOST:PORT]\n");
    process.exit(2);
  }
  return serveStdio(options);
}
