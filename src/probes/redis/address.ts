// A Redis node's address, shared by the config and the clients.

/** Cluster nodes probed as members at most (Redis's own guidance stops at 1000 nodes; beyond the cap a node is listed, not probed). */
export const MAX_MEMBERS = 64;

export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** host:port, brackets around an IPv6 host. */
export function addressText(a: NodeAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
