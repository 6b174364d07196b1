#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into corpus/<target>/ (committed).

Seeds are the protocol reference's examples and the malformed rows of the unit
tests, in each target's input format; libFuzzer mutates from there. Run it
again after adding rows: python3 tests/fuzz/seeds.py
"""
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def piece(control, data):
    if isinstance(data, str):
        data = data.encode()
    return bytes([control]) + struct.pack('<H', len(data)) + data


def write(target, seeds):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for s in seeds:
        if isinstance(s, str):
            s = s.encode()
        name = hashlib.sha1(s).hexdigest()[:16]
        with open(os.path.join(d, name), 'wb') as f:
            f.write(s)


PH = lambda n: '{"_placeholder":true,"num":%d}' % n
OPEN = '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'

write('fuzz_eio_decode', [
    OPEN, '1', '2', '3', '4hello', '42["integer",17]', '40', '40/admin,{"token":"x"}', '5', '6', '',
    'bAQID', 'b', 'bAQ', 'bAQI=', 'b====', '7', 'x', '4' + 'é' * 10, b'\x00\xff\x01',
])

sio_rows = [
    [piece(0, '0')],
    [piece(0, '0{"token":"123"}')],
    [piece(0, '0/custom,{"token":"abc","n":1.50}')],
    [piece(0, '2["message",1,"2",{"3":[true]}]')],
    [piece(0, '2/admin,13["ask",{"a":[1,2,3]}]')],
    [piece(0, '31["ok"]')],
    [piece(0, '1')],
    [piece(0, '4{"message":"x"}')],
    [piece(0, '52-["message",%s,%s]' % (PH(0), PH(1))), piece(1, b'\x01\x02\x03'), piece(1, b'\x04')],
    [piece(0, '52-789["message-with-ack",%s,%s]' % (PH(0), PH(1))), piece(1, 'a'), piece(1, 'b')],
    [piece(0, '61-15["bar",%s]' % PH(0)), piece(1, 'q')],
    [piece(0, '51-/admin,["baz",%s]' % PH(0)), piece(1, b'\x00\xff')],
    [piece(0, '52-["e",{"k":[%s]},%s]' % (PH(1), PH(0))), piece(1, 'zero'), piece(1, 'one')],
    # the amplification shape: many placeholders naming attachment 0
    [piece(0, '51-["e"' + (',' + PH(0)) * 64 + ']'), piece(1, 'A' * 1024)],
    [piece(0, '52-["e",%s,[%s]]' % (PH(0), PH(0))), piece(1, 'dup'), piece(1, 'x')],
    [piece(0, '50-["x",{"a":1}]')],
    [piece(0, '510-["files"' + ''.join(',' + PH(i) for i in range(10)) + ']')] + [piece(1, bytes([i]) * 8) for i in range(10)],
    [piece(0, '52-["m",%s,%s]' % (PH(0), PH(1))), piece(1, '1'), piece(0, '2["a"]')],
    [piece(1, b'\x01')],
    [piece(0, '2["disconnect"]')],
    [piece(0, '511-["m"]')],
    [piece(0, '2[' * 200)],
    [piece(0, '2["a",1e400,-0,0.5e-7,12345678901234567890123]')],
]
write('fuzz_sio_reassembler', [b''.join(r) for r in sio_rows])

write('fuzz_handshake', [bytes([c]) + q.encode() for c, q in [
    (4, 'EIO=4&transport=websocket'), (4, 'EIO=4&transport=websocket&b64=1'), (4, 'EIO=3&transport=websocket'),
    (0, 'EIO=4&transport=polling&t=N8hyd6w'), (4, 'transport=websocket&sid=abc&EIO=4'), (5, 'EIO=4&transport=websocket'),
    (4, 'transport=websocket&transport=websocket&EIO=4'), (4, '%zz=1&a+b=c%20d&&=x&y'), (4, 'EIO=%34&transport=web%73ocket'),
    (4, ''), (4, '&&&'), (4, '%'), (4, 'a=%e2%82%ac'),
]])

router_rows = []
for ctl, target, method, origin, auth in [
    (16 | 32, '/_ws/', '', 'https://app.example', ''),
    (16 | 32, '/_ws/chat/user/12345?token=s3cret-token', '', '', ''),
    (16 | 32, '/socket.io/?EIO=4&transport=websocket', '', 'https://evil.example', ''),
    (16 | 32, '/socket.io/subscribe/', '', '', 'Bearer s3cret-token'),
    (16, '/_ws', '', '', ''), (16 | 32, '/liveblog/_ws/', '', '', ''),
    (0, '/socket.io/?EIO=4&transport=polling', '', '', ''), (0, '/cache-healthcheck', '', '', ''),
    (2, '/cache-healthcheck?x', '', '', ''), (0, '/socket.io/socket.io.min.js', '', '', ''),
    (0, '/index.html', '', '', ''), (0, '/../etc/passwd', '', '', ''), (0, '/%2e%2e/x', '', '', ''),
    (8, '/', 'DELETE', '', ''), (0, '/_ws/x', '', '', ''), (16 | 32, '/x<b>\\\xff#frag', '', 'null', 'Basic x'),
]:
    router_rows.append(piece(ctl, target.encode('latin1')) + piece(0, method) + piece(0, origin) + piece(0, auth))
write('fuzz_router', router_rows)

json_rows = [
    '{}', '[]', 'null', 'true', 'false', '0', '-0', '1.50', '1e400', '12345678901234567890123', '"\\u00e9\\ud83d\\ude00"',
    '{"a":1,"a":2}', '[1,[2,[3,[4]]]]', '{"_placeholder":true,"num":0}', '"\\u0000"', '"\\ud800"', '[' * 130 + ']' * 130,
    ' [1 , 2 ] ', '"caf\xc3\xa9"', '{"k":"v","n":null,"l":[true,false,{"x":-1.5e-3}]}', '[1,]', '{"a"}', "'x'",
]
write('fuzz_json', [r.encode('latin1') if isinstance(r, str) else r for r in json_rows])
print('seeds written to', os.path.join(HERE, 'corpus'))
