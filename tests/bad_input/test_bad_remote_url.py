"""A remote URL git cannot use, or one that wants a login this machine lacks: one line saying what to fix, at once,
and nothing created."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_bad_input import assert_rejected_cleanly


@pytest.fixture
def pod(make_machine):
    machine = make_machine("pod-1", "contributor")
    machine.project("finops")
    machine.write("finops", "MEMORY.md", "pod's own\n")
    return machine


@pytest.mark.parametrize("url", ["not a url::", "ssh://[::1", "::"])
def test_a_remote_url_that_does_not_parse(pod, origin, url):
    pod.remote = url
    line = assert_rejected_cleanly(pod, origin, f"cannot reach MEMORY_MIRROR_REMOTE {url}: ")
    assert f"It is not a URL git can use: set MEMORY_MIRROR_REMOTE in {pod.agentihooks / '.env'}" in line


class AsksForALogin(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="mirror"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def login_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), AsksForALogin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/org/claude-memory-mirror.git"
    server.shutdown()
    server.server_close()


def test_a_remote_that_asks_for_a_login_we_do_not_have_fails_at_once(pod, origin, login_server):
    pod.remote = login_server
    line = assert_rejected_cleanly(pod, origin, f"cannot reach MEMORY_MIRROR_REMOTE {login_server}: ", timeout=60)
    assert "terminal prompts disabled" in line  # git was never allowed to wait for someone to type a password
    assert "run `gh auth setup-git` or set up a git credential helper" in line


def test_an_https_remote_on_a_closed_port(pod, origin):
    pod.remote = "https://127.0.0.1:1/org/claude-memory-mirror.git"
    line = assert_rejected_cleanly(pod, origin, "cannot reach MEMORY_MIRROR_REMOTE https://127.0.0.1:1/", timeout=60)
    assert "Check that the repo exists" in line
