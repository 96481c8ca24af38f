import { serveItems } from "../workers/serve.js";
import type { VerifyItem } from "./types.js";
import { verify } from "./verify.js";

/** Worker thread of the VerifierPool: one verdict per item. */
serveItems(() => ({
  handle: (item) => {
    const it = item as VerifyItem;
    return verify(it.gold, it.response, it.options);
  },
}));
