"""The checkout check tells an idle connection the server has closed from a live one, without a round trip."""
from __future__ import annotations

import socket

from eventsvc.core.pg_liveness import is_dead


class _Conn:
    def __init__(self, sock: socket.socket, *, closed: bool = False, broken: bool = False) -> None:
        self.sock, self.closed, self.broken = sock, closed, broken

    def fileno(self) -> int:
        return self.sock.fileno()


def test_a_quiet_connection_is_alive_and_a_closed_or_talking_peer_is_not() -> None:
    ours, server = socket.socketpair()
    try:
        assert not is_dead(_Conn(ours))
        server.sendall(b"E FATAL: terminating connection due to administrator command")
        assert is_dead(_Conn(ours))  # something unread while idle: the server is saying goodbye
        ours.recv(1024)
        server.close()
        assert is_dead(_Conn(ours))  # end of file
    finally:
        ours.close()


def test_flags_and_a_closed_descriptor_count_as_dead() -> None:
    ours, server = socket.socketpair()
    try:
        assert is_dead(_Conn(ours, closed=True)) and is_dead(_Conn(ours, broken=True))
    finally:
        ours.close()
        server.close()
    assert is_dead(_Conn(ours))  # fileno() is -1 now
