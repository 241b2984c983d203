#!/usr/bin/env python3
"""A TCP proxy that adds a round-trip time to every connection, for benchmarks and tests that
need a far-away server on loopback (the kernel here has no netem). Standard library only.

Listens on 127.0.0.1 and forwards every byte, untouched, to one upstream server (plain HTTP, TLS:
it does not look at the bytes). Each direction is delayed by half the round trip: a chunk read
from one side is written to the other RTT/2 after it was read, chunks in the order they were read,
so a request and its answer cost one RTT more than on loopback. Bandwidth is not limited: nothing
waits for an acknowledgement, and the only bound is a cap on the bytes held per connection and
direction (--max-held, 64 MiB by default, pauses reading that side until the oldest chunks go out),
far above what RTT/2 of loopback traffic fills. Reading also pauses while the other side leaves
half that much unread, as a full receive window would.

A new connection costs one round trip before its first byte, as TCP's handshake does: the client's
first bytes reach the server no earlier than 1.5 RTT after the proxy accepted the connection
(the connect itself returns at once, on loopback). --no-handshake leaves that out.

End of stream and close travel with the same delay, after the bytes before them. Many connections
at once, each with its own upstream connection.

    delayproxy.py --upstream 127.0.0.1:9000 --rtt 50 [--port 0] [--port-file F] [--parent-pid P]
"""

import argparse
import asyncio
import collections
import os
import signal
import sys

EOF = object()  # the source half-closed: write_eof() on the sink, in turn
CLOSE = object()  # the source is gone: close the sink, in turn


class Direction:
    """The bytes going one way through one connection: read from `source`, held, written to `sink`."""

    def __init__(self, loop, delay: float, max_held: int, not_before: float = 0.0, on_done=None):
        self.loop = loop
        self.on_done = on_done  # called once EOF or CLOSE was released
        self.delay = delay
        self.max_held = max_held
        self.not_before = not_before  # nothing is released before this (the handshake)
        self.queue = collections.deque()  # (release time, bytes | EOF | CLOSE), in read order
        self.held = 0
        self.source = None
        self.sink = None  # set once connected; until then chunks wait
        self.timer = None
        self.sink_full = False  # the sink's transport asked us to stop writing
        self.reading_paused = False
        self.done = False  # EOF or CLOSE was released

    def push(self, item, size: int = 0) -> None:
        when = max(self.loop.time() + self.delay, self.not_before)
        self.queue.append((when, item))
        self.held += size
        self.throttle()
        self.schedule()

    def schedule(self) -> None:
        if self.timer is None and self.queue and self.sink is not None:
            self.timer = self.loop.call_at(self.queue[0][0], self.release)

    def release(self) -> None:
        self.timer = None
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now:
            _, item = self.queue.popleft()
            if item is EOF:
                self.done = True
                if self.sink.can_write_eof() and not self.sink.is_closing():
                    self.sink.write_eof()
                else:
                    self.sink.close()
            elif item is CLOSE:
                self.done = True
                self.sink.close()
            else:
                self.held -= len(item)
                if not self.sink.is_closing():
                    self.sink.write(item)
        if self.done and self.on_done is not None:
            on_done, self.on_done = self.on_done, None
            on_done()
        self.throttle()
        self.schedule()

    def throttle(self) -> None:
        """Reads from the source only while the sink drains and fewer than max_held bytes wait."""
        if self.source is None or self.source.is_closing():
            return
        pause = self.sink_full or self.held > self.max_held
        if pause and not self.reading_paused:
            self.source.pause_reading()
            self.reading_paused = True
        elif not pause and self.reading_paused:
            self.source.resume_reading()
            self.reading_paused = False

    def set_sink_full(self, full: bool) -> None:
        self.sink_full = full
        self.throttle()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.queue.clear()


class Side(asyncio.Protocol):
    """One socket of a proxied connection: what it reads goes out through `outgoing`, what the
    other side reads comes in through `incoming` (whose sink is this side's transport)."""

    def __init__(self, connection, outgoing: Direction, incoming: Direction):
        self.connection = connection
        self.outgoing = outgoing
        self.incoming = incoming
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        # Only a receiver far behind (half of max_held unread) pauses the sender: with asyncio's
        # default of 64 KiB, every pause would cost RTT/2 of silence once reading resumed.
        transport.set_write_buffer_limits(high=self.outgoing.max_held // 2, low=self.outgoing.max_held // 4)
        self.outgoing.source = transport
        self.incoming.sink = transport
        self.incoming.schedule()

    def data_received(self, data: bytes) -> None:
        self.outgoing.push(data, len(data))

    def eof_received(self) -> bool:
        self.outgoing.push(EOF)
        return True  # keep the transport open: the other direction may still be writing to it

    def connection_lost(self, exc) -> None:
        self.outgoing.source = None
        if not self.outgoing.done:
            self.outgoing.push(CLOSE)
        self.incoming.cancel()  # nowhere to write what is still held for this side
        self.connection.side_lost(self)

    def pause_writing(self) -> None:
        self.incoming.set_sink_full(True)

    def resume_writing(self) -> None:
        self.incoming.set_sink_full(False)


class Connection:
    def __init__(self, proxy, loop):
        accepted = loop.time()
        handshake = proxy.rtt if proxy.handshake else 0.0
        self.proxy = proxy
        self.upstream_bound = Direction(loop, proxy.rtt / 2, proxy.max_held,
                                        not_before=accepted + handshake + proxy.rtt / 2, on_done=self.direction_done)
        self.client_bound = Direction(loop, proxy.rtt / 2, proxy.max_held, on_done=self.direction_done)
        self.client = Side(self, self.upstream_bound, self.client_bound)
        self.upstream = Side(self, self.client_bound, self.upstream_bound)
        self.lost = 0

    def direction_done(self) -> None:
        """Both ways ended (half-closes included): nothing more can pass, close both sockets."""
        if self.upstream_bound.done and self.client_bound.done:
            for side in (self.client, self.upstream):
                if side.transport is not None:
                    side.transport.close()

    def side_lost(self, side) -> None:
        self.lost += 1
        if self.lost == 2:
            self.proxy.connections.discard(self)


class Proxy:
    def __init__(self, host: str, port: int, rtt: float, max_held: int, handshake: bool):
        self.host, self.port = host, port
        self.rtt = rtt
        self.max_held = max_held
        self.handshake = handshake
        self.connections = set()
        self.accepted = 0

    def accept(self) -> asyncio.Protocol:
        loop = asyncio.get_running_loop()
        connection = Connection(self, loop)
        self.connections.add(connection)
        self.accepted += 1
        loop.create_task(self.connect(connection))
        return connection.client

    async def connect(self, connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: connection.upstream, self.host, self.port)
        except OSError as error:
            print(f"delayproxy: cannot reach {self.host}:{self.port}: {error}", file=sys.stderr, flush=True)
            connection.client_bound.cancel()
            if connection.client.transport is not None:
                connection.client.transport.abort()


async def watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if os.getppid() != parent_pid:
            stop.set()
            return
        await asyncio.sleep(0.5)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    parser.add_argument("--rtt", type=float, required=True, help="round-trip time to add, in milliseconds")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--port-file", help="write the port listened on to this file once ready")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is no longer the parent")
    parser.add_argument("--max-held", type=int, default=64 << 20,
                        help="bytes held per connection and direction before reading that side pauses")
    parser.add_argument("--no-handshake", action="store_true",
                        help="do not charge a new connection one round trip before its first byte")
    args = parser.parse_args()

    host, _, port = args.upstream.rpartition(":")
    proxy = Proxy(host or "127.0.0.1", int(port), args.rtt / 1000, args.max_held, not args.no_handshake)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(proxy.accept, "127.0.0.1", args.port, backlog=1024)
    listening = server.sockets[0].getsockname()[1]
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w") as file:
            file.write("%d\n" % listening)
        os.rename(temporary, args.port_file)
    print(f"delayproxy: 127.0.0.1:{listening} -> {args.upstream}, RTT {args.rtt:g} ms", file=sys.stderr, flush=True)

    stop = asyncio.Event()
    # A parent may start us with these signals blocked (the mask is inherited): stopping needs them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.ensure_future(watch_parent(args.parent_pid, stop)) if args.parent_pid else None
    await stop.wait()
    if watcher:
        watcher.cancel()
    server.close()
    print(f"delayproxy: {proxy.accepted} connections", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
