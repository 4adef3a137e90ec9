#!/usr/bin/env node
// An ivconform adapter in one file: Intercom-style identity verification with Node.js's standard library.
//
//     user_hash = lowercase hex(HMAC-SHA256(secret, identifier))
//
// Written from ivconform's SPEC.md (rule ids in the comments) and docs/PROTOCOL.md with node:crypto and node:http
// only; it claims the `hmac`, `sign` and `verify` capabilities and passes every golden vector.
//
//     node ivconform_adapter.mjs --http 127.0.0.1:0   # HTTP: prints "listening on http://HOST:PORT/" first
//     node ivconform_adapter.mjs                      # stdio: one JSON request per line on stdin
//
// JSON.parse is not strict enough for a boot payload: the last of two duplicate keys wins silently, lone
// surrogate escapes (`"\ud800"`) become strings, `123.0` and `123` are the same number, and integers past
// 2^53 are rounded. So the payload goes through `parseJsonStrict` below, a small recursive-descent parser
// that keeps numbers as written and refuses everything SPEC.md P1, P2 and P6 refuse. Protocol messages
// (which come from the harness, not from a browser) are still read with JSON.parse.
//
// Using it as a template: keep the protocol part at the end (`handle`, `serveHttp`, `serveStdio`) and
// replace `signUserHash`, `parsePayload` and `verify` with calls into your own code.

import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

const MAX_PAYLOAD_BYTES = 64 * 1024; // P6
const MAX_DEPTH = 32; // P6: the outermost object is depth 1
const MAX_IDENTIFIER_BYTES = 1024; // P6, in UTF-8 bytes
const MAX_REQUEST_BYTES = 16 * 1024 * 1024; // protocol requests can be a few MiB (the 1 MiB payload, in hex)
const PLATFORMS = new Set(["web", "ios", "android"]);
const HEX64 = /^[0-9a-fA-F]{64}$/; // V6: either case

// ------------------------------------------------------------------------------------------------ signing

/** HMAC-SHA256 (RFC 2104) of the raw message under the raw key, any lengths (S1). */
function hmacSha256(key, message) {
  return createHmac("sha256", key).update(message).digest();
}

/** Strict hex decoding (Buffer.from(s, "hex") silently stops at the first bad character). */
function fromHex(hex) {
  if (typeof hex !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new TypeError("bad hex");
  return Buffer.from(hex, "hex");
}

/** P3: a non-empty string, or a safe integer (0 included: no truthiness test), is present. */
function isPresent(value) {
  return (typeof value === "string" && value !== "") || Number.isSafeInteger(value);
}

/** S2: user_id when present, else email; null when neither is. Returns [source, text]. */
function selectIdentifier(userId, email) {
  if (isPresent(userId)) return ["user_id", String(userId)]; // S4: String(5678) === "5678", String(-0) === "0"
  if (isPresent(email)) return ["email", email];
  return null;
}

/** The MAC of an identifier: key = the secret's raw bytes, message = the identifier's exact UTF-8 (S1, S3, S5). */
function identifierMac(secret, text) {
  return hmacSha256(secret, Buffer.from(text, "utf8"));
}

/** Sign like a customer's server (S1-S5). Returns the protocol's `sign` answer (without seq). */
function signUserHash(secret, userId, email) {
  if (secret.length === 0) return { type: "sign", error: "empty_secret" }; // S5
  const selected = selectIdentifier(userId, email);
  if (selected === null) return { type: "sign", error: "no_identifier" }; // S2: never a hash of ""
  const [source, text] = selected;
  return {
    type: "sign",
    user_hash: identifierMac(secret, text).toString("hex"), // lowercase (S1)
    identifier_source: source,
    identifier_hex: Buffer.from(text, "utf8").toString("hex"),
  };
}

// ------------------------------------------------------------------------------------------------ payload

class Malformed extends Error {}

/** A JSON number kept as written: P3 tells `123` from `123.0`; custom attributes may hold any number. */
class JsonNumber {
  constructor(lexeme) {
    this.lexeme = lexeme;
    this.isInteger = !/[.eE]/.test(lexeme);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }); // fatal: overlong, surrogates, ...
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * Parse RFC 8259 JSON strictly (P1, P2, P6): objects become Maps (no prototype keys, duplicates refused at
 * every depth), numbers JsonNumbers, nesting stops at 32, and recursion never goes deeper than that.
 * Throws Malformed.
 */
function parseJsonStrict(bytes) {
  if (bytes.length > MAX_PAYLOAD_BYTES) throw new Malformed("payload larger than 64 KiB");
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new Malformed("byte order mark");
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new Malformed("not UTF-8");
  }
  let i = 0;

  const fail = (what) => {
    throw new Malformed(`${what} at offset ${i}`);
  };
  const skipWhitespace = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const expect = (ch) => {
    skipWhitespace();
    if (text[i] !== ch) fail(`expected '${ch}'`);
    i++;
  };

  function parseValue(depth) {
    skipWhitespace();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
      return ch === "{" ? parseObject(depth) : parseArray(depth);
    }
    if (ch === '"') return parseString();
    if (ch === "-" || (ch >= "0" && ch <= "9")) return parseNumber();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail("unexpected character"); // NaN, Infinity, comments, single quotes, end of input, ...
  }

  function parseObject(depth) {
    const object = new Map();
    i++; // {
    skipWhitespace();
    if (text[i] === "}") {
      i++;
      return object;
    }
    for (;;) {
      skipWhitespace();
      if (text[i] !== '"') fail("expected a string key");
      const key = parseString(); // decoded: "a" and "\u0061" are the same key
      if (object.has(key)) fail("duplicate key"); // P2
      expect(":");
      object.set(key, parseValue(depth + 1));
      skipWhitespace();
      if (text[i] === "}") {
        i++;
        return object;
      }
      expect(","); // a trailing comma then fails on the missing key
    }
  }

  function parseArray(depth) {
    const array = [];
    i++; // [
    skipWhitespace();
    if (text[i] === "]") {
      i++;
      return array;
    }
    for (;;) {
      array.push(parseValue(depth + 1));
      skipWhitespace();
      if (text[i] === "]") {
        i++;
        return array;
      }
      expect(",");
    }
  }

  function parseString() {
    i++; // opening quote
    let out = "";
    let start = i;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("raw control character in a string");
      if (c !== 0x5c) {
        i++; // raw characters, surrogate pairs included (the decoder has checked them)
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e === "u") {
        const unit = hex4(i + 2);
        i += 6;
        if (unit >= 0xdc00 && unit <= 0xdfff) fail("lone low surrogate"); // P1
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text[i] === "\\" && text[i + 1] === "u" ? hex4(i + 2) : -1;
          if (low < 0xdc00 || low > 0xdfff) fail("lone high surrogate"); // P1
          out += String.fromCharCode(unit, low);
          i += 6;
        } else {
          out += String.fromCharCode(unit);
        }
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        i += 2;
      } else {
        fail("invalid escape");
      }
      start = i;
    }
    return fail("unterminated string");
  }

  function hex4(at) {
    const digits = text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) fail("invalid \\u escape");
    return parseInt(digits, 16);
  }

  function parseNumber() {
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (match === null) fail("invalid number"); // "-", "-x"
    i += match[0].length; // "01", "1." and "+1" fail on what follows, as the grammar says
    return new JsonNumber(match[0]);
  }

  const value = parseValue(1);
  skipWhitespace();
  if (i !== text.length) fail("data after the JSON value");
  return value;
}

/** A string identifier within the 1,024-byte limit (P6). */
function identifierText(value) {
  if (Buffer.byteLength(value, "utf8") > MAX_IDENTIFIER_BYTES) throw new Malformed("identifier too long");
  return value;
}

/**
 * The boot payload's raw bytes -> { appId, userId, email, userHash } (null: missing or null; userHash is
 * undefined when not sent). Throws Malformed for anything P1-P6 refuse.
 */
function parsePayload(raw) {
  const doc = parseJsonStrict(raw);
  if (!(doc instanceof Map)) throw new Malformed("not an object"); // P1
  const appId = doc.get("app_id");
  if (typeof appId !== "string" || appId === "") throw new Malformed("app_id must be a non-empty string"); // P5

  let userId = doc.get("user_id") ?? null;
  if (typeof userId === "string") {
    identifierText(userId);
  } else if (userId instanceof JsonNumber) {
    const n = Number(userId.lexeme); // integer syntax only; past 2^53 Number() rounds, and isSafeInteger fails
    if (!userId.isInteger || !Number.isSafeInteger(n)) throw new Malformed("user_id is not a safe integer"); // P3
    userId = n;
  } else if (userId !== null) {
    throw new Malformed("user_id must be a string or an integer"); // P3: booleans, arrays, objects
  }

  const email = doc.get("email") ?? null;
  if (typeof email === "string") identifierText(email);
  else if (email !== null) throw new Malformed("email must be a string"); // P3

  let userHash; // P4: only this key counts; userHash & co. are custom attributes
  if (doc.has("user_hash")) {
    userHash = doc.get("user_hash");
    if (typeof userHash !== "string") throw new Malformed("user_hash must be a string"); // null too
  }
  return { appId, userId, email, userHash };
}

// ------------------------------------------------------------------------------------------------ verifying

/** V6 + V9: 64 hex characters in either case, compared as 32 bytes in constant time; any other form fails. */
function hashMatches(secret, text, userHash) {
  if (secret === null || !HEX64.test(userHash)) return false;
  return timingSafeEqual(identifierMac(secret, text), Buffer.from(userHash, "hex"));
}

const reject = (reason) => ({ type: "verify", result: "reject", reason });
const acceptUser = (source, text, verified) => ({
  type: "verify",
  result: "accept",
  as: "user",
  verified,
  identifier_source: source,
  identifier_hex: Buffer.from(text, "utf8").toString("hex"),
});

/** Decide one boot request (V1-V8). Returns the protocol's `verify` answer (without seq). */
function verify(config, platform, raw) {
  if (!PLATFORMS.has(platform)) throw new TypeError("unknown platform");
  let payload;
  try {
    payload = parsePayload(raw);
  } catch (e) {
    if (e instanceof Malformed) return reject("malformed_payload");
    throw e;
  }
  // Object.hasOwn: an app_id such as "__proto__" or "constructor" must not find Object.prototype.
  if (!Object.hasOwn(config.apps, payload.appId)) return reject("unknown_app"); // V1
  const settings = config.apps[payload.appId][platform] ?? {}; // V2, V8: this platform's own settings
  const secret = settings.secret_hex === undefined ? null : fromHex(settings.secret_hex);
  const enforced = settings.enforced === true;
  const selected = selectIdentifier(payload.userId, payload.email);
  const { userHash } = payload; // undefined: not sent; "" counts as sent

  if (selected === null) {
    if (userHash !== undefined && enforced) return reject("missing_identifier"); // V4
    return { type: "verify", result: "accept", as: "visitor" }; // V3 (and V4 not enforced)
  }
  const [source, text] = selected;
  if (userHash === undefined) return enforced ? reject("missing_user_hash") : acceptUser(source, text, false); // V5
  if (hashMatches(secret, text, userHash)) return acceptUser(source, text, true); // V6, V7
  return enforced ? reject("invalid_user_hash") : acceptUser(source, text, false);
}

// ------------------------------------------------------------------------------------------------ protocol

/** One protocol request -> its answer (docs/PROTOCOL.md). Never throws: anything else is a `type: error`. */
function handle(request) {
  const seq = Number.isSafeInteger(request?.seq) ? request.seq : 0;
  let answer;
  try {
    switch (request.type) {
      case "hello":
        answer = {
          type: "hello",
          name: "ivconform-node",
          version: "1.0.0",
          language: "javascript",
          capabilities: ["hmac", "sign", "verify"],
          protocol: "ivconform/1",
        };
        break;
      case "hmac": {
        const tag = hmacSha256(fromHex(request.key_hex), fromHex(request.msg_hex));
        answer = { type: "hmac", tag_hex: tag.toString("hex") };
        break;
      }
      case "sign": {
        const userId = request.user_id ?? null;
        const email = request.email ?? null;
        if (!(userId === null || typeof userId === "string" || Number.isSafeInteger(userId))) {
          throw new TypeError("user_id must be a string, a safe integer or null");
        }
        if (!(email === null || typeof email === "string")) throw new TypeError("email must be a string or null");
        answer = signUserHash(fromHex(request.secret_hex), userId, email);
        break;
      }
      case "verify":
        answer = verify(request.config, request.platform, fromHex(request.payload_hex));
        break;
      case "bye":
        answer = { type: "bye" };
        break;
      default:
        answer = { type: "error", message: "unsupported message type" };
    }
  } catch (e) {
    answer = { type: "error", message: `cannot handle the request (${e.name})` }; // never echo the request
  }
  return { ...answer, seq };
}

function handleText(body) {
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    return { type: "error", seq: 0, message: "the request is not JSON" };
  }
  return handle(request);
}

/** POST / with a JSON body -> 200 with the JSON answer. Keep-alive is Node's default for HTTP/1.1. */
function serveHttp(address) {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  const port = Number(address.slice(colon + 1));
  const server = createServer({ noDelay: true }, (req, res) => {
    const send = (status, answer) => {
      const body = JSON.stringify(answer);
      res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== "POST" || req.url !== "/") {
      req.resume();
      return send(req.method !== "POST" ? 405 : 404, { type: "error", seq: 0, message: "POST / only" });
    }
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        res.setHeader("Connection", "close");
        send(413, { type: "error", seq: 0, message: "request too large" });
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => send(200, handleText(Buffer.concat(chunks).toString("utf8"))));
  });
  server.keepAliveTimeout = 0; // keep idle harness connections open until the harness closes them
  server.listen(port, host, () => {
    const { address: boundHost, port: boundPort } = server.address();
    const shown = boundHost.includes(":") ? `[${boundHost}]` : boundHost;
    process.stdout.write(`listening on http://${shown}:${boundPort}/\n`);
  });
}

/** One JSON request per line on stdin, one answer per line on stdout; `bye` ends it. */
function serveStdio() {
  let pending = [];
  process.stdin.on("data", (chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      start = nl + 1;
      const line = Buffer.concat(pending).toString("utf8");
      pending = [];
      if (line.trim() === "") continue;
      const answer = handleText(line);
      process.stdout.write(JSON.stringify(answer) + "\n");
      if (answer.type === "bye") {
        process.stdin.destroy();
        return;
      }
    }
    pending.push(chunk.subarray(start));
  });
}

// Other adapters build on this one (adapters/jwt/ puts real JWT libraries behind its payload parsing and HMAC
// mode): importing the module runs nothing.
export { Malformed, fromHex, isPresent, parseJsonStrict, parsePayload, verify, MAX_IDENTIFIER_BYTES };

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args.length === 2 && args[0] === "--http") {
    serveHttp(args[1]);
  } else if (args.length === 0) {
    serveStdio();
  } else {
    process.stderr.write("usage: node ivconform_adapter.mjs [--http HOST:PORT]\n");
    process.exit(2);
  }
}
