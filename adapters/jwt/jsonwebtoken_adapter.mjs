#!/usr/bin/env node
// An ivconform adapter whose JWT mode is jsonwebtoken (https://github.com/auth0/node-jsonwebtoken), over stdio.
//
//     node adapters/jwt/jsonwebtoken_adapter.mjs      # after adapters/jwt/install.sh
//
// Configured as its README documents:
// * verify: jwt.verify(token, secret, { algorithms: ["HS256"], clockTimestamp: now, clockTolerance: 60 }).
//   `algorithms` pins HS256 (no alg none, no key confusion); `clockTimestamp` is the library's own clock option
//   ("the time in seconds that should be used as the current time for all necessary comparisons"), set to the
//   request's now; `clockTolerance` is the leeway (J2: 60 s, the most allowed). TokenExpiredError is expired_jwt,
//   every other error invalid_jwt.
// * sign: jwt.sign(claims, secret, { algorithm: "HS256" }). The library adds iat by default, which J5 allows.
// The boot payload, workspaces, enforcement and the application's claims are boot.mjs's.

import { createRequire } from "node:module";
import jwt from "jsonwebtoken";
import { serve, TokenRefused } from "./boot.mjs";

const { version } = createRequire(import.meta.url)("jsonwebtoken/package.json");

serve({
  name: "jsonwebtoken",
  version,
  verifyToken(secret, token, now) {
    try {
      return jwt.verify(token, secret, {
        algorithms: ["HS256"],
        clockTimestamp: now ?? undefined,
        clockTolerance: 60,
      });
    } catch (e) {
      throw new TokenRefused(e?.name === "TokenExpiredError" ? "expired_jwt" : "invalid_jwt");
    }
  },
  signToken(secret, claims) {
    return jwt.sign(claims, secret, { algorithm: "HS256" });
  },
});
