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
