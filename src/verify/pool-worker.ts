import { parentPort } from "node:worker_threads";
import type { ChunkRequest, ChunkResponse } from "./pool.js";
import { verify } from "./verify.js";

parentPort?.on("message", (req: ChunkRequest) => {
  const results = req.items.map((it) => verify(it.gold, it.response, it.options));
  parentPort?.postMessage({ id: req.id, results } satisfies ChunkResponse);
});
