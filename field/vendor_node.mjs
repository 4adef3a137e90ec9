// Field adapter: the vendor-documented Node idiom crypto.createHmac('sha256', secret).update(id), through the
// Node kit. The application passes its user id (declared identifier: user_id).
import { createHmac } from "node:crypto";
import { serve } from "../adapters/kits/node/ivconform_kit.mjs";

serve({
  name: "node crypto.createHmac",
  version: "idiom",
  limits: { identifier: "user_id", note: "crypto.createHmac('sha256', secret).update(user_id).digest('hex')" },
  sign: (secret, userId) => createHmac("sha256", secret).update(userId).digest("hex"),
});
