import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms, and the unspecified address (which reaches this computer). */
function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = bare.startsWith('::ffff:') ? bare.slice(7) : bare;
  if (isIP(v4) === 4) return v4.startsWith('127.') || v4 === '0.0.0.0';
  return bare === '::1' || bare === '::';
}

function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

/**
 * The proxy listens on every interface so a phone can reach it, which makes it an open proxy on the network while
 * it runs. It must not also open this computer's loopback services to other devices: the live view, which shows
 * every finding's evidence, listens on 127.0.0.1 for that reason. A device on the network asking for a loopback
 * destination is refused; the computer itself may still capture its own local servers. (mockttp 4.2 already sends
 * such a request to the interface it arrived on rather than to loopback, where it fails with a 502; the guard does
 * not rely on that, and says what happened.)
 */
export function reachesLoopbackFromAfar(request: {
  remoteIpAddress?: string;
  destination?: { hostname: string };
  url: string;
}): boolean {
  const client = request.remoteIpAddress;
  if (client !== undefined && isLoopbackAddress(client)) return false;
  let hostname = request.destination?.hostname;
  try {
    hostname = new URL(request.url).hostname;
  } catch {
    // keep the destination mockttp worked out
  }
  return hostname === undefined || isLoopbackName(hostname) || isLoopbackName(request.destination?.hostname ?? '');
}
