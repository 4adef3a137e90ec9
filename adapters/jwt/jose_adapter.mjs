#!/usr/bin/env node
// An ivconform adapter whose JWT mode is jose (https://github.com/panva/jose), over stdio.
//
//     node adapters/jwt/jose_adapter.mjs      # after adapters/jwt/install.sh
//
// Configured as its documentation shows:
// * verify: await jwtVerify(token, secret, { algorithms: ["HS256"], currentDate, clockTolerance: 60 }).
//   `currentDate` is the library's own clock option (the Date claims are checked against), set to the request's
//   now; `clockTolerance` is the leeway (J2: 60 s). errors.JWTExpired is expired_jwt, every other error
//   invalid_jwt.
// * sign: await new SignJWT({ user_id, email }).setProtectedHeader({ alg: "HS256", typ: "JWT" })
//   .setExpirationTime(exp).sign(secret), exp set through its documented setter when asked for.
// The boot payload, workspaces, enforcement and the application's claims are boot.mjs's.

import { createRequire } from "node:module";
import { SignJWT, errors, jwtVerify } from "jose";
import { serve, TokenRefused } from "./boot.mjs";

const { version } = createRequire(import.meta.url)("jose/package.json");

serve({
  name: "jose",
  version,
  async verifyToken(secret, token, now) {
    try {
      const options = { algorithms: ["HS256"], clockTolerance: 60 };
      if (now !== null) options.currentDate = new Date(now * 1000);
      const { payload } = await jwtVerify(token, new Uint8Array(secret), options);
      return payload;
    } catch (e) {
      throw new TokenRefused(e instanceof errors.JWTExpired ? "expired_jwt" : "invalid_jwt");
    }
  },
  async signToken(secret, { exp, ...claims }) {
    let builder = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" });
    if (exp !== undefined) builder = builder.setExpirationTime(exp);
    return builder.sign(new Uint8Array(secret));
  },
});
