// What the Node JWT-library adapters share (jsonwebtoken_adapter.mjs, jose_adapter.mjs): everything a JWT library
// does not know about, so each adapter is only its library's documented verify and sign calls.
//
// * The boot payload: adapters/node/ivconform_adapter.mjs's strict parser (P1-P6) and its HMAC-mode verifier
//   (V1-V8) for payloads without a token, imported as a module.
// * Around the library's verify: the platform's secret (none configured: invalid_jwt), no current time with an
//   exp or nbf (J2: fail closed, since the library would use this machine's clock), the application's claims
//   (user_id a non-empty string of at most 1,024 bytes, email a string: J2) and the clear-text identity (J3).
//   J4: a user payload without a token where JWT mode is enforced.
// * The stdio protocol (docs/PROTOCOL.md), claiming verify_jwt and sign_jwt only. Requests are handled one at a
//   time, in order (the library calls may be async).
//
// An adapter calls serve({ name, version, verifyToken, signToken }):
//   verifyToken(secretBytes, token, now) -> the claims object, or throws TokenRefused(reason)
//   signToken(secretBytes, { user_id, email?, exp? }) -> the compact token

import {
  Malformed,
  fromHex,
  isPresent,
  parseJsonStrict,
  parsePayload,
  verify as verifyHmacMode,
  MAX_IDENTIFIER_BYTES,
} from "../node/ivconform_adapter.mjs";

const PLATFORMS = new Set(["web", "ios", "android"]);
const JWT_KEY = "intercom_user_jwt";

/** A token the verifier refuses, with its reject class. */
export class TokenRefused extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

const reject = (reason) => ({ type: "verify", result: "reject", reason });

/** The claims segment, read without checking anything, to see whether exp or nbf is there; null if unreadable. */
function peekClaims(token) {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    return claims !== null && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

function claimText(claims, name) {
  const value = claims[name];
  return typeof value === "string" && Buffer.byteLength(value, "utf8") <= MAX_IDENTIFIER_BYTES;
}

/** One boot request: V1, then the token (J1-J3) when one is sent, else J4, else HMAC mode (V3-V8). */
async function verifyBoot(config, platform, raw, now, verifyToken) {
  if (!PLATFORMS.has(platform)) throw new TypeError("unknown platform");
  let payload;
  let token;
  try {
    payload = parsePayload(raw);
    token = parseJsonStrict(raw).get(JWT_KEY) ?? null;
    if (token !== null && typeof token !== "string") throw new Malformed("the token must be a string"); // P4-like
  } catch (e) {
    if (e instanceof Malformed) return reject("malformed_payload");
    throw e;
  }
  if (!Object.hasOwn(config.apps, payload.appId)) return reject("unknown_app"); // V1
  const settings = config.apps[payload.appId][platform] ?? {};
  if (token !== null && token !== "") {
    try {
      if (settings.secret_hex === undefined) throw new TokenRefused("invalid_jwt");
      if (now === null || now === undefined) {
        const peek = peekClaims(token);
        if (peek === null || "exp" in peek || "nbf" in peek) throw new TokenRefused("invalid_jwt"); // fail closed
      }
      const claims = await verifyToken(fromHex(settings.secret_hex), token, now ?? null);
      const userId = claims?.user_id;
      if (!claimText(claims, "user_id") || userId === "") throw new TokenRefused("invalid_jwt"); // J2
      if ("email" in claims && !claimText(claims, "email")) throw new TokenRefused("invalid_jwt"); // J2
      if (isPresent(payload.userId) && String(payload.userId) !== userId) throw new TokenRefused("identity_mismatch");
      if (isPresent(payload.email) && payload.email !== claims.email) throw new TokenRefused("identity_mismatch");
      return {
        type: "verify",
        result: "accept",
        as: "user",
        verified: true,
        identifier_source: "user_id",
        identifier_hex: Buffer.from(userId, "utf8").toString("hex"),
      };
    } catch (e) {
      if (e instanceof TokenRefused) return reject(e.reason);
      throw e;
    }
  }
  const selected = isPresent(payload.userId) || isPresent(payload.email);
  if (settings.jwt_enforced === true && (selected || payload.userHash !== undefined)) {
    return reject("missing_user_hash"); // J4
  }
  return verifyHmacMode(config, platform, raw);
}

async function handle(request, adapter) {
  const seq = Number.isSafeInteger(request?.seq) ? request.seq : 0;
  let answer;
  try {
    switch (request.type) {
      case "hello":
        answer = {
          type: "hello",
          name: adapter.name,
          version: adapter.version,
          language: "javascript",
          capabilities: ["verify_jwt", "sign_jwt"],
          protocol: "ivconform/1",
        };
        break;
      case "verify":
        answer = await verifyBoot(
          request.config,
          request.platform,
          fromHex(request.payload_hex),
          request.now,
          adapter.verifyToken,
        );
        break;
      case "sign_jwt": {
        const secret = fromHex(request.secret_hex);
        if (secret.length === 0) {
          answer = { type: "sign_jwt", error: "empty_secret" }; // S5, first
        } else if (request.user_id === "") {
          answer = { type: "sign_jwt", error: "no_identifier" };
        } else {
          const claims = { user_id: request.user_id };
          if (typeof request.email === "string") claims.email = request.email;
          if (Number.isSafeInteger(request.exp)) claims.exp = request.exp;
          answer = { type: "sign_jwt", token: await adapter.signToken(secret, claims) };
        }
        break;
      }
      case "bye":
        answer = { type: "bye" };
        break;
      default:
        answer = { type: "error", message: "unsupported message type" };
    }
  } catch (e) {
    answer = { type: "error", message: `cannot handle the request (${e?.name})` }; // never echo the request
  }
  return { ...answer, seq };
}

/** Serves the adapter over stdio: one JSON request per line, answered in order; `bye` ends it. */
export function serve(adapter) {
  let pending = [];
  let chain = Promise.resolve();
  process.stdin.on("data", (chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      start = nl + 1;
      const line = Buffer.concat(pending).toString("utf8");
      pending = [];
      if (line.trim() === "") continue;
      chain = chain.then(async () => {
        let request;
        try {
          request = JSON.parse(line);
        } catch {
          process.stdout.write(JSON.stringify({ type: "error", seq: 0, message: "the request is not JSON" }) + "\n");
          return;
        }
        const answer = await handle(request, adapter);
        process.stdout.write(JSON.stringify(answer) + "\n");
        if (answer.type === "bye") process.stdin.destroy();
      });
    }
    pending.push(chunk.subarray(start));
  });
}
