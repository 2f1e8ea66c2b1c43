import { describe, expect, it } from 'vitest';
import { isBlockedAddress } from '../src/server/guard.js';

describe('isBlockedAddress', () => {
  it('blocks link-local and metadata addresses, v4 and v6', () => {
    for (const address of ['169.254.169.254', '169.254.0.1', '0.0.0.0', '::ffff:169.254.169.254', 'fe80::1', '::', 'fd00:ec2::254']) {
      expect(isBlockedAddress(address), address).toBe(true);
    }
  });

  it('lets loopback and ordinary addresses through', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.1', '8.8.8.8', '2001:db8::1']) {
      expect(isBlockedAddress(address), address).toBe(false);
    }
  });
});
