import { parseIpAddress } from './ip-address.parser';

describe('parseIpAddress', () => {
  it.each([
    ['10.0.0.1', [10, 0, 0, 1]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['0.0.0.0', [0, 0, 0, 0]],
    ['::ffff:c0a8:101', [192, 168, 1, 1]],
    ['::', new Array<number>(16).fill(0)],
    ['::1', [...new Array<number>(15).fill(0), 1]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['2001:DB8::ff', [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(10).fill(0), 0, 0xff]],
    ['fe80::', [0xfe, 0x80, ...new Array<number>(14).fill(0)]],
  ])('reads %s', (text, bytes) => {
    expect(Array.from(parseIpAddress(text) ?? [])).toEqual(bytes);
  });

  it.each([
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.-4',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '12345::',
    'g::1',
    '::ffff:1.2.3.4',
    'fe80::1%eth0',
    '08:23',
    '',
    'localhost',
  ])('refuses %j', (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
  });
});
