/** Path of the bare echo method: request bytes in, the same bytes out. */
export const ECHO_PATH = "/openpassmarket.bench.Echo/Echo";

/** What bench-server sends its parent over IPC. */
export type ServerMessage = { ready: true; address: string } | { cpu: NodeJS.CpuUsage } | { stopped: true };
