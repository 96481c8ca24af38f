import { execa } from "execa";

/**
 * Ports for a Ray head a test starts. Tests run two at a time and two heads may be up at once: every port Ray
 * would otherwise take at a fixed default (dashboard agent, metrics, runtime-env agent, client server, workers)
 * comes from one random block, so the heads never collide.
 */
export function rayHeadPorts(): { port: number; dashboardPort: number; args: string[] } {
  const base = 20_000 + 200 * Math.floor(Math.random() * 150);
  const port = base;
  const dashboardPort = base + 1;
  const args = [
    ...["--port", String(port)],
    ...["--dashboard-port", String(dashboardPort)],
    ...["--dashboard-agent-listen-port", String(base + 2)],
    ...["--dashboard-agent-grpc-port", String(base + 3)],
    ...["--metrics-export-port", String(base + 4)],
    ...["--runtime-env-agent-port", String(base + 5)],
    ...["--ray-client-server-port", String(base + 6)],
    ...["--node-manager-port", String(base + 7)],
    ...["--object-manager-port", String(base + 8)],
    ...["--min-worker-port", String(base + 9)],
    ...["--max-worker-port", String(base + 199)],
  ];
  return { port, dashboardPort, args };
}

/**
 * Starts a Ray head (its processes carry STILL_TEST_RAY_HEAD=marker, so the test can stop exactly them) and
 * waits until its job server takes a no-op job: `ray start` returns before the job agent is up, minutes
 * before on a loaded machine. Returns the job server address and the GCS port.
 */
export async function startRayHead(ray: string, numCpus: number, marker: string) {
  const ports = rayHeadPorts();
  await execa(
    ray,
    [
      "start",
      "--head",
      "--num-cpus",
      String(numCpus),
      ...ports.args,
      "--include-dashboard",
      "true",
      "--disable-usage-stats",
    ],
    { env: { STILL_TEST_RAY_HEAD: marker, RAY_AUTH_MODE: "disabled" }, timeout: 240_000 },
  );
  const address = `http://127.0.0.1:${ports.dashboardPort}`;
  for (let i = 0; i < 150; i++) {
    const r = await execa(ray, ["job", "submit", "--address", address, "--no-wait", "--", "true"], {
      reject: false,
    });
    if (r.exitCode === 0) break;
    await new Promise((done) => setTimeout(done, 2000));
  }
  return { address, gcsPort: ports.port };
}
