import { describe, expect, it } from 'vitest';
import { hsalsa20, open, poly1305, seal } from './secretbox.js';

const hex = (s: string) => Buffer.from(s, 'hex');

// NaCl's published vectors (tests/core3.c and tests/secretbox.c of the NaCl distribution).
const KEY = hex('1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389');
const NONCE = hex('69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37');
const MESSAGE = hex(
  'be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705',
);
const BOX = hex(
  'f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5',
);

describe('secretbox (XSalsa20-Poly1305)', () => {
  it("derives NaCl's HSalsa20 subkey", () => {
    expect(hsalsa20(KEY, NONCE.subarray(0, 16)).toString('hex')).toBe(
      'dc908dda0b9344a953629b733820778880f3ceb421bb61b91cbd4c3e66256ce4',
    );
  });

  it("seals NaCl's message into NaCl's box, and opens it", () => {
    expect(seal(MESSAGE, NONCE, KEY).toString('hex')).toBe(BOX.toString('hex'));
    expect(open(BOX, NONCE, KEY)?.toString('hex')).toBe(MESSAGE.toString('hex'));
  });

  it("gives RFC 8439's Poly1305 tag (section 2.5.2)", () => {
    const key = hex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
    expect(poly1305(key, Buffer.from('Cryptographic Forum Research Group')).toString('hex')).toBe(
      'a8061dc1305136c6c22b8baf0c0127a9',
    );
  });

  it('refuses a box with one bit changed, or opened with another key', () => {
    for (const i of [0, 20, BOX.length - 1]) {
      const altered = Buffer.from(BOX);
      altered[i]! ^= 1;
      expect(open(altered, NONCE, KEY)).toBeUndefined();
    }
    const other = Buffer.from(KEY);
    other[0]! ^= 0x80;
    expect(open(BOX, NONCE, other)).toBeUndefined();
    expect(open(BOX.subarray(0, 10), NONCE, KEY)).toBeUndefined();
  });

  it('round-trips messages across block boundaries', () => {
    for (const n of [0, 1, 31, 32, 33, 63, 64, 65, 200]) {
      const m = Buffer.alloc(n, 0x5a);
      expect(open(seal(m, NONCE, KEY), NONCE, KEY)?.equals(m)).toBe(true);
    }
  });
});
