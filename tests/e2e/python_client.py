#!/usr/bin/python3
"""Python client check for beastio, with Debian's python3-socketio.

  python_client.py URL [--count N] [--timeout S] [--offsets]
      connect over the websocket transport, receive N consecutive integers,
      exit 0 (1 on failure). With --offsets the handler is written for a
      server with connection state recovery on (--recovery-window-ms): every
      event then carries its offset as one more argument, def on_integer(v, *_)
  python_client.py URL --expect-polling-refusal
      check that a client asking for HTTP long-polling is refused: python-socketio
      raises ConnectionError, and the raw response is a 400 with the JSON body
"""
import argparse
import json
import sys
import threading
import urllib.error
import urllib.request

import socketio


def receive_integers(url, count, timeout, offsets):
    values = []
    extra = []
    done = threading.Event()
    sio = socketio.Client(reconnection=False)

    def record(value):
        if not done.is_set():
            values.append(value)
            if len(values) >= count:
                done.set()

    if offsets:
        # With recovery on, each event carries its offset as a last argument.
        @sio.on('integer')
        def on_integer(value, *rest):
            extra.append(rest)
            record(value)
    else:
        # Written for recovery off: one argument exactly.
        @sio.on('integer')
        def on_integer(value):
            record(value)

    sio.connect(url, transports=['websocket'], wait_timeout=timeout)
    print(f'connected sid={sio.sid}', flush=True)
    try:
        if not done.wait(timeout):
            print(f'FAIL: received {len(values)} of {count} integers in {timeout} s', flush=True)
            return 1
    finally:
        sio.disconnect()
    print('integers ' + ' '.join(str(v) for v in values), flush=True)
    if not all(isinstance(v, int) for v in values):
        print('FAIL: not all values are integers', flush=True)
        return 1
    if any(b != a + 1 for a, b in zip(values, values[1:])):
        print('FAIL: the integers are not consecutive', flush=True)
        return 1
    if offsets:
        if not all(len(r) == 1 and isinstance(r[0], str) for r in extra):
            print(f'FAIL: expected one offset string after each integer, got {extra[:3]}', flush=True)
            return 1
        print(f'offsets {extra[0][0]} .. {extra[-1][0]}', flush=True)
    print(f'ok: {count} consecutive integers', flush=True)
    return 0


def expect_polling_refusal(url, timeout):
    sio = socketio.Client(reconnection=False)
    errors = []

    @sio.event
    def connect_error(data):
        # python-socketio hands over the server's JSON body here.
        errors.append(data)

    try:
        sio.connect(url, transports=['polling'], wait_timeout=timeout)
    except socketio.exceptions.ConnectionError as err:
        print(f'polling refused by python-socketio: ConnectionError: {err}; connect_error data: {errors}', flush=True)
        if not requests_available():
            # python-engineio needs `requests` to poll at all (./dev setup installs python3-requests).
            print('FAIL: python3-requests is not installed, so the polling client never reached the server', flush=True)
            return 1
        # The client really sent the polling handshake: it must see the 400 and the body.
        if '400' not in str(err):
            print('FAIL: the ConnectionError does not name status 400', flush=True)
            return 1
        if not any(isinstance(e, dict) and e.get('message') == 'Transport unknown' for e in errors):
            print('FAIL: connect_error did not carry the JSON body', flush=True)
            return 1
    else:
        sio.disconnect()
        print('FAIL: a polling client was accepted', flush=True)
        return 1

    target = url.rstrip('/') + '/socket.io/?EIO=4&transport=polling'
    try:
        urllib.request.urlopen(target, timeout=timeout)
        print(f'FAIL: GET {target} succeeded', flush=True)
        return 1
    except urllib.error.HTTPError as err:
        status = err.code
        content_type = err.headers.get('Content-Type', '')
        raw = err.read().decode('utf-8')
    print(f'GET {target} -> {status} {content_type} {raw}', flush=True)
    body = json.loads(raw)
    problems = []
    if status != 400:
        problems.append(f'status {status}, expected 400')
    if not content_type.startswith('application/json'):
        problems.append(f'content type {content_type!r}, expected application/json')
    if body.get('code') != 0 or body.get('message') != 'Transport unknown':
        problems.append(f'body {body!r} lacks code 0 / "Transport unknown"')
    if 'websocket' not in str(body.get('hint', '')):
        problems.append('hint does not mention websocket')
    if problems:
        print('FAIL: ' + '; '.join(problems), flush=True)
        return 1
    print('ok: polling refused with the JSON body', flush=True)
    return 0


def requests_available():
    try:
        import requests  # noqa: F401  (python-engineio's polling transport needs it)
    except ImportError:
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url', nargs='?', default='http://localhost:3000')
    parser.add_argument('--count', type=int, default=5)
    parser.add_argument('--timeout', type=float, default=10.0)
    parser.add_argument('--expect-polling-refusal', action='store_true')
    parser.add_argument('--offsets', action='store_true')
    args = parser.parse_args()
    if args.expect_polling_refusal:
        return expect_polling_refusal(args.url, args.timeout)
    return receive_integers(args.url, args.count, args.timeout, args.offsets)


if __name__ == '__main__':
    sys.exit(main())
