import { createHmac } from "node:crypto";
import { serve } from "./ivconform_kit.mjs";

function sign(secret, userId, email) { // S1-S5: user_id unless absent/null/"", else email; raw secret bytes
  const identifier = userId === null || userId === "" ? email : userId;
  if (secret.length === 0) return "error:empty_secret";
  if (identifier === null || identifier === "") return "error:no_identifier";
  return createHmac("sha256", secret).update(String(identifier), "utf8").digest("hex");
}

serve({ sign, name: "node-kit-example" });
