"""A TCP proxy for fault injection: forwards to a real server until cut, refuses and
drops every connection while cut, and forwards again once restored; or, frozen, keeps every
connection open and passes nothing on, as a server whose process hung, until thawed."""

from __future__ import annotations

import contextlib
import socket
import threading


class FaultProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Drop every open connection and refuse new ones (as if the server went away)."""
        self.cut_off.set()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        self.cut_off.clear()

    def freeze(self) -> None:
        """Pass nothing on, either way, and drop nothing: connections stay open, new ones are
        accepted, and what is sent waits (the kernel of a live host still acknowledges it)."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.thaw()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                if self._closed:
                    return
                continue  # one connection that failed (reset while queued): the next may not
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                # Checked under the lock: a connection set up while ``cut`` runs is dropped, not kept.
                if self.cut_off.is_set():
                    client.close()
                    server.close()
                    continue
                self._sockets.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets.difference_update((source, target))
            for sock in (source, target):
                # Shut down, not only closed: the other direction's thread may be blocked
                # reading the socket, which keeps it open (no FIN sent) however it is closed.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
